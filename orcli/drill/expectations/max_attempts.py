from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult


class MaxAttempts(Expectation):
    """No request made more than ``max`` attempts: bounded retries, no retry storm."""

    kind: Literal["max_attempts"]
    max: int = Field(ge=1)

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        rows = self.rows(facts)
        if not rows:
            return self.vacuous("no request was sent")
        most = max((len(r.result.attempts) for r in rows), default=0)
        bad = [describe(r) for r in rows if len(r.result.attempts) > self.max]
        return self.verdict(not bad, f"most attempts for one request: {most} (allowed <= {self.max})", bad)
