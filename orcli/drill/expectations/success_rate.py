from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.records import ExpectationResult, Outcome, RequestRecord


class _Rate(Expectation):
    """A share of requests, overall and in every time window."""

    GOOD: ClassVar[frozenset[Outcome]]
    LABEL: ClassVar[str]

    min: float = Field(ge=0, le=1)
    window_s: float | None = Field(default=None, gt=0)  # also require it in each window of this size

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        rows = self.rows(facts)
        if not rows:
            return self.vacuous("no requests to measure")
        rate = self._share(rows)
        evidence: list[str] = []
        if self.window_s is not None:
            buckets: dict[int, list[RequestRecord]] = {}
            for r in rows:
                buckets.setdefault(int(r.at_s // self.window_s), []).append(r)
            for bucket, members in sorted(buckets.items()):
                share = self._share(members)
                if share < self.min:
                    start = bucket * self.window_s
                    evidence.append(
                        f"window {start:.0f}-{start + self.window_s:.0f}s: {share:.1%} of {len(members)} requests"
                    )
        passed = rate >= self.min and not evidence
        windows = f", every {self.window_s:g}s window" if self.window_s else ""
        return self.verdict(passed, f"{self.LABEL} {rate:.1%} (required >= {self.min:.1%}{windows})", evidence)

    def _share(self, rows: list[RequestRecord]) -> float:
        return sum(r.outcome in self.GOOD for r in rows) / len(rows)


class SuccessRate(_Rate):
    """Share of requests answered (served or degraded), overall and in every time window."""

    GOOD = frozenset({Outcome.SERVED, Outcome.DEGRADED})
    LABEL = "success rate"

    kind: Literal["success_rate"]

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "count_failed_safe" in data:
            raise ValueError(
                "count_failed_safe is gone: success_rate counts answered requests only; "
                "use kind: handled_rate to count clean fail-safe answers too"
            )
        return data


class HandledRate(_Rate):
    """Share of requests handled as the policy intends: answered, or failed safe by the policy's own path."""

    GOOD = frozenset({Outcome.SERVED, Outcome.DEGRADED, Outcome.FAILED_SAFE})
    LABEL = "handled rate"

    kind: Literal["handled_rate"]
