from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult
from orcli.policy.model import ErrorClass


class AlertRaised(Expectation):
    """Every request that failed with ``error_class`` raised an operator alert."""

    kind: Literal["alert_raised"]
    error_class: ErrorClass

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        hits = [r for r in self.rows(facts) if r.result.error_class is self.error_class]
        silent = [describe(r) for r in hits if not r.result.alerts]
        if not hits:
            return self.vacuous(f"no request failed with {self.error_class.value}")
        return self.verdict(
            not silent, f"{len(hits) - len(silent)} of {len(hits)} {self.error_class.value} failure(s) alerted", silent
        )
