"""``timeout``: the provider stays silent until OpenRouter gives up on it, or for ever."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import Field

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import AttemptError
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class TimeoutFault(Fault):
    """The provider stays silent. OpenRouter abandons it after ``seconds`` and fails over
    (a client with a shorter read timeout sees ``httpx.ReadTimeout`` first). ``hang: true``:
    the reply never arrives at all; only the client's own timeout ends the wait."""

    order = 30
    behaviour = Behaviour(Stage.ATTEMPT, Effect.SILENT)
    behaviour_when: ClassVar[Mapping[tuple[str, object], Behaviour]] = {
        ("hang", True): Behaviour(Stage.ATTEMPT, Effect.HANG),
    }
    summary = "the provider is silent; OpenRouter gives up after `seconds` and fails over; `hang: true` never answers"
    example = "{kind: timeout, provider: azure, seconds: 30}"

    kind: Literal["timeout"] = "timeout"
    seconds: float = Field(default=60.0, gt=0)
    hang: bool = False

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        meta = {"error_type": "timeout", "provider_name": ep.provider_name, "is_byok": ep.is_byok}
        error = ApiError(408, "Operation timed out. Please try again later.", meta)
        return AttemptError(error, self.seconds, outage=True)
