from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.records import ExpectationResult, Outcome


class Recovery(Expectation):
    """After a fault's window ends, the primary route serves again within ``within_s``."""

    kind: Literal["recovery"]
    fault: str  # the fault id whose window must end
    within_s: float = Field(gt=0)

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        declared = next((f for f in facts.declared_faults if f.fault_id == self.fault), None)
        if declared is None:
            return self.verdict(False, f"no fault with id '{self.fault}' is declared")
        if declared.end_s is None:
            return self.verdict(False, f"fault '{self.fault}' has no end time to recover from")
        if not any(f.fault_id == self.fault and f.applied for f in facts.fired):
            return self.vacuous(f"fault '{self.fault}' never applied: there was nothing to recover from")
        after = [r for r in self.rows(facts) if r.at_s >= declared.end_s]
        first = next((r for r in after if r.outcome is Outcome.SERVED), None)
        if first is None:
            return self.verdict(False, f"the primary route never served again after {declared.end_s:g}s")
        delay = first.at_s - declared.end_s
        return self.verdict(
            delay <= self.within_s,
            f"primary served again {delay:.1f}s after the fault ended (allowed <= {self.within_s:g}s)",
            [] if delay <= self.within_s else [f"first primary answer: request #{first.index} at {first.at_s:.1f}s"],
        )
