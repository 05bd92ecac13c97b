"""``connection_reset``: the connection drops before OpenRouter or while a provider serves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault


class ConnectionResetFault(Fault):
    """The connection drops. ``phase: connect``: before the request reaches OpenRouter
    (``httpx.ConnectError``); ``phase: read``: while the targeted provider is serving,
    before any response byte (``httpx.RemoteProtocolError``)."""

    order = 50
    behaviour = Behaviour(Stage.ATTEMPT, Effect.DISCONNECT, on_answer=True)
    behaviour_when: ClassVar[Mapping[tuple[str, object], Behaviour]] = {
        ("phase", "connect"): Behaviour(Stage.REQUEST, Effect.DISCONNECT),
    }
    summary = "the connection drops: before OpenRouter (`phase: connect`) or while a provider serves (`read`)"
    example = "{kind: connection_reset, phase: read, every: 10}"

    kind: Literal["connection_reset"] = "connection_reset"
    phase: Literal["connect", "read"] = "read"
