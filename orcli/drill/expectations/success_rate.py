from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.records import ExpectationResult, Outcome


class SuccessRate(Expectation):
    """Share of requests answered (served or degraded), overall and in every time window."""

    kind: Literal["success_rate"]
    min: float = Field(ge=0, le=1)
    window_s: float | None = Field(default=None, gt=0)  # also require it in each window of this size
    count_failed_safe: bool = False  # count clean fail-safe answers as successes

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        good = {Outcome.SERVED, Outcome.DEGRADED} | ({Outcome.FAILED_SAFE} if self.count_failed_safe else set())
        rows = self.rows(facts)
        if not rows:
            return self.verdict(False, "no requests to measure")
        rate = sum(r.outcome in good for r in rows) / len(rows)
        evidence: list[str] = []
        if self.window_s is not None:
            buckets: dict[int, list[bool]] = {}
            for r in rows:
                buckets.setdefault(int(r.at_s // self.window_s), []).append(r.outcome in good)
            for bucket, oks in sorted(buckets.items()):
                share = sum(oks) / len(oks)
                if share < self.min:
                    start = bucket * self.window_s
                    evidence.append(
                        f"window {start:.0f}-{start + self.window_s:.0f}s: {share:.1%} of {len(oks)} requests"
                    )
        passed = rate >= self.min and not evidence
        windows = f", every {self.window_s:g}s window" if self.window_s else ""
        return self.verdict(passed, f"success rate {rate:.1%} (required >= {self.min:.1%}{windows})", evidence)
