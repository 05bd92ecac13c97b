"""Semantic checks of a parsed policy against a catalog.

The schema (``orcli.policy.model``) already guarantees each value is well formed.
These rules look at how the values combine with each other and with the catalog:
a model that does not exist, a fallback that cannot do what the workflow needs, a
constraint that leaves no endpoint, a degradation mode missing its message.

Each rule is one function registered with :func:`rule` under a stable, readable id
(``unknown-model``), a severity and a one-line summary. A rule yields ``Issue``s:
where in the workflow the problem sits and a message that says how to fix it. Adding
a rule is one function here; ``orcli validate`` and the tests pick it up from
:data:`RULES`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from orcli.catalog.model import Catalog, Model
from orcli.ids import base_model
from orcli.policy.compile import MAX_MODELS_FIELD, route_request
from orcli.policy.load import LoadedPolicy
from orcli.policy.model import DataClass, DegradationMode, Workflow
from orcli.routing.plan import ModelPlan, RoutePlan, plan_route
from orcli.sourcefile import Loc, format_loc

Severity = Literal["error", "warning"]

# The wire parameter behind each capability a workflow can need.
CAPABILITY_PARAMETERS = {"tools": "tools", "structured_output": "response_format"}


@dataclass(frozen=True)
class Issue:
    """A problem found by one rule, located inside its workflow (``("provider", "only", 1)``)."""

    loc: Loc
    message: str


@dataclass(frozen=True)
class Finding:
    """An issue placed in its file: what ``orcli validate`` prints."""

    path: str
    line: int
    col: int
    severity: Severity
    rule: str
    field: str
    message: str

    @classmethod
    def at_workflow(cls, loaded: LoadedPolicy, name: str, rule: str, message: str) -> Finding:
        """An error on the key of workflow ``name``: what is wrong is the workflow as a whole."""
        position = loaded.document.position(("workflows", name), key=True)
        return cls(loaded.path, position.line, position.col, "error", rule, f"workflows.{name}", message)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LintTarget:
    """One workflow under lint, with its routing plan computed once and shared by the rules."""

    name: str
    workflow: Workflow
    catalog: Catalog

    @cached_property
    def plan(self) -> RoutePlan:
        return plan_route(route_request(self.workflow), self.catalog)

    def model_locs(self) -> Iterator[tuple[Loc, str]]:
        """Each model of the chain with where it is written."""
        yield ("models", "primary"), self.workflow.models.primary
        for i, model_id in enumerate(self.workflow.models.fallbacks):
            yield ("models", "fallbacks", i), model_id

    def known_models(self) -> Iterator[tuple[Loc, Model, ModelPlan]]:
        """Each catalogued model of the chain, where it is written, and its plan."""
        plans = {p.model_id: p for p in reversed(self.plan.models)}  # first plan of a repeated model
        for loc, model_id in self.model_locs():
            model_plan = plans.get(model_id)
            if model_plan is not None and model_plan.model is not None:
                yield loc, model_plan.model, model_plan


Check = Callable[[LintTarget], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Check


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, summary: str) -> Callable[[Check], Check]:
    """Register a check under a stable id. Ids are part of the CLI's output contract."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"lint rule '{rule_id}' registered twice")
        RULES[rule_id] = Rule(rule_id, severity, summary, check)
        return check

    return register


def lint_workflow(name: str, workflow: Workflow, catalog: Catalog) -> list[tuple[Rule, Issue]]:
    target = LintTarget(name, workflow, catalog)
    return [(r, issue) for r in RULES.values() for issue in r.check(target)]


def lint_policy(loaded: LoadedPolicy, catalog: Catalog) -> list[Finding]:
    """Every finding of every workflow in the file, in file order."""
    findings: list[Finding] = []
    for name, workflow in loaded.policy.workflows.items():
        for r, issue in lint_workflow(name, workflow, catalog):
            full: Loc = ("workflows", name, *issue.loc)
            pos = loaded.locate(full)
            findings.append(Finding(loaded.path, pos.line, pos.col, r.severity, r.id, format_loc(full), issue.message))
    findings.sort(key=lambda f: (f.line, f.col, f.rule))
    return findings


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _usd(value: Decimal) -> str:
    return f"${value:.6f}".rstrip("0").rstrip(".") if value < 1 else f"${value:,.2f}"


