"""What of a workflow can be observed, and when a mutant is equivalent to its original.

A mutant is equivalent only when nothing a drill could see differs: the eligible
endpoints of every model, their order and first-pick odds (planned against the catalog
as the workflow's own BYOK keys shape it), the endpoints a run can reach once the
client's breakers start ignoring providers, the provider preferences the router reads
beyond eligibility, and the client's effective settings. Rules that only filter
endpoints (``only``, ``zdr``, ``max_price`` ...) are left out of the comparison on
purpose: their whole effect is the eligible set, compared itself.

Anything else must be one of :data:`REASONS`, a fixed list, each shown with the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orcli.catalog.byok import ByokMode, with_byok
from orcli.catalog.model import Catalog
from orcli.policy.compile import client_settings, provider_object, route_request
from orcli.policy.model import Workflow
from orcli.routing.plan import RoutePlan, plan_route

# Provider fields whose whole effect is which endpoints are eligible (compared through the plan).
# ``allow_fallbacks`` is one: the router reads it only to cut a request's endpoints to the top
# one (or to the ``order`` list), compared through the plan and the reachable endpoints, and
# neither the client nor the judge reads it.
FILTER_FIELDS = frozenset(
    {"only", "ignore", "data_collection", "zdr", "quantizations", "max_price", "require_parameters", "allow_fallbacks"}
)
ODDS_DIGITS = 4  # first-pick odds compared to 0.01 %


class Reason(StrEnum):
    """The fixed list of reasons a mutant may be called equivalent."""

    # A removed or changed filter whose every excluded endpoint the other rules exclude too.
    REDUNDANT_RULE = "redundant-rule"
    SAME_ROUTES_AND_SETTINGS = "same-routes-and-settings"
    # The breaker changed where it has nothing to skip: one model with one eligible endpoint.
    BREAKER_HAS_NOTHING_TO_SKIP = "breaker-has-nothing-to-skip"
    # A change of max_attempts above what max_attempts_per_route x the chain's models allows.
    ATTEMPTS_BOUNDED_PER_ROUTE = "attempts-bounded-per-route"


REASONS: Mapping[Reason, str] = {
    Reason.REDUNDANT_RULE: "the changed rule decides no endpoint: the other rules alone make the eligible set",
    Reason.BREAKER_HAS_NOTHING_TO_SKIP: (
        "the circuit breaker cannot change a route: a breaker never empties the chain or the provider pool, "
        "and this workflow has one model with one eligible endpoint"
    ),
    Reason.ATTEMPTS_BOUNDED_PER_ROUTE: (
        "retry.max_attempts does not bind: max_attempts_per_route times the chain's models allows fewer attempts"
    ),
    Reason.SAME_ROUTES_AND_SETTINGS: (
        "the eligible endpoints, their order and first-pick odds, and the client's effective settings are unchanged"
    ),
}


@dataclass(frozen=True)
class Equivalence:
    reason: Reason
    detail: str  # why it holds for this mutant

    @property
    def text(self) -> str:
        return f"{REASONS[self.reason]}: {self.detail}" if self.detail else REASONS[self.reason]


def account_catalog(workflow: Workflow, catalog: Catalog) -> Catalog:
    """The catalog as this workflow's account sees it (its BYOK keys add their endpoints)."""
    keys: dict[str, ByokMode] = {slug.lower(): workflow.byok.mode for slug in workflow.byok.keys}
    return with_byok(catalog, keys)


def plan_of(workflow: Workflow, catalog: Catalog) -> RoutePlan:
    return plan_route(route_request(workflow), account_catalog(workflow, catalog))


def observable(workflow: Workflow, catalog: Catalog) -> dict[str, Any]:
    """Everything of ``workflow`` a drill can observe, as comparable plain values."""
    plan = plan_of(workflow, catalog)
    models = [
        {
            "model": p.model_id,
            "eligible": [(c.endpoint.tag, _odds(i, c.first_pick_chance)) for i, c in enumerate(p.candidates)],
            "failure": p.failure.status if p.failure else None,
            "dropped": list(p.dropped_parameters),
        }
        for p in plan.models
    ]
    provider = {k: v for k, v in provider_object(workflow.provider).items() if k not in FILTER_FIELDS}
    return {
        "routes": models,
        "attempts": [(m, c.endpoint.tag) for m, c in plan.attempts],
        "reachable": reachable(workflow, catalog),
        "provider": provider,
        "parameters": sorted(workflow.needs.parameters),
        "client": _client(workflow),
    }


