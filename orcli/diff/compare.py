"""Compare one workflow across two policy versions: request, client, routes, prices, chain.

Everything here is a pure function of the two workflows and the catalog. The compiled
request and client settings are diffed field by field (lists compare whole: a reordered
``models`` list is one change, read at a glance). Each change keeps the policy path it
comes from, so output can point at the line in the new file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from orcli.catalog.model import Catalog, Endpoint
from orcli.diff.cost import CostEstimate, expected_cost
from orcli.diff.sources import PlacedWorkflow
from orcli.policy.compile import compile_workflow, route_request
from orcli.policy.model import DataClass, Workflow
from orcli.routing.plan import RoutePlan, plan_route
from orcli.sourcefile import Loc, Position

Status = Literal["added", "removed", "changed", "unchanged"]
Section = Literal["request", "client", "ceiling"]


class _Missing:
    def __repr__(self) -> str:
        return "(unset)"


MISSING: Any = _Missing()

# Fields of the compiled output that are price ceilings: shown in their own group.
CEILING_FIELDS = (("provider", "max_price"), ("budget",))


@dataclass(frozen=True)
class FieldChange:
    section: Section
    field: str  # dotted, as the compiled output names it: "provider.zdr", "timeouts.attempt_s"
    old: Any  # JSON value, or MISSING
    new: Any
    loc: Loc  # where in the workflow the policy sets it


@dataclass(frozen=True)
class EndpointChange:
    model: str
    added: tuple[str, ...]  # endpoint tags newly eligible
    removed: tuple[str, ...]  # endpoint tags no longer eligible


@dataclass(frozen=True)
class DataPolicyFlag:
    """A newly eligible endpoint that does with prompts what the workflow's data policy rules out."""

    model: str
    endpoint: str
    problem: str


@dataclass(frozen=True)
class WorkflowDiff:
    name: str
    status: Status
    old: PlacedWorkflow | None
    new: PlacedWorkflow | None
    changes: tuple[FieldChange, ...] = ()
    endpoints: tuple[EndpointChange, ...] = ()
    flags: tuple[DataPolicyFlag, ...] = ()
    cost_old: CostEstimate | None = None
    cost_new: CostEstimate | None = None
    chain_old: tuple[str, ...] = ()
    chain_new: tuple[str, ...] = ()

    def section(self, section: Section) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.changes if c.section == section)

    @property
    def chain_changed(self) -> bool:
        return self.status == "changed" and self.chain_old != self.chain_new

    @property
    def cost_changed(self) -> bool:
        old = self.cost_old.per_1k_requests_usd if self.cost_old else None
        new = self.cost_new.per_1k_requests_usd if self.cost_new else None
        return old != new

    def position(self, change: FieldChange | None = None) -> tuple[str, Position]:
        """File and position to blame: the change's line in the new file (the old one if removed)."""
        placed = self.new or self.old
        assert placed is not None  # a diff always has at least one side
        if change is None:
            return placed.entry.shown, placed.loaded.document.position(("workflows", self.name), key=True)
        return placed.entry.shown, placed.loaded.position(self.name, *change.loc)

    def blame(self) -> tuple[str, Position]:
        """The first changed line of the workflow, or its name's line when nothing is located."""
        if self.new is not None and self.changes:
            located = [self.position(c) for c in self.changes]
            return min(located, key=lambda fp: (fp[1].line, fp[1].col))
        return self.position()


def compare(old: PlacedWorkflow | None, new: PlacedWorkflow | None, catalog: Catalog) -> WorkflowDiff:
    name = (new or old).name  # type: ignore[union-attr]  # at least one side exists
    old_plan = _plan(old.workflow, catalog) if old else None
    new_plan = _plan(new.workflow, catalog) if new else None
    cost_old = expected_cost(old.workflow, old_plan) if old and old_plan else None
    cost_new = expected_cost(new.workflow, new_plan) if new and new_plan else None
    chain_old = old.workflow.models.all if old else ()
    chain_new = new.workflow.models.all if new else ()
    if old is None or new is None:
        status: Status = "added" if old is None else "removed"
        return WorkflowDiff(
            name, status, old, new, cost_old=cost_old, cost_new=cost_new, chain_old=chain_old, chain_new=chain_new
        )
    changes = tuple(field_changes(old.workflow, new.workflow))
    assert old_plan is not None and new_plan is not None
    endpoints = tuple(endpoint_changes(old_plan, new_plan))
    flags = tuple(data_policy_flags(old.workflow, new.workflow, new_plan, endpoints))
    return WorkflowDiff(
        name,
        "changed" if changes or endpoints else "unchanged",
        old,
        new,
        changes,
        endpoints,
        flags,
        cost_old,
        cost_new,
        chain_old,
        chain_new,
    )


def _plan(workflow: Workflow, catalog: Catalog) -> RoutePlan:
    return plan_route(route_request(workflow), catalog)


