"""The attempt ledger: what the resilient client did for one logical request.

Frozen, slotted records: attempt -> request result. Drill verdicts and every
report are pure functions of these records, so the same seed gives the same
report. No record holds a header, a key or a request body.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orcli.policy.model import ErrorClass


@dataclass(frozen=True, slots=True)
class UpstreamHop:
    """One provider attempt *inside* OpenRouter (its own failover), from the response trail."""

    provider: str  # display name
    model: str
    status: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP request the client sent (or refused to send)."""

    index: int  # 1-based within the logical request
    model: str  # the model requested (client mode) or the chain's first model (OpenRouter mode)
    served_model: str | None  # the model that answered, from the response
    provider: str | None  # display name that answered, when known
    status: int | None  # HTTP status; None when no response arrived (timeout, reset)
    error_class: ErrorClass | None  # None = success
    detail: str  # "ok" or a short, secret-free description of the failure
    started_at: float  # clock seconds when the request was sent
    latency_s: float  # until the full answer (or the failure)
    ttft_s: float | None  # time to first token (streams) or to the response headers
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    wait_before_s: float  # backoff or Retry-After wait before this attempt
    next_hop: str | None  # why another attempt followed: "retry", "fallback to m2", ... None if last
    upstream_hops: tuple[UpstreamHop, ...] = ()
    retry_after_s: float | None = None  # the wait the upstream asked for (Retry-After / X-RateLimit-Reset)

    @property
    def ok(self) -> bool:
        return self.error_class is None

    @property
    def route(self) -> str:
        return f"{self.served_model or self.model}@{self.provider or '?'}"


@dataclass(frozen=True, slots=True)
class ChatResult:
    """The outcome of ``Client.chat``: the final response, or the classified failure."""

    ok: bool
    response: dict[str, Any] | None  # the parsed final chat completion (streams reassembled)
    error_class: ErrorClass | None
    error_message: str | None  # secret-free; for fail_safe workflows, the approved user message
    attempts: tuple[Attempt, ...]
    idempotency_key: str
    alerts: tuple[str, ...] = ()  # operator alerts raised (auth, billing, budget)
    fail_safe_message: str | None = None  # the workflow's user-facing message when it failed safe

    @property
    def served_model(self) -> str | None:
        last = self.attempts[-1] if self.attempts else None
        return last.served_model if last and last.ok else None

    @property
    def served_provider(self) -> str | None:
        last = self.attempts[-1] if self.attempts else None
        return last.provider if last and last.ok else None

    @property
    def cost_usd(self) -> Decimal:
        return sum((a.cost_usd for a in self.attempts), Decimal(0))

    @property
    def latency_s(self) -> float:
        if not self.attempts:
            return 0.0
        first, last = self.attempts[0], self.attempts[-1]
        return last.started_at + last.latency_s - first.started_at + first.wait_before_s
