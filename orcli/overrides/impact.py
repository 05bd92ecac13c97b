"""What an override would do to the workflows of some policies, before it is stored.

For each workflow: the compiled request and the endpoints OpenRouter would try, with
the overrides already in force (before) and with the new one too (after). ``orcli
route preview`` prints this; ``orcli route disable``/``force`` refuse an override that
leaves a workflow with no eligible endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orcli.catalog.model import Catalog
from orcli.ids import base_model
from orcli.overrides.apply import NoModelLeft
from orcli.overrides.model import Override, OverrideAction
from orcli.overrides.resolve import ResolvedWorkflow, compile_resolved, resolve_workflow
from orcli.policy.compile import route_request
from orcli.policy.load import LoadedPolicy
from orcli.policy.model import Workflow
from orcli.routing.plan import plan_route


@dataclass(frozen=True)
class PolicyWorkflow:
    source: str  # the policy file
    name: str
    workflow: Workflow


def policy_workflows(policies: Iterable[LoadedPolicy]) -> list[PolicyWorkflow]:
    return [PolicyWorkflow(p.path, name, wf) for p in policies for name, wf in p.policy.workflows.items()]


@dataclass(frozen=True)
class RouteState:
    """One workflow under one set of overrides."""

    resolved: ResolvedWorkflow | None  # None when the overrides leave no model at all
    compiled: dict[str, Any] | None  # what ``orcli compile`` prints for it
    eligible: tuple[str, ...]  # "model via endpoint-tag", in try order
    problem: str | None  # why nothing is eligible

    def to_json(self) -> dict[str, Any]:
        return {
            "compiled": self.compiled,
            "eligible": list(self.eligible),
            "problem": self.problem,
            "overrides": [o.id for o in self.resolved.applied] if self.resolved else [],
        }


def route_state(
    name: str, workflow: Workflow, overrides: Sequence[Override], catalog: Catalog, now: datetime
) -> RouteState:
    try:
        resolved = resolve_workflow(name, workflow, overrides, now)
    except NoModelLeft as exc:
        return RouteState(None, None, (), exc.message)
    plan = plan_route(route_request(resolved.workflow), catalog)
    eligible = tuple(f"{model_id} via {cand.endpoint.tag}" for model_id, cand in plan.attempts)
    problem = None
    if not eligible:
        failure = plan.failure
        problem = failure.message if failure is not None else "no eligible endpoint"
    return RouteState(resolved, compile_resolved(resolved), eligible, problem)


@dataclass(frozen=True)
class Impact:
    source: str
    workflow: str
    before: RouteState
    after: RouteState

    @property
    def changed(self) -> bool:
        """The endpoints OpenRouter would try changed (which, or their order), or why none is
        eligible did. A request that changes without changing its route (ignoring a provider
        the workflow never reaches) is not a change on-call needs to hear about."""
        return self.before.eligible != self.after.eligible or self.before.problem != self.after.problem

    @property
    def stranded(self) -> bool:
        """Routable before, nothing eligible after."""
        return bool(self.before.eligible) and not self.after.eligible

    @property
    def lost(self) -> tuple[str, ...]:
        return tuple(e for e in self.before.eligible if e not in self.after.eligible)

    @property
    def gained(self) -> tuple[str, ...]:
        return tuple(e for e in self.after.eligible if e not in self.before.eligible)

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "policy": self.source,
            "stranded": self.stranded,
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "no_longer_eligible": list(self.lost),
            "newly_eligible": list(self.gained),
        }


def assess(
    candidate: Override,
    existing: Sequence[Override],
    targets: Sequence[PolicyWorkflow],
    catalog: Catalog,
    now: datetime,
) -> list[Impact]:
    """The workflows ``candidate`` would change, before and after adding it to ``existing``."""
    impacts: list[Impact] = []
    for target in targets:
        if not candidate.targets(target.name):
            continue
        before = route_state(target.name, target.workflow, existing, catalog, now)
        after = route_state(target.name, target.workflow, (*existing, candidate), catalog, now)
        impact = Impact(target.source, target.name, before, after)
        if impact.changed:
            impacts.append(impact)
    return impacts


def unknown_targets(candidate: Override, targets: Sequence[PolicyWorkflow], catalog: Catalog) -> list[str]:
    """Names in ``candidate`` that match nothing: a typo here would silently change nothing."""
    problems: list[str] = []
    if candidate.workflow is not None and targets and all(t.name != candidate.workflow for t in targets):
        sources = sorted({t.source for t in targets})
        problems.append(f"--workflow: no workflow '{candidate.workflow}' in {', '.join(sources)}")
    if candidate.model is not None:
        base = base_model(candidate.model)
        known = catalog.get(candidate.model) is not None or catalog.get(base) is not None
        if not known and not (candidate.action is OverrideAction.DISABLE and _in_any_chain(candidate.model, targets)):
            problems.append(f"--model: '{candidate.model}' is not in the catalog ({catalog.source})")
    if candidate.provider is not None:
        slug = candidate.provider
        if not any(ep.matches(slug) for model in catalog.models for ep in model.endpoints):
            problems.append(f"--provider: no endpoint in the catalog ({catalog.source}) matches '{slug}'")
    return problems


def _in_any_chain(model_id: str, targets: Sequence[PolicyWorkflow]) -> bool:
    return any(model_id in t.workflow.models.all for t in targets)


def stranded_workflows(
    targets: Sequence[PolicyWorkflow], overrides: Sequence[Override], catalog: Catalog, now: datetime
) -> list[Impact]:
    """Workflows that route as written but have no eligible endpoint with ``overrides``
    (those active at ``now``) applied: what ``validate`` reports about the overrides file."""
    stranded: list[Impact] = []
    for target in targets:
        before = route_state(target.name, target.workflow, (), catalog, now)
        after = route_state(target.name, target.workflow, overrides, catalog, now)
        impact = Impact(target.source, target.name, before, after)
        if impact.stranded:
            stranded.append(impact)
    return stranded
