"""The attempt ledger: what the resilient client did for one logical request.

Frozen, slotted records: attempt -> request result. Drill verdicts and every
report are pure functions of these records, so the same seed gives the same
report. No record holds a header, a key or a request body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from orcli.client.hops import HopKind, NextHop, StopReason
from orcli.ids import same_base_model
from orcli.policy.model import ErrorClass


@dataclass(frozen=True, slots=True)
class UpstreamHop:
    """One provider attempt *inside* OpenRouter (its own failover), from the response trail."""

    provider: str  # display name
    model: str
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
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
    next_hop: NextHop | None  # why another attempt followed (retry, fallback, queued); None if last
    upstream_hops: tuple[UpstreamHop, ...] = ()
    models: tuple[str, ...] = ()  # every model the request named, in order (``model`` then ``models``)
    stream: bool = False
    retry_after_s: float | None = None  # the wait this attempt's response asked for, if any
    ignored_providers: tuple[str, ...] = ()  # slugs added to provider.ignore by open breakers
    generation_id: str | None = None  # the response ``id`` (``gen-...``), for /generation look-ups
    # ``cost_usd`` is the client's estimate, not a reported cost: the response carried no
    # usage though tokens were billed (see orcli.client.core, "cost without usage").
    cost_estimated: bool = False
    warnings: tuple[str, ...] = ()  # protocol slips that did not cost the answer

    @property
    def ok(self) -> bool:
        return self.error_class is None

    @property
    def route(self) -> str:
        return f"{self.served_model or self.model}@{self.provider or '?'}"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A validated tool call, ready for the app to execute.

    ``idempotency_key`` is the request's key plus the call's position: stable across the
    retries and fallbacks of one logical request, so an app that records it before a
    side effect never performs that effect twice.
    """

    id: str | None
    name: str
    arguments: dict[str, Any]
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
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
    tool_calls: tuple[ToolCall, ...] = ()  # validated, with their idempotency keys
    workflow: str = "default"
    chain: tuple[str, ...] = ()  # the workflow's models in order: primary first
    fallback_mode: str = "openrouter"  # "openrouter" (models field) or "client" (walked by the client)
    stop_reason: StopReason | None = None  # why the client stopped: served, budget, deadline, ...
    overrides: tuple[str, ...] = ()  # ids of the on-call route overrides that shaped this request
    partial_text: str = ""  # the content the last failed stream delivered before it failed
    kind: str | None = None  # the app's label for the request (``chat(kind=...)``)

    @property
    def text(self) -> str | None:
        """The answer's content; None when nothing was served (or it held only tool calls)."""
        if self.response is None:
            return None
        choices = self.response.get("choices") or [{}]
        content = (choices[0].get("message") or {}).get("content")
        return content if isinstance(content, str) else None

    @property
    def usage(self) -> dict[str, Any] | None:
        """The served response's ``usage`` block, as the upstream sent it."""
        usage = self.response.get("usage") if self.response is not None else None
        return usage if isinstance(usage, dict) else None

    @property
    def fallback_depth(self) -> int | None:
        """Position in the chain of the model that served (0 = primary); None when unserved or unknown."""
        served = self.served_model
        if served is None:
            return None
        for i, model in enumerate(self.chain):
            if same_base_model(served, model):
                return i
        return None

    @property
    def retries(self) -> int:
        return sum(1 for a in self.attempts if a.next_hop is not None and a.next_hop.kind is HopKind.RETRY)

    @property
    def fallbacks(self) -> int:
        return sum(1 for a in self.attempts if a.next_hop is not None and a.next_hop.kind is HopKind.FALLBACK)

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
        """What every attempt cost, estimates included (see ``Attempt.cost_estimated``)."""
        return sum((a.cost_usd for a in self.attempts), Decimal(0))

    @property
    def cost_estimated(self) -> bool:
        return any(a.cost_estimated for a in self.attempts)

    @property
    def latency_s(self) -> float:
        if not self.attempts:
            return 0.0
        first, last = self.attempts[0], self.attempts[-1]
        return last.started_at + last.latency_s - first.started_at + first.wait_before_s


def reconciled(attempt: Attempt, generation: Mapping[str, Any]) -> Attempt:
    """The attempt with its estimated cost replaced by what ``GET /generation`` reports
    (``data.total_cost``); unchanged when the answer has no cost or the cost was reported."""
    data = generation.get("data", generation)
    total = data.get("total_cost") if isinstance(data, Mapping) else None
    if not attempt.cost_estimated or isinstance(total, bool) or not isinstance(total, int | float | str):
        return attempt
    try:
        cost = Decimal(str(total))
    except ArithmeticError:
        return attempt
    if not cost.is_finite() or cost < 0:
        return attempt
    return replace(attempt, cost_usd=cost, cost_estimated=False)
