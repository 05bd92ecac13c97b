from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult


class WithinPolicy(Expectation):
    """Every answer came from a route the policy allows (model chain, providers, data policy, price)."""

    kind: Literal["within_policy"]

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        if not any(r.result.ok for r in self.rows(facts)):
            return self.vacuous("no answered request")
        bad = [r for r in self.rows(facts) if r.violations]
        evidence = [f"{describe(r)}: {'; '.join(r.violations)}" for r in bad]
        return self.verdict(not bad, f"{len(bad)} answer(s) outside the policy", evidence)
