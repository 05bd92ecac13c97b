"""``budget``: a spending cap set on the account's side refuses the request.

OpenRouter answers a spent budget with 403, not 402: 402 means the account has too few
credits (``billing``), 403 that a cap someone set has been reached, whatever the credits.
Three caps can be reached: the API key's own limit, a guardrail's budget and a workspace
budget. The key and workspace messages are OpenRouter's as published (the workspace one in
its guardrails docs, the key one as seen in real traffic); the guardrail budget's wording
is not documented, so it follows the workspace message's pattern.

While a ``scope: key`` fault is in force, the simulator's ``GET /key`` shows the limit
reached (``limit_remaining: 0``); the other two caps are not the key's, and ``/key`` does
not show them on OpenRouter either.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from orcli.upstream.faults.behaviour import REFUSE_REQUEST
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest

BudgetScope = Literal["key", "guardrail", "workspace"]
BudgetPeriod = Literal["daily", "weekly", "monthly"]


class BudgetFault(
    Fault, order=190, acts=REFUSE_REQUEST, example="{kind: budget, scope: workspace, limit_usd: 500, start_s: 60}"
):
    """403 before routing: a key, guardrail or workspace budget is spent (not credits: that is `billing`)."""

    kind: Literal["budget"] = "budget"
    scope: BudgetScope = "key"
    limit_usd: float = Field(default=100.0, gt=0)
    period: BudgetPeriod = "monthly"
    message: str | None = None

    def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
        return ApiError(403, self.message or self.default_message(), {"error_type": "permission_denied"})

    def default_message(self) -> str:
        if self.scope == "key":
            return f"API key budget limit exceeded ({self.period} limit)"
        owner = "Workspace" if self.scope == "workspace" else "Guardrail"
        return f"{owner} {self.period} budget of ${self.limit_usd:,.2f} exceeded"

    def key_limit(self, usage_usd: float) -> dict[str, Any] | None:
        if self.scope != "key":
            return None
        return {"limit": max(self.limit_usd, usage_usd), "limit_remaining": 0.0, "limit_reset": self.period}
