from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.records import ExpectationResult


class FaultsFired(Expectation):
    """Every declared fault was applied at least once: it changed what the client received.
    A drill whose faults never bit proves nothing; a fault that only matched (a stream cut
    after more tokens than the answer had) never bit either."""

    kind: Literal["faults_fired"]

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        if not facts.declared_faults:
            return self.vacuous("no fault is declared")
        matched = {f.fault_id: 0 for f in facts.declared_faults}
        applied = dict(matched)
        for firing in facts.fired:
            matched[firing.fault_id] = matched.get(firing.fault_id, 0) + 1
            applied[firing.fault_id] = applied.get(firing.fault_id, 0) + firing.applied
        silent = [_silent(fid, matched[fid]) for fid, n in applied.items() if n == 0]
        shown = ", ".join(_count(fid, matched[fid], n) for fid, n in applied.items())
        return self.verdict(not silent, f"fired: {shown}", silent)


def _silent(fault_id: str, matched: int) -> str:
    if matched == 0:
        return f"fault '{fault_id}' never fired"
    return f"fault '{fault_id}' matched {matched}x, never applied"


def _count(fault_id: str, matched: int, applied: int) -> str:
    if matched == applied:
        return f"{fault_id} x{applied}"
    return f"{fault_id} x{applied} applied ({matched} matched)"
