"""The mutants a careful reviewer would try on one workflow.

Each operator weakens or bends one rule of the parsed, frozen workflow (``model_copy``
and re-validation of the unset fields; never a text edit of the YAML), and names the
policy key it changed so a result can point at its line. A mutant equal to its original
(tripling an ``max_attempts`` already at its bound) is not generated: it tests nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from orcli.catalog.model import Catalog
from orcli.frozen import Frozen
from orcli.policy.compile import route_request
from orcli.policy.model import (
    STOP_ONLY_CLASSES,
    Action,
    DegradationMode,
    Workflow,
)
from orcli.routing.plan import plan_route
from orcli.sourcefile import Loc

M = TypeVar("M", bound=Frozen)

DATA_RULES = ("data_collection", "zdr", "only", "ignore", "quantizations")
BUDGET_CAPS = ("max_cost_per_request_usd", "max_cost_per_run_usd")
TIMEOUTS = ("connect_s", "attempt_s", "first_token_s", "stream_idle_s", "total_s")
MAX_ATTEMPTS_BOUND = 20  # Retry.max_attempts' own upper bound
TIMES = 10  # timeouts are multiplied by this
LOOSEN = 100  # budget caps are multiplied by this


@dataclass(frozen=True)
class Mutant:
    """One weakened copy of a workflow."""

    workflow: str
    key: str  # stable within the workflow: "remove-provider.zdr", "flip-retry.on.moderation"
    change: str  # what a reviewer would read: "remove provider.zdr (true)"
    loc: Loc  # the policy key it changed, inside the workflow (for the line number)
    mutated: Workflow
    operator: str  # the family: data-policy, fallbacks, byok, budget, timeouts, retry, breaker, degradation

    @property
    def id(self) -> str:
        return f"{self.workflow}/{self.key}"


def unset(model: M, name: str) -> M:
    """``model`` as if ``name`` had never been written: its default, and off the wire."""
    kept: dict[str, Any] = {k: getattr(model, k) for k in model.model_fields_set if k != name}
    return type(model).model_validate(kept)


def _set(model: M, **values: Any) -> M:
    return model.model_copy(update=values)


def mutants(name: str, workflow: Workflow, catalog: Catalog) -> list[Mutant]:
    """Every mutant of one workflow, in a stable order (the order of the issue's list)."""
    found = [
        *_data_policy(name, workflow),
        *_fallbacks(name, workflow),
        *_byok(name, workflow),
        *_budget(name, workflow),
        *_timeouts(name, workflow),
        *_retry(name, workflow),
        *_breaker(name, workflow),
        *_degradation(name, workflow, catalog),
    ]
    seen: set[str] = set()
    out: list[Mutant] = []
    for mutant in found:
        if mutant.mutated == workflow or mutant.key in seen:
            continue
        seen.add(mutant.key)
        out.append(mutant)
    return out


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Frozen):
        return ", ".join(f"{k}: {v}" for k, v in value.model_dump(exclude_none=True).items())
    return str(value)


def _data_policy(name: str, w: Workflow) -> Iterator[Mutant]:
    rules = w.provider
    for rule in (*DATA_RULES, "require_parameters"):
        value = getattr(rules, rule)
        default = type(rules).model_fields[rule].default
        if rule not in rules.model_fields_set or value == default:
            continue
        yield Mutant(
            name,
            f"remove-provider.{rule}",
            f"remove provider.{rule} ({_shown(value)})",
            ("provider", rule),
            _set(w, provider=unset(rules, rule)),
            "data-policy",
        )


def _fallbacks(name: str, w: Workflow) -> Iterator[Mutant]:
    chain = w.models
    for i, model in enumerate(chain.fallbacks):
        rest = chain.fallbacks[:i] + chain.fallbacks[i + 1 :]
        yield Mutant(
            name,
            f"remove-fallback.{model}",
            f"remove fallback {model}",
            ("models", "fallbacks", i),
            _set(w, models=_set(chain, fallbacks=rest)),
            "fallbacks",
        )
    if len(chain.fallbacks) > 1:
        yield Mutant(
            name,
            "remove-fallbacks",
            f"remove every fallback ({', '.join(chain.fallbacks)})",
            ("models", "fallbacks"),
            _set(w, models=unset(chain, "fallbacks")),
            "fallbacks",
        )
    flipped = not w.provider.allow_fallbacks
    yield Mutant(
        name,
        "flip-provider.allow_fallbacks",
        f"set provider.allow_fallbacks to {_shown(flipped)}",
        ("provider", "allow_fallbacks") if "allow_fallbacks" in w.provider.model_fields_set else ("provider",),
        _set(w, provider=_set(w.provider, allow_fallbacks=flipped)),
        "fallbacks",
    )


def _byok(name: str, w: Workflow) -> Iterator[Mutant]:
    if w.byok.keys and w.byok.mode == "strict":
        yield Mutant(
            name,
            "byok.mode-shared_fallback",
            "set byok.mode from strict to shared_fallback",
            ("byok", "mode"),
            _set(w, byok=_set(w.byok, mode="shared_fallback")),
            "byok",
        )


