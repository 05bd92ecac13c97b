"""``rate_limit``: a 429, from the provider (OpenRouter routes on) or from OpenRouter itself."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import AttemptError, provider_meta, seconds_header
from orcli.upstream.faults.behaviour import FAIL_ATTEMPT, REFUSE_REQUEST
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class RateLimitFault(
    Fault,
    order=20,
    acts=FAIL_ATTEMPT,
    acts_when={
        ("scope", "openrouter"): REFUSE_REQUEST,
    },
    example="{kind: rate_limit, scope: openrouter, retry_after_s: 2, probability: 0.5}",
):
    """429; `scope: provider` fails the attempt and OpenRouter routes on, `scope: openrouter` refuses the request
    before routing."""

    kind: Literal["rate_limit"] = "rate_limit"
    scope: Literal["provider", "openrouter"] = "provider"
    retry_after_s: float | None = Field(default=None, ge=0)
    limit: int = Field(default=60, ge=1)  # X-RateLimit-Limit (OpenRouter-wide only)
    reset_s: float = Field(default=60.0, gt=0)  # X-RateLimit-Reset = now + reset_s (OpenRouter-wide only)
    latency_s: float = Field(default=0.1, ge=0)
    message: str | None = None

    def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
        headers = [
            ("x-ratelimit-limit", str(self.limit)),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", str(int((epoch_now_s + self.reset_s) * 1000))),  # epoch milliseconds
        ]
        if self.retry_after_s is not None:
            headers.append(("retry-after", seconds_header(self.retry_after_s)))
        message = self.message or "Rate limit exceeded: too many requests. Please slow down."
        return ApiError(429, message, {"error_type": "rate_limit_exceeded", "provider_name": None}, tuple(headers))

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        raw = f"{model_id} is temporarily rate-limited upstream. Please retry shortly."
        meta = provider_meta(ep, "rate_limit_exceeded", raw=raw, limit_source="upstream_provider_shared_pool")
        error = ApiError(429, self.message or "Provider returned error", meta)
        return AttemptError(error, self.latency_s, retry_after_s=self.retry_after_s)
