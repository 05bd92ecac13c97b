"""``connection_reset``: the connection drops before OpenRouter or while a provider serves."""

from __future__ import annotations

from typing import Literal

from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault


class ConnectionResetFault(
    Fault,
    order=50,
    acts=Behaviour(Stage.ATTEMPT, Effect.DISCONNECT, on_answer=True),
    acts_when={("phase", "connect"): Behaviour(Stage.REQUEST, Effect.DISCONNECT)},
    example="{kind: connection_reset, phase: read, every: 10}",
):
    """The connection drops: before OpenRouter (`phase: connect`) or while a provider serves (`read`).

    ``phase: connect`` is an ``httpx.ConnectError``; ``phase: read`` comes before any response byte, an
    ``httpx.RemoteProtocolError``.
    """

    kind: Literal["connection_reset"] = "connection_reset"
    phase: Literal["connect", "read"] = "read"
