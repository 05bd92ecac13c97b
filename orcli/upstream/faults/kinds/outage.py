"""``outage``: the provider answers 5xx and OpenRouter fails over."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import STATUS_ERROR_TYPE, AttemptError
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest, dumps


class OutageFault(Fault):
    """The provider answers 5xx; OpenRouter fails over to the next endpoint."""

    order = 10
    behaviour = Behaviour(Stage.ATTEMPT, Effect.FAIL)
    summary = "the provider answers 5xx (`status`); OpenRouter fails over"
    example = "{kind: outage, provider: cerebras, model: qwen/qwen3-coder, start_s: 60, end_s: 180}"

    kind: Literal["outage"] = "outage"
    status: Literal[500, 502, 503, 504, 524, 529] = 502
    latency_s: float = Field(default=0.2, ge=0)  # how long the failing attempt takes
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        raw = dumps({"error": {"message": f"upstream error {self.status}", "code": self.status}}).decode()
        meta = {
            "error_type": STATUS_ERROR_TYPE.get(self.status, "server"),
            "provider_name": ep.provider_name,
            "is_byok": ep.is_byok,
            "raw": raw,
        }
        return AttemptError(
            ApiError(self.status, self.message or "Provider returned error", meta), self.latency_s, outage=True
        )
