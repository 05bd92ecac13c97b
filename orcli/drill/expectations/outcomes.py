from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult, Outcome


class Outcomes(Expectation):
    """Bounds on how many requests ended in one outcome (count or share)."""

    kind: Literal["outcomes"]
    outcome: Outcome
    min_count: int | None = Field(default=None, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    min_share: float | None = Field(default=None, ge=0, le=1)
    max_share: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _some_bound(self) -> Outcomes:
        if all(v is None for v in (self.min_count, self.max_count, self.min_share, self.max_share)):
            raise ValueError("give at least one of min_count, max_count, min_share, max_share")
        return self

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        rows = self.rows(facts)
        if not rows:
            return self.vacuous("no request was sent")
        hits = [r for r in rows if r.outcome is self.outcome]
        n, share = len(hits), (len(hits) / len(rows) if rows else 0.0)
        too_few: list[str] = []
        too_many: list[str] = []
        if self.min_count is not None and n < self.min_count:
            too_few.append(f"fewer than {self.min_count}")
        if self.max_count is not None and n > self.max_count:
            too_many.append(f"more than {self.max_count}")
        if self.min_share is not None and share < self.min_share:
            too_few.append(f"share below {self.min_share:.1%}")
        if self.max_share is not None and share > self.max_share:
            too_many.append(f"share above {self.max_share:.1%}")
        problems = too_few + too_many
        # Too many: the offending requests are the evidence. Too few: the count says it all.
        others = [describe(r) for r in hits] if too_many else []
        summary = f"{n} of {len(rows)} request(s) {self.outcome.value} ({share:.1%})"
        if problems:
            summary += ": " + ", ".join(problems)
        return self.verdict(not problems, summary, others)
