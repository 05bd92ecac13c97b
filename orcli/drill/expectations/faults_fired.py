from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.records import ExpectationResult


class FaultsFired(Expectation):
    """Every declared fault fired at least once: a drill whose faults never bit proves nothing."""

    kind: Literal["faults_fired"]

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        if not facts.declared_faults:
            return self.vacuous("no fault is declared")
        counts = {f.fault_id: 0 for f in facts.declared_faults}
        for firing in facts.fired:
            counts[firing.fault_id] = counts.get(firing.fault_id, 0) + 1
        silent = [f"fault '{fid}' never fired" for fid, n in counts.items() if n == 0]
        shown = ", ".join(f"{fid} x{n}" for fid, n in counts.items()) or "no faults declared"
        return self.verdict(not silent, f"fired: {shown}", silent)
