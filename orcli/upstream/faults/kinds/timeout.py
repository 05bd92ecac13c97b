"""``timeout``: the provider stays silent until OpenRouter gives up on it, or for ever."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import AttemptError, provider_meta
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class TimeoutFault(
    Fault,
    order=30,
    acts=Behaviour(Stage.ATTEMPT, Effect.SILENT),
    acts_when={("hang", True): Behaviour(Stage.ATTEMPT, Effect.HANG)},
    example="{kind: timeout, provider: azure, seconds: 30}",
):
    """The provider is silent; OpenRouter gives up after `seconds` and fails over; `hang: true` never answers.

    A client with a shorter read timeout sees ``httpx.ReadTimeout`` first; with ``hang: true`` only the client's own
    timeout ends the wait.
    """

    kind: Literal["timeout"] = "timeout"
    seconds: float = Field(default=60.0, gt=0)
    hang: bool = False

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        error = ApiError(408, "Operation timed out. Please try again later.", provider_meta(ep, "timeout"))
        return AttemptError(error, self.seconds, outage=True)