# --- models and providers -------------------------------------------------------------------


@rule("unknown-model", "error", "a model of the chain is not in the catalog")
def _unknown_model(t: LintTarget) -> Iterator[Issue]:
    ids = [m.id for m in t.catalog.models]
    for loc, model_id in t.model_locs():
        if t.catalog.get(model_id) is None:
            hint = _did_you_mean(base_model(model_id), ids)
            yield Issue(loc, f"'{model_id}' is not in the catalog{hint} (list models with 'orcli catalog show')")


@rule("unknown-provider", "error", "provider.order/only/ignore or byok.keys name a provider the catalog lacks")
def _unknown_provider(t: LintTarget) -> Iterator[Issue]:
    rules = t.workflow.provider
    named: list[tuple[Loc, str]] = []
    for field_name in ("order", "only", "ignore"):
        slugs: tuple[str, ...] = getattr(rules, field_name)
        named.extend((("provider", field_name, i), slug) for i, slug in enumerate(slugs))
    named.extend((("byok", "keys", slug), slug) for slug in t.workflow.byok.keys)
    for loc, slug in named:
        if not t.catalog.knows_provider(slug):
            hint = _did_you_mean(slug.lower(), t.catalog.provider_slugs)
            yield Issue(loc, f"no provider '{slug}' in the catalog{hint} (providers are named by routing slug)")


# --- eligibility ----------------------------------------------------------------------------

# Routing stage -> the policy field that drives it, for messages that say what to loosen.
STAGE_FIELDS = {
    "tier": "provider.only/order",
    "only": "provider.only",
    "ignore": "provider.ignore",
    "order": "provider.order",
    "allow_fallbacks": "provider.allow_fallbacks",
    "data_collection": "provider.data_collection",
    "zdr": "provider.zdr",
    "distillable": "provider.enforce_distillable_text",
    "quantization": "provider.quantizations",
    "max_price": "provider.max_price",
    "context_length": "needs.min_context",
    "max_tokens": "needs.max_output_tokens",
    "require_parameters": "provider.require_parameters",
    "soft_preference": "the workflow's needs",
}


def _field_of(stage: str) -> str:
    return STAGE_FIELDS.get(stage, stage)


def _emptied_by(model_plan: ModelPlan) -> str | None:
    """The routing stage that removed the last endpoints of a model with none left.

    Stages run in a fixed order and record exclusions in that order; once nothing
    survives, later stages exclude nothing, so the last exclusion names the stage
    that emptied the pool.
    """
    if model_plan.candidates or not model_plan.excluded:
        return None
    return model_plan.excluded[-1].rule


def _model_level_gaps(t: LintTarget, model: Model) -> set[str]:
    """Routing stages that fail because of the model itself, whatever the provider rules."""
    needs = t.workflow.needs
    gaps: set[str] = set()
    if needs.min_context > model.max_context:
        gaps.add("context_length")
    if needs.max_output_tokens is not None and needs.max_output_tokens > _max_output(model):
        gaps.add("max_tokens")
    if any(not _any_supports(model, param) for param in _needed_parameters(t)):
        gaps.add("require_parameters")
    return gaps


def _max_output(model: Model) -> int:
    return max(ep.max_completion_tokens for ep in model.endpoints)


def _any_supports(model: Model, parameter: str) -> bool:
    return any(ep.supports(parameter) for ep in model.endpoints)


def _needed_parameters(t: LintTarget) -> list[str]:
    needs = t.workflow.needs
    return [param for capability, param in CAPABILITY_PARAMETERS.items() if getattr(needs, capability)]


