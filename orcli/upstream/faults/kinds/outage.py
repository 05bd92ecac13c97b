"""``outage``: the provider answers 5xx and OpenRouter fails over."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import STATUS_ERROR_TYPE, AttemptError, provider_meta
from orcli.upstream.faults.behaviour import FAIL_ATTEMPT
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest, dumps


class OutageFault(
    Fault,
    order=10,
    acts=FAIL_ATTEMPT,
    example="{kind: outage, provider: cerebras, model: qwen/qwen3-coder, start_s: 60, end_s: 180}",
):
    """The provider answers 5xx (`status`); OpenRouter fails over."""

    kind: Literal["outage"] = "outage"
    status: Literal[500, 502, 503, 504, 524, 529] = 502
    latency_s: float = Field(default=0.2, ge=0)  # how long the failing attempt takes
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        raw = dumps({"error": {"message": f"upstream error {self.status}", "code": self.status}}).decode()
        meta = provider_meta(ep, STATUS_ERROR_TYPE.get(self.status, "server"), raw=raw)
        return AttemptError(
            ApiError(self.status, self.message or "Provider returned error", meta), self.latency_s, outage=True
        )
