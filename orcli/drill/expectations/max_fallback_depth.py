from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult


class MaxFallbackDepth(Expectation):
    """No answer came from deeper in the model chain than ``max`` (0 = primary model only)."""

    kind: Literal["max_fallback_depth"]
    max: int = Field(ge=0)

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        rows = [r for r in self.rows(facts) if r.result.ok]
        if not rows:
            return self.vacuous("no answered request")
        deepest = max((r.fallback_depth for r in rows), default=0)
        bad = [describe(r) for r in rows if r.fallback_depth > self.max]
        return self.verdict(not bad, f"deepest fallback used: {deepest} (allowed <= {self.max})", bad)