@rule("empty-pool", "error", "a model of the chain has no eligible endpoint under the workflow's constraints")
def _empty_pool(t: LintTarget) -> Iterator[Issue]:
    for loc, model, model_plan in t.known_models():
        stage = _emptied_by(model_plan)
        if stage is None or stage in _model_level_gaps(t, model):
            continue  # a model-level gap is reported, more precisely, by its own rule
        last = [x for x in model_plan.excluded if x.rule == stage]
        tags = ", ".join(x.endpoint.tag for x in last)
        yield Issue(
            loc,
            f"no eligible endpoint for {model.id}: {_field_of(stage)} rules out the remaining {tags} "
            f"({last[0].detail}), so OpenRouter would answer 404; loosen it or replace this model",
        )


@rule("missing-capability", "error", "a model of the chain cannot do what the workflow needs")
def _missing_capability(t: LintTarget) -> Iterator[Issue]:
    needs = t.workflow.needs
    for loc, model, model_plan in t.known_models():
        for capability, param in CAPABILITY_PARAMETERS.items():
            if not getattr(needs, capability):
                continue
            if not _any_supports(model, param):
                yield Issue(
                    loc,
                    f"no endpoint of {model.id} supports {param} (needs.{capability} is true); "
                    f"choose a model that does or drop it from the chain",
                )
            elif param in model_plan.dropped_parameters:
                excluded = sorted({_field_of(x.rule) for x in model_plan.excluded if x.endpoint.supports(param)})
                yield Issue(
                    loc,
                    f"no eligible endpoint of {model.id} supports {param} (those that do are excluded by "
                    f"{', '.join(excluded)}): OpenRouter would silently drop it; loosen those rules or replace "
                    f"the model",
                )
        if needs.max_output_tokens is not None and needs.max_output_tokens > _max_output(model):
            yield Issue(
                loc,
                f"{model.id} returns at most {_max_output(model):,} tokens on any endpoint but "
                f"needs.max_output_tokens is {needs.max_output_tokens:,}; lower it or choose another model",
            )


@rule("context-too-small", "error", "a model of the chain has less context than needs.min_context")
def _context_too_small(t: LintTarget) -> Iterator[Issue]:
    needed = t.workflow.needs.min_context
    for loc, model, _ in t.known_models():
        if needed > model.max_context:
            yield Issue(
                loc,
                f"{model.id} has at most {model.max_context:,} tokens of context but needs.min_context is "
                f"{needed:,}; choose a larger-context model",
            )


# --- the chain ------------------------------------------------------------------------------


@rule("duplicate-model", "error", "a model appears twice in the chain")
def _duplicate_model(t: LintTarget) -> Iterator[Issue]:
    first_seen: dict[str, Loc] = {}
    for loc, model_id in t.model_locs():
        if model_id in first_seen:
            where = format_loc(first_seen[model_id])
            yield Issue(
                loc,
                f"'{model_id}' is already in the chain at {where}: a repeat adds no resilience "
                f"(its provider pool was already tried); remove it",
            )
        else:
            first_seen[model_id] = loc


@rule("too-many-fallbacks", "error", "more fallbacks than OpenRouter's models field accepts")
def _too_many_fallbacks(t: LintTarget) -> Iterator[Issue]:
    fallbacks = t.workflow.models.fallbacks
    # The client walks its own chain without limit; OpenRouter (and "auto" against it) would
    # reject the request with 400 "'models' array must have 3 items or fewer".
    if len(fallbacks) > MAX_MODELS_FIELD and t.workflow.app_fallback.mode != "client":
        yield Issue(
            ("models", "fallbacks", MAX_MODELS_FIELD),
            f"{len(fallbacks)} fallbacks, but OpenRouter's models field takes at most {MAX_MODELS_FIELD}; "
            f"keep {MAX_MODELS_FIELD} or set app_fallback.mode: client to walk the chain in the client",
        )


# --- client-side controls -------------------------------------------------------------------


