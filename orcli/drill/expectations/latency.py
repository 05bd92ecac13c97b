from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.metrics import percentile
from orcli.drill.records import ExpectationResult


class Latency(Expectation):
    """Whole-request latency percentiles of answered requests, in seconds."""

    kind: Literal["latency"]
    p50_max_s: float | None = Field(default=None, gt=0)
    p95_max_s: float | None = Field(default=None, gt=0)
    p99_max_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some_bound(self) -> Latency:
        if self.p50_max_s is None and self.p95_max_s is None and self.p99_max_s is None:
            raise ValueError("give at least one of p50_max_s, p95_max_s, p99_max_s")
        return self

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        values = [r.latency_s for r in self.rows(facts) if r.result.ok]
        if not values:
            return self.vacuous("no answered request to measure")
        parts: list[str] = []
        passed = True
        for pct, bound in ((50, self.p50_max_s), (95, self.p95_max_s), (99, self.p99_max_s)):
            if bound is None:
                continue
            seen = percentile(values, pct)
            ok = seen <= bound
            passed &= ok
            parts.append(f"p{pct} {seen:.2f}s {'<=' if ok else '>'} {bound:g}s")
        return self.verdict(passed, ", ".join(parts))