def reachable(workflow: Workflow, catalog: Catalog) -> dict[str, list[str]]:
    """Every endpoint a request may reach over a run, per model, beyond the plan's first pick.

    ``allow_fallbacks: false`` keeps one endpoint per request, but the client's breakers add
    providers to ``provider.ignore`` as they fail, so the next request's top endpoint can be
    any other: what stays out of reach is only what no ignore list can bring forward. With an
    ``order`` list that is every endpoint outside it; without one, a shared endpoint behind a
    BYOK endpoint of the same provider (one slug names both, so ignoring it drops both).
    """
    rules = workflow.provider
    permissive = workflow.model_copy(update={"provider": rules.model_copy(update={"allow_fallbacks": True})})
    out: dict[str, list[str]] = {}
    for model_plan in plan_of(permissive, catalog).models:
        endpoints = [c.endpoint for c in model_plan.candidates]
        if not rules.allow_fallbacks and rules.order:
            endpoints = [e for e in endpoints if e.is_byok or any(e.matches(slug) for slug in rules.order)]
        elif not rules.allow_fallbacks:
            byok_slugs = {e.provider_slug for e in endpoints if e.is_byok}
            endpoints = [e for e in endpoints if e.is_byok or e.provider_slug not in byok_slugs]
        out[model_plan.model_id] = sorted(e.tag for e in endpoints)
    return out


def _client(workflow: Workflow) -> dict[str, Any]:
    """The client's settings, less ``byok.mode``: its whole effect is which BYOK and shared
    endpoints the account's catalog holds, which the routes above already compare."""
    settings = client_settings(workflow)
    settings["byok"] = {k: v for k, v in settings["byok"].items() if k != "mode"}
    return settings


def _odds(rank: int, chance: float | None) -> float:
    """An endpoint's first-pick odds; an order that is not drawn (sort, ``order``, a BYOK key
    in front) always picks its first endpoint, so no chance given means 100 % or 0 %."""
    if chance is None:
        return 1.0 if rank == 0 else 0.0
    return round(chance, ODDS_DIGITS)


def equivalence(original: Workflow, mutated: Workflow, catalog: Catalog) -> Equivalence | None:
    """The reason ``mutated`` cannot be told apart from ``original``, or None when it can."""
    if observable(original, catalog) != observable(mutated, catalog):
        return _attempts_bounded(original, mutated, catalog) or _breaker_inert(original, mutated, catalog)
    redundant = _why_redundant(original, mutated, catalog)
    if redundant:
        return Equivalence(Reason.REDUNDANT_RULE, redundant)
    return Equivalence(Reason.SAME_ROUTES_AND_SETTINGS, "")


def _why_redundant(original: Workflow, mutated: Workflow, catalog: Catalog) -> str:
    """For a removed filter with the same routes: which endpoints stay eligible, all meeting it."""
    changed = [
        f"provider.{k}"
        for k in sorted(FILTER_FIELDS)
        if getattr(original.provider, k) != getattr(mutated.provider, k)
        or (k in original.provider.model_fields_set) != (k in mutated.provider.model_fields_set)
    ]
    if original.byok.mode != mutated.byok.mode:
        changed.append("byok.mode")
    if not changed:
        return ""
    plan = plan_of(original, catalog)
    shown = sorted({c.endpoint.tag for p in plan.models for c in p.candidates})
    fields = ", ".join(changed)
    return f"with {fields} changed the eligible endpoints are still {', '.join(shown) or 'none'}"


def _attempts_bounded(original: Workflow, mutated: Workflow, catalog: Catalog) -> Equivalence | None:
    """A changed ``max_attempts`` that cannot bind: each route (the client's model, or the
    window of models it sends to OpenRouter) takes at most ``max_attempts_per_route``
    attempts and the chain has no more routes than models, so neither value is ever reached."""
    before, after = original.retry.max_attempts, mutated.retry.max_attempts
    if before == after:
        return None
    aligned = mutated.model_copy(update={"retry": mutated.retry.model_copy(update={"max_attempts": before})})
    if observable(original, catalog) != observable(aligned, catalog):
        return None  # something else changed too
    bound = original.retry.max_attempts_per_route * len(original.models.all)
    if bound > min(before, after):
        return None
    return Equivalence(
        Reason.ATTEMPTS_BOUNDED_PER_ROUTE,
        f"max_attempts {before} -> {after}, but {original.retry.max_attempts_per_route} per route x "
        f"{len(original.models.all)} model(s) = at most {bound} attempts either way",
    )


def _breaker_inert(original: Workflow, mutated: Workflow, catalog: Catalog) -> Equivalence | None:
    """A changed circuit breaker on a workflow with a single route: the client's breakers only
    ever skip a model or a provider when another one is left, so here they never act."""
    if original.circuit_breaker == mutated.circuit_breaker:
        return None
    aligned = mutated.model_copy(update={"circuit_breaker": original.circuit_breaker})
    if observable(original, catalog) != observable(aligned, catalog):
        return None  # something else changed too
    plan = plan_of(original, catalog)
    if len(original.models.all) != 1 or len(plan.attempts) != 1:
        return None
    model, candidate = plan.attempts[0]
    return Equivalence(Reason.BREAKER_HAS_NOTHING_TO_SKIP, f"the only route is {model} at {candidate.endpoint.tag}")