# A warning, not an error: the client enforces timeouts.total_s, so nothing runs away; the
# policy merely promises attempts the deadline will cut short.
@rule("retry-exceeds-deadline", "warning", "the retry worst case is longer than timeouts.total_s")
def _retry_exceeds_deadline(t: LintTarget) -> Iterator[Issue]:
    timeouts, worst = t.workflow.timeouts, t.workflow.worst_case()
    worst_s = worst.total_s
    if worst_s > timeouts.total_s:
        yield Issue(
            ("timeouts", "total_s"),
            f"retries can take {worst_s:g} s ({worst.attempts} attempts of {worst.attempt_s:g} s plus "
            f"{worst.waits_s:g} s of backoff) but the deadline is {timeouts.total_s:g} s, so the last attempts "
            f"never run; raise total_s to {worst_s:g} or lower retry.max_attempts or timeouts.attempt_s",
        )


@rule("no-resilience", "warning", "allow_fallbacks: false leaves a single eligible endpoint")
def _no_resilience(t: LintTarget) -> Iterator[Issue]:
    if t.workflow.provider.allow_fallbacks or len(t.plan.attempts) != 1:
        return
    model_id, only = t.plan.attempts[0]
    yield Issue(
        ("provider", "allow_fallbacks"),
        f"every request can reach only {only.endpoint.tag} serving {model_id}: one outage stops the workflow; "
        f"list a second provider in provider.order, add a fallback model, or allow fallbacks",
    )


@rule("regulated-without-zdr", "error", "regulated data without provider.zdr or a provider.only allowlist")
def _regulated_without_zdr(t: LintTarget) -> Iterator[Issue]:
    wf = t.workflow
    if wf.data_class is DataClass.REGULATED and not wf.provider.zdr and not wf.provider.only:
        yield Issue(
            ("data_class",),
            "regulated data may reach any provider; set provider.zdr: true or list the approved providers "
            "in provider.only",
        )


def _mode_without(t: LintTarget, mode: DegradationMode, setting: str, message: str) -> Iterator[Issue]:
    """The degradation ``mode`` is chosen but the ``setting`` it relies on is left unset."""
    degradation = t.workflow.degradation
    if degradation.mode is mode and getattr(degradation, setting) is None:
        yield Issue(("degradation", "mode"), message)


@rule("fail-safe-without-message", "error", "degradation mode fail_safe without a user_message")
def _fail_safe_without_message(t: LintTarget) -> Iterator[Issue]:
    message = "fail_safe shows the user an approved message when routes fail; write it in degradation.user_message"
    return _mode_without(t, DegradationMode.FAIL_SAFE, "user_message", message)


@rule("queue-without-max-wait", "warning", "degradation mode queue without queue_max_wait_s")
def _queue_without_max_wait(t: LintTarget) -> Iterator[Issue]:
    message = "queued work may wait forever; set degradation.queue_max_wait_s to bound how long it is held"
    return _mode_without(t, DegradationMode.QUEUE, "queue_max_wait_s", message)


@rule("byok-strict", "warning", "BYOK keys in strict mode: no shared capacity when a key fails")
def _byok_strict(t: LintTarget) -> Iterator[Issue]:
    byok = t.workflow.byok
    if byok.keys and byok.mode == "strict":
        providers = ", ".join(sorted(byok.keys))
        yield Issue(
            ("byok", "mode"),
            f"strict mode serves {providers} only through your own keys: their rate limits reach you with no "
            f"shared fallback; use mode: shared_fallback unless a contract forbids it",
        )


@rule("budget-below-cost", "warning", "max_cost_per_request_usd is below the cheapest full-length answer")
def _budget_below_cost(t: LintTarget) -> Iterator[Issue]:
    wf = t.workflow
    limit, max_out = wf.budget.max_cost_per_request_usd, wf.needs.max_output_tokens
    if limit is None or max_out is None or not t.plan.attempts:
        return
    costs = [(c.endpoint.pricing.cost(0, max_out), model_id, c.endpoint.tag) for model_id, c in t.plan.attempts]
    cheapest, model_id, tag = min(costs)
    if cheapest > limit:
        yield Issue(
            ("budget", "max_cost_per_request_usd"),
            f"{max_out:,} output tokens cost at least {_usd(cheapest)} (on {tag} for {model_id}) but the "
            f"per-request cap is {_usd(limit)}: full-length answers would be cut off; raise the cap or lower "
            f"needs.max_output_tokens",
        )
