from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult
from orcli.policy.model import DegradationMode


class FailSafeApproved(Expectation):
    """Fail-safe workflows are answered only by their approved models, or fail safe."""

    kind: Literal["fail_safe_approved"]
    approved_models: tuple[str, ...] = ()  # default: the workflow's own chain

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        bad: list[str] = []
        checked = 0
        for row in self.rows(facts):
            workflow = facts.workflows[row.workflow]
            if workflow.degradation.mode is not DegradationMode.FAIL_SAFE:
                continue
            checked += 1
            approved = self.approved_models or workflow.models.all
            served = row.result.served_model
            if row.result.ok and (served is None or served.split(":")[0] not in approved or row.violations):
                bad.append(describe(row))
        if checked == 0:
            return self.verdict(False, "no request of a fail_safe workflow was sent")
        return self.verdict(
            not bad, f"{len(bad)} of {checked} fail-safe request(s) answered off the approved routes", bad
        )
