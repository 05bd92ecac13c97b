"""Hard caps and abort safeguards of a live drill, as plain bookkeeping.

Every request that would reach the network first reserves its worst-case cost and one
request from the allowance (:meth:`LiveGuard.reserve`); the send is refused when either
cap would be crossed. When the answer is in, :meth:`LiveGuard.settle` replaces the
reservation with the cost the response reported, or keeps the whole reservation as spent
when it reported none (a cut stream, a timeout): the cap must hold even when the upstream
says nothing. The check and the reservation happen in one synchronous step, so concurrent
requests on one event loop can never both slip under the same cap.

The safeguards follow Chaos Toolkit's idea of a steady-state guard: once the share of real
failed responses (over a minimum sample) or the spend crosses its threshold, the drill is
aborted and every later send is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orcli.catalog.model import Catalog
from orcli.client.budget import estimate_prompt_tokens, usd
from orcli.errors import BudgetExceeded

DEFAULT_MAX_REQUESTS = 20
DEFAULT_MAX_COST_USD = Decimal("0.10")
DEFAULT_LIVE_MAX_TOKENS = 64
DEFAULT_ABORT_ERROR_RATE = 0.5
DEFAULT_ABORT_MIN_REQUESTS = 5
DEFAULT_ABORT_SPEND_SHARE = Decimal("0.8")  # abort at 80% of --max-cost unless told otherwise
# Tokenizers differ from the four-characters rule (code, non-English text): price the prompt
# at twice the estimate so the worst case stays a worst case.
PROMPT_SAFETY_FACTOR = 2


@dataclass(frozen=True, slots=True)
class LiveLimits:
    max_requests: int = DEFAULT_MAX_REQUESTS
    max_cost_usd: Decimal = DEFAULT_MAX_COST_USD
    abort_error_rate: float = DEFAULT_ABORT_ERROR_RATE
    abort_min_requests: int = DEFAULT_ABORT_MIN_REQUESTS
    abort_spend_usd: Decimal | None = None  # None: DEFAULT_ABORT_SPEND_SHARE of max_cost_usd

    @property
    def spend_threshold_usd(self) -> Decimal:
        if self.abort_spend_usd is not None:
            return self.abort_spend_usd
        return self.max_cost_usd * DEFAULT_ABORT_SPEND_SHARE


class CapReached(BudgetExceeded):
    """A send refused by a live cap or after an abort. Nothing was sent."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """One admitted send: its number and the cost reserved for it."""

    number: int
    reserved_usd: Decimal


def worst_case_usd(body: Mapping[str, Any], catalog: Catalog) -> tuple[Decimal | None, str]:
    """The most one chat request can cost: the prompt (estimated generously) plus its
    ``max_tokens`` of output at the most expensive endpoint of every model it names.
    ``(None, why)`` when some model has no price in the catalog."""
    models = [body.get("model"), *(body.get("models") or [])]
    messages = body.get("messages") or []
    tools = body.get("tools") or None
    prompt_tokens = estimate_prompt_tokens(messages, tools) * PROMPT_SAFETY_FACTOR
    max_tokens = body.get("max_tokens")
    worst = Decimal(0)
    for model_id in models:
        if not isinstance(model_id, str):
            continue
        model = catalog.get(model_id)
        if model is None:
            return None, f"no price for '{model_id}' in the catalog ({catalog.source})"
        for ep in model.endpoints:
            output = max_tokens if isinstance(max_tokens, int) else ep.max_completion_tokens
            worst = max(worst, ep.pricing.cost(prompt_tokens, output))
    return worst, f"~{prompt_tokens} prompt + {max_tokens} output tokens at the priciest endpoint"


def reported_cost_usd(body: Any) -> Decimal | None:
    """``usage.cost`` of a response body, when it states one."""
    usage = body.get("usage") if isinstance(body, Mapping) else None
    cost = usage.get("cost") if isinstance(usage, Mapping) else None
    if isinstance(cost, bool) or not isinstance(cost, int | float | str):
        return None
    try:
        value = Decimal(str(cost))
    except ArithmeticError:
        return None
    return value if value.is_finite() and value >= 0 else None


def stream_cost_usd(lines: Sequence[str]) -> Decimal | None:
    """The last ``usage.cost`` found in the data lines of a server-sent event stream."""
    found: Decimal | None = None
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if '"usage"' not in data:
            continue
        try:
            cost = reported_cost_usd(json.loads(data))
        except ValueError:
            continue
        found = cost if cost is not None else found
    return found


class LiveGuard:
    """Caps and safeguards shared by every request of one live drill."""

    def __init__(self, limits: LiveLimits) -> None:
        self.limits = limits
        self.sent = 0
        self.spent_usd = Decimal(0)
        self.reserved_usd = Decimal(0)
        self.answered = 0  # sends whose outcome is known
        self.real_failures = 0
        self.refused: list[str] = []
        self.abort_reason: str | None = None
        self.spend_limit: str | None = None  # OpenRouter's message when a budget refused a request
        self.cache_hits: set[str | None] = set()  # idempotency keys answered from the response cache

    @property
    def aborted(self) -> bool:
        return self.abort_reason is not None

    def reserve(self, worst_usd: Decimal | None, basis: str) -> Ticket:
        """Admit one send or raise :class:`CapReached`. Synchronous on purpose: no other
        request can run between the check and the reservation."""
        limits = self.limits
        if self.abort_reason is not None:
            self._refuse(f"drill aborted ({self.abort_reason}); nothing more is sent", worst_usd)
        if self.sent >= limits.max_requests:
            self._refuse(f"--max-requests {limits.max_requests} reached; nothing more is sent", worst_usd)
        if worst_usd is None:
            self._refuse(f"cannot bound the cost of this request: {basis}; pull prices with 'orcli catalog pull'", None)
        assert worst_usd is not None
        committed = self.spent_usd + self.reserved_usd
        if committed + worst_usd > limits.max_cost_usd:
            self._refuse(
                f"--max-cost {usd(limits.max_cost_usd)}: this request could cost up to {usd(worst_usd)} ({basis}) "
                f"and {usd(committed)} is already spent or reserved; nothing was sent",
                worst_usd,
            )
        self.sent += 1
        self.reserved_usd += worst_usd
        return Ticket(self.sent, worst_usd)

    def _refuse(self, message: str, worst_usd: Decimal | None) -> None:
        self.refused.append(message)
        raise CapReached(
            f"live cap: {message}",
            scope="live",
            estimate_usd=worst_usd or Decimal(0),
            cap_usd=self.limits.max_cost_usd,
        )

    def settle(self, ticket: Ticket, actual_usd: Decimal | None) -> None:
        """Release the reservation; book what the request cost (all of it when unknown)."""
        self.reserved_usd -= ticket.reserved_usd
        cost = ticket.reserved_usd if actual_usd is None else actual_usd
        self.spent_usd += cost
        threshold = self.limits.spend_threshold_usd
        if self.abort_reason is None and self.spent_usd >= threshold:
            self.abort_reason = f"spend {usd(self.spent_usd)} reached the abort threshold {usd(threshold)}"

    def spend_limit_reached(self, message: str) -> None:
        """A key, guardrail or workspace budget refused a request: stop at once. Retrying or
        moving on to other models cannot help, and the owner of the budget should know."""
        if self.spend_limit is None:
            self.spend_limit = message
        if self.abort_reason is None or not self.abort_reason.startswith("spend limit"):
            self.abort_reason = f"spend limit reached on OpenRouter: {message}"

    def observe(self, failed: bool) -> None:
        """Count one real response (or transport failure) for the error-rate safeguard."""
        self.answered += 1
        self.real_failures += failed
        limits = self.limits
        if self.abort_reason is not None or self.answered < limits.abort_min_requests:
            return
        rate = self.real_failures / self.answered
        if rate >= limits.abort_error_rate:
            self.abort_reason = (
                f"error rate {rate:.0%} ({self.real_failures} of {self.answered} real responses failed) "
                f"crossed the abort threshold {limits.abort_error_rate:.0%}"
            )