# --- compiled fields ------------------------------------------------------------------------


def field_changes(old: Workflow, new: Workflow) -> Iterator[FieldChange]:
    before, after = _compiled(old), _compiled(new)
    for key in _union(before, after):
        was, now = before.get(key, MISSING), after.get(key, MISSING)
        if was != now:
            section, *path = key
            field = ".".join(path)
            is_ceiling = any(tuple(path[: len(prefix)]) == prefix for prefix in CEILING_FIELDS)
            yield FieldChange("ceiling" if is_ceiling else section, field, was, now, policy_loc(section, tuple(path)))  # type: ignore[arg-type]


def _compiled(workflow: Workflow) -> dict[tuple[str, ...], Any]:
    compiled = compile_workflow("_", workflow)
    flat: dict[tuple[str, ...], Any] = {}
    _flatten(("request",), compiled["request"], flat)
    flat[("request", "parameters")] = compiled["parameters_sent"]
    _flatten(("client",), compiled["client"], flat)
    # The client's chain repeats model + models; the fallback chain section shows it once.
    flat.pop(("client", "app_fallback", "chain"), None)
    return flat


def _flatten(prefix: tuple[str, ...], value: Any, out: dict[tuple[str, ...], Any]) -> None:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            _flatten((*prefix, str(key)), item, out)
    elif prefix[-1].endswith("_usd") and isinstance(value, str):
        out[prefix] = _number(Decimal(value))  # the JSON dump quotes decimals; show them as numbers
    else:
        out[prefix] = value


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _union(a: Mapping[tuple[str, ...], Any], b: Mapping[tuple[str, ...], Any]) -> list[tuple[str, ...]]:
    keys = list(a)
    keys.extend(k for k in b if k not in a)
    return keys


# Compiled request field -> the policy key that sets it.
_REQUEST_LOCS: dict[str, Loc] = {
    "model": ("models", "primary"),
    "models": ("models", "fallbacks"),
    "max_tokens": ("needs", "max_output_tokens"),
    "stream": ("needs", "streaming"),
    "parameters": ("needs",),
}


def policy_loc(section: str, path: tuple[str, ...]) -> Loc:
    """Where in a workflow the compiled field at ``path`` comes from."""
    head = path[0] if path else ""
    if section == "request":
        if head == "provider":
            return path
        return _REQUEST_LOCS.get(head, ())
    if path[:2] == ("app_fallback", "chain"):
        return ("models",)
    return path


# --- endpoints --------------------------------------------------------------------------------


def _eligible(plan: RoutePlan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for model_plan in plan.models:
        out.setdefault(model_plan.model_id, []).extend(c.endpoint.tag for c in model_plan.candidates)
    return out


def endpoint_changes(old: RoutePlan, new: RoutePlan) -> Iterator[EndpointChange]:
    before, after = _eligible(old), _eligible(new)
    models = list(before)
    models.extend(m for m in after if m not in before)
    for model in models:
        was, now = before.get(model, []), after.get(model, [])
        added = tuple(t for t in now if t not in was)
        removed = tuple(t for t in was if t not in now)
        if added or removed:
            yield EndpointChange(model, added, removed)


def data_policy_flags(
    old: Workflow, new: Workflow, new_plan: RoutePlan, changes: tuple[EndpointChange, ...]
) -> Iterator[DataPolicyFlag]:
    endpoints: dict[tuple[str, str], Endpoint] = {
        (p.model_id, c.endpoint.tag): c.endpoint for p in new_plan.models for c in p.candidates
    }
    for change in changes:
        for tag in change.added:
            endpoint = endpoints.get((change.model, tag))
            if endpoint is None:
                continue
            problems = list(data_policy_problems(endpoint, old, new))
            if problems:
                yield DataPolicyFlag(change.model, tag, "; ".join(problems))


def data_policy_problems(endpoint: Endpoint, old: Workflow, new: Workflow) -> Iterator[str]:
    """What a newly reachable endpoint does that the workflow's data policy rules out.

    The workflow's data policy is what its old version enforced (``provider.zdr``,
    ``provider.data_collection: deny``) plus what its data class asks for: regulated
    data only on zero-data-retention endpoints, internal and regulated data never on
    an endpoint that trains on or retains prompts.
    """
    policy = endpoint.data_policy
    data_class = new.data_class
    if not policy.zdr and (old.provider.zdr or data_class is DataClass.REGULATED):
        why = "the old policy required zdr" if old.provider.zdr else f"data_class is {data_class.value}"
        yield f"not a zero-data-retention endpoint ({why})"
    if policy.collects and (old.provider.data_collection == "deny" or data_class is not DataClass.PUBLIC):
        what = "trains on prompts" if policy.training else "retains prompts"
        why = (
            "the old policy denied data collection"
            if old.provider.data_collection == "deny"
            else f"data_class is {data_class.value}"
        )
        yield f"{what} ({why})"
