from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult

SLACK_S = 1e-6  # float rounding on the virtual clock


class RetryAfterRespected(Expectation):
    """After a 429 with Retry-After, the same route was not tried again before that time."""

    kind: Literal["retry_after_respected"]

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        bad: list[str] = []
        hints = 0
        for row in self.rows(facts):
            attempts = row.result.attempts
            for i, first in enumerate(attempts):
                if first.status != 429 or first.retry_after_s is None:
                    continue
                hints += 1
                allowed_at = first.started_at + first.latency_s + first.retry_after_s
                for later in attempts[i + 1 :]:
                    if later.model == first.model and later.started_at + SLACK_S < allowed_at:
                        early = allowed_at - later.started_at
                        bad.append(f"{describe(row)}: attempt {later.index} {early:.2f}s before Retry-After")
                        break
        if hints == 0:
            return self.vacuous("no 429 with a Retry-After hint was seen")
        return self.verdict(not bad, f"{hints} Retry-After hint(s) seen, {len(bad)} undercut", bad)
