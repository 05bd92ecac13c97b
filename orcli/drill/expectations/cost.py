from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult


class Cost(Expectation):
    """Total and per-request spend, in USD."""

    kind: Literal["cost"]
    max_total_usd: Decimal | None = Field(default=None, ge=0)
    max_per_request_usd: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some_bound(self) -> Cost:
        if self.max_total_usd is None and self.max_per_request_usd is None:
            raise ValueError("give max_total_usd, max_per_request_usd or both")
        return self

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        rows = self.rows(facts)
        if not rows:
            return self.vacuous("no request was sent")
        total = sum((r.result.cost_usd for r in rows), Decimal(0))
        bad: list[str] = []
        if self.max_per_request_usd is not None:
            bad = [
                f"{describe(r)}: ${r.result.cost_usd:.6f}" for r in rows if r.result.cost_usd > self.max_per_request_usd
            ]
        over_total = self.max_total_usd is not None and total > self.max_total_usd
        summary = f"total ${total:.6f}"
        if self.max_total_usd is not None:
            summary += f" (allowed <= ${self.max_total_usd})"
        if self.max_per_request_usd is not None:
            summary += f"; {len(bad)} request(s) above ${self.max_per_request_usd} each"
        return self.verdict(not bad and not over_total, summary, bad)
