"""What a drill keeps of each result once the client has judged it.

A drill of 100,000 requests would otherwise hold 100,000 parsed completions and as many
copies of the same few values. Verdicts and reports read, of the response, only the
first choice's finish reason, every choice's tool calls (``no_truncated_success``,
``no_malformed_tool_call``) and whether a BYOK key paid (``usage.is_byok``); the serving
identity, tokens and cost are on the attempts. So a kept response is reduced to those,
and equal values (reduced responses without tool calls, costs, hop trails, model chains,
next-hop notes, reasons) are stored once per drill and shared by every record that has
them. Shared values are never modified: records are read-only.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

from orcli.client.ledger import Attempt, ChatResult

T = TypeVar("T")

_KEPT_PER_CHOICE = ("index", "finish_reason", "native_finish_reason")
_SHORT = 64  # strings up to this length are worth interning


def _shared_str(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) and len(value) <= _SHORT else value


class Compactor:
    """One per drill: the table of values its records share."""

    def __init__(self) -> None:
        self._values: dict[object, Any] = {}

    def share(self, value: T) -> T:
        """``value``, or an equal one seen before (hashable values of one type only)."""
        found: T = self._values.setdefault((type(value), value), value)
        return found

    def _cost(self, cost: Decimal) -> Decimal:
        # Decimal("0.10") == Decimal("0.1"), yet they print differently: key by the text.
        found: Decimal = self._values.setdefault((Decimal, str(cost)), cost)
        return found

    def result(self, result: ChatResult) -> ChatResult:
        """``result`` reduced to what verdicts and reports read, its repeated values shared."""
        return replace(
            result,
            response=None if result.response is None else self.response(result.response),
            attempts=tuple(self._attempt(a) for a in result.attempts),
            chain=self.share(result.chain),
            alerts=self.share(result.alerts),
        )

    def _attempt(self, attempt: Attempt) -> Attempt:
        return replace(
            attempt,
            cost_usd=self._cost(attempt.cost_usd),
            upstream_hops=self.share(attempt.upstream_hops),
            models=self.share(attempt.models),
            ignored_providers=self.share(attempt.ignored_providers),
            next_hop=self.share(attempt.next_hop),
            detail=self.share(attempt.detail),
        )

    def response(self, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        usage = body.get("usage")
        if isinstance(usage, dict) and "is_byok" in usage:
            out["usage"] = {"is_byok": usage["is_byok"]}
        choices = body.get("choices")
        if not isinstance(choices, list):
            return out
        kept = [_choice(choice) if isinstance(choice, dict) else choice for choice in choices]
        out["choices"] = kept
        if not all(isinstance(choice, dict) and "message" not in choice for choice in kept):
            return out  # tool calls (or an odd choice): kept as they are, unshared
        try:
            key = (repr(out.get("usage")), *(tuple(choice.items()) for choice in kept))
            found: dict[str, Any] = self._values.setdefault(("response", key), out)
        except TypeError:  # an unhashable finish reason
            return out
        return found


def _choice(choice: dict[str, Any]) -> dict[str, Any]:
    out = {key: _shared_str(choice[key]) for key in _KEPT_PER_CHOICE if key in choice}
    message = choice.get("message")
    if isinstance(message, dict) and message.get("tool_calls"):
        out["message"] = {"tool_calls": message["tool_calls"]}
    return out