def _budget(name: str, w: Workflow) -> Iterator[Mutant]:
    for cap in BUDGET_CAPS:
        value: Decimal | None = getattr(w.budget, cap)
        if value is None:
            continue
        yield Mutant(
            name,
            f"remove-budget.{cap}",
            f"remove budget.{cap} ({value})",
            ("budget", cap),
            _set(w, budget=unset(w.budget, cap)),
            "budget",
        )
        yield Mutant(
            name,
            f"loosen-budget.{cap}",
            f"multiply budget.{cap} by {LOOSEN} ({value} -> {value * LOOSEN})",
            ("budget", cap),
            _set(w, budget=_set(w.budget, **{cap: value * LOOSEN})),
            "budget",
        )
    if w.provider.max_price is not None:
        yield Mutant(
            name,
            "remove-provider.max_price",
            f"remove provider.max_price ({_shown(w.provider.max_price)})",
            ("provider", "max_price"),
            _set(w, provider=unset(w.provider, "max_price")),
            "budget",
        )


def _timeouts(name: str, w: Workflow) -> Iterator[Mutant]:
    t = w.timeouts
    longer = {f: getattr(t, f) * TIMES for f in TIMEOUTS if getattr(t, f) is not None}
    yield Mutant(
        name,
        "timeouts-x10",
        f"multiply every timeout by {TIMES} ({', '.join(f'{f} {getattr(t, f):g}' for f in longer)})",
        ("timeouts",),
        _set(w, timeouts=_set(t, **longer)),
        "timeouts",
    )


def _retry(name: str, w: Workflow) -> Iterator[Mutant]:
    r = w.retry
    yield Mutant(
        name,
        "retry.max_attempts-1",
        f"set retry.max_attempts to 1 (from {r.max_attempts})",
        ("retry", "max_attempts"),
        _set(w, retry=_set(r, max_attempts=1)),
        "retry",
    )
    tripled = min(MAX_ATTEMPTS_BOUND, r.max_attempts * 3)
    yield Mutant(
        name,
        "retry.max_attempts-x3",
        f"triple retry.max_attempts ({r.max_attempts} -> {tripled})",
        ("retry", "max_attempts"),
        _set(w, retry=_set(r, max_attempts=tripled)),
        "retry",
    )
    if r.honor_retry_after:
        yield Mutant(
            name,
            "retry.honor_retry_after-off",
            "turn retry.honor_retry_after off",
            ("retry", "honor_retry_after") if "honor_retry_after" in r.model_fields_set else ("retry",),
            _set(w, retry=_set(r, honor_retry_after=False)),
            "retry",
        )
    for error_class, action in r.on.items():
        if error_class in STOP_ONLY_CLASSES or action not in (Action.STOP, Action.FALLBACK):
            continue
        other = Action.FALLBACK if action is Action.STOP else Action.STOP
        yield Mutant(
            name,
            f"flip-retry.on.{error_class.value}",
            f"set retry.on.{error_class.value} from {action.value} to {other.value}",
            ("retry", "on", error_class.value),
            _set(w, retry=_set(r, on={**r.on, error_class: other})),
            "retry",
        )


def _breaker(name: str, w: Workflow) -> Iterator[Mutant]:
    if w.circuit_breaker.enabled:
        yield Mutant(
            name,
            "circuit_breaker-off",
            "turn the circuit breaker off",
            ("circuit_breaker",),
            _set(w, circuit_breaker=_set(w.circuit_breaker, enabled=False)),
            "breaker",
        )


def _degradation(name: str, w: Workflow, catalog: Catalog) -> Iterator[Mutant]:
    mode = w.degradation.mode
    to_fallback = _set(w.degradation, mode=DegradationMode.FALLBACK)
    if mode is DegradationMode.QUEUE:
        yield Mutant(
            name,
            "degradation-queue-to-fallback",
            "set degradation.mode from queue to fallback",
            ("degradation", "mode"),
            _set(w, degradation=to_fallback),
            "degradation",
        )
    if mode is DegradationMode.FAIL_SAFE:
        extra = unapproved_fallback(w, catalog)
        chain = w.models if extra is None else _set(w.models, fallbacks=(*w.models.fallbacks, extra))
        added = f" and add fallback {extra}" if extra else ""
        yield Mutant(
            name,
            "degradation-fail_safe-to-fallback",
            f"set degradation.mode from fail_safe to fallback{added}",
            ("degradation", "mode"),
            _set(w, degradation=to_fallback, models=chain),
            "degradation",
        )


def unapproved_fallback(w: Workflow, catalog: Catalog) -> str | None:
    """A model outside the chain that the workflow's provider rules can still route to: the
    substitute someone adds "to keep it answering" when they drop fail-safe."""
    for model in sorted(catalog.models, key=lambda m: m.id):
        if model.id in w.models.all:
            continue
        trial = _set(w, models=_set(w.models, fallbacks=(*w.models.fallbacks, model.id)))
        plan = plan_route(route_request(trial), catalog)
        if any(p.model_id == model.id and p.candidates for p in plan.models):
            return model.id
    return None
