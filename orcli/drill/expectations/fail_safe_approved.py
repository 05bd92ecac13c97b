from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.expectations.served_by import names
from orcli.drill.records import ExpectationResult, RequestRecord
from orcli.ids import base_model, slug_of_name
from orcli.policy.model import DegradationMode


class FailSafeApproved(Expectation):
    """Fail-safe workflows are answered only by their approved models (and, when given, their
    approved providers), or fail safe. Pinning them in the scenario keeps the governance
    fixed even if someone loosens the policy."""

    kind: Literal["fail_safe_approved"]
    approved_models: tuple[str, ...] = ()  # default: the workflow's own chain
    approved_providers: tuple[str, ...] = ()  # provider slugs; default: any the policy allows

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        bad: list[str] = []
        checked = 0
        for row in self.rows(facts):
            workflow = facts.workflows[row.workflow]
            if workflow.degradation.mode is not DegradationMode.FAIL_SAFE:
                continue
            checked += 1
            problem = self._problem(row, self.approved_models or workflow.models.all)
            if problem:
                bad.append(f"{describe(row)}: {problem}")
        if checked == 0:
            return self.vacuous("no request of a fail_safe workflow was sent")
        return self.verdict(
            not bad, f"{len(bad)} of {checked} fail-safe request(s) answered off the approved routes", bad
        )

    def _problem(self, row: RequestRecord, approved: tuple[str, ...]) -> str | None:
        if not row.result.ok:
            return None
        served = row.result.served_model
        if served is None or base_model(served) not in approved:
            return f"model {served} is not approved"
        if row.violations:
            return "; ".join(row.violations)
        if self.approved_providers:
            # By routing tag: "anthropic" approves anthropic and anthropic/byok, "anthropic/byok"
            # only the own key; a same-named endpoint ("deepinfra/turbo") is told apart.
            tag = row.endpoint or slug_of_name(row.result.served_provider or "")
            if not any(names(p, tag) for p in self.approved_providers):
                return f"provider {tag or '?'} is not approved ({', '.join(self.approved_providers)})"
        return None
