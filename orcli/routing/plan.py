"""OpenRouter's endpoint selection as pure code.

Given the models a request names, its ``provider`` preferences and what it sends
(tools, response_format, max_tokens, prompt size), produce for each model the
endpoints OpenRouter would try, in order, and every other endpoint with the rule
that excluded it. ``orcli explain`` shows this plan; the simulator routes by it.

Filters run in a fixed order and each excluded endpoint names the first rule it
failed. When a model is left with nothing, the stage that emptied it decides
OpenRouter's 404 message.

Default ordering (no ``order``, no ``sort``) follows the classic documented rule:
endpoints with an outage in the last 30 s go last; among the rest the first pick
is random with weight proportional to 1/price². With no random source the plan
shows the most likely order (cheapest first) and each endpoint's first-pick
chance.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import Protocol

from orcli.catalog.model import Catalog, Endpoint, Model
from orcli.ids import ModelId
from orcli.routing.rules import ProviderRules, SortBy

DOCS_URL = "https://openrouter.ai/docs/provider-routing"
OUTAGE_WINDOW_S = 30.0

# Parameters that OpenRouter prefers softly even without require_parameters: when some
# endpoints support them only those are used; when none do the parameter is dropped.
SOFT_PREFERRED = ("tools", "response_format")


class Health(Protocol):
    """What the router knows about recent endpoint failures."""

    def had_recent_outage(self, model_id: str, endpoint: Endpoint) -> bool: ...


@dataclass(frozen=True)
class RouteRequest:
    """The routing-relevant part of a chat-completions request."""

    models: tuple[str, ...]  # ``model`` first, then ``models``, de-duplicated
    provider: ProviderRules = field(default_factory=ProviderRules)
    parameters: frozenset[str] = frozenset()  # parameters sent: tools, response_format, ...
    prompt_tokens: int = 0
    max_tokens: int | None = None


@dataclass(frozen=True)
class Exclusion:
    endpoint: Endpoint
    rule: str  # stable id: only, ignore, tier, data_collection, zdr, quantization, ...
    detail: str


@dataclass(frozen=True)
class Candidate:
    endpoint: Endpoint
    reason: str  # why it sits at this place in the order
    # Plans with default load balancing: the chance to be tried first on a cold start (no
    # health or latency history), worked out from the same draw the simulator makes.
    first_pick_chance: float | None = None


@dataclass(frozen=True)
class RoutingFailure:
    """What OpenRouter answers when a model has no eligible endpoint (HTTP 404)."""

    status: int
    message: str
    error_type: str
    excluded_by: tuple[str, ...]


@dataclass(frozen=True)
class ModelPlan:
    model_id: str
    model: Model | None
    candidates: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]
    dropped_parameters: tuple[str, ...] = ()  # soft-preferred params no endpoint supports
    failure: RoutingFailure | None = None


@dataclass(frozen=True)
class RoutePlan:
    models: tuple[ModelPlan, ...]
    # Every endpoint to try, in order, across models (partition "model" keeps model order).
    attempts: tuple[tuple[str, Candidate], ...]

    @property
    def failure(self) -> RoutingFailure | None:
        """The error returned when nothing at all is eligible: the last model's (OpenRouter
        returns the last error)."""
        if self.attempts:
            return None
        for plan in reversed(self.models):
            if plan.failure is not None:
                return plan.failure
        return None


def variant_of(model_id: str) -> str | None:
    return ModelId.parse(model_id).variant


def effective_rules(rules: ProviderRules, model_id: str) -> ProviderRules:
    """Apply ``:nitro`` (sort by throughput), ``:floor`` (sort by price) and ``:exacto``
    (sort by tool-call quality) shortcuts."""
    variant = variant_of(model_id)
    if variant == "nitro":
        return rules.model_copy(update={"sort": SortBy.THROUGHPUT})
    if variant == "floor":
        return rules.model_copy(update={"sort": SortBy.PRICE})
    if variant == "exacto":
        return rules.model_copy(update={"sort": SortBy.EXACTO})
    return rules


@dataclass(frozen=True)
class _Stage:
    rule: str
    check: Callable[[Endpoint], str | None]  # None = passes; else the exclusion detail


def _stages(rules: ProviderRules, request: RouteRequest, model_id: str, model: Model) -> list[_Stage]:
    variant = variant_of(model_id)
    named = tuple(rules.order) + tuple(rules.only)

    def tier(ep: Endpoint) -> str | None:
        if ep.tier == "standard":
            return None
        if ep.tier == "priority" and variant == "nitro":
            return None
        if ep.tier == "flex" and variant == "floor":
            return None
        if any(slug.lower() == ep.tag for slug in named):
            return None
        return f"{ep.tier}-tier endpoint: only its own slug '{ep.tag}' or a variant selects it"

    def only(ep: Endpoint) -> str | None:
        if not rules.only or any(ep.matches(s) for s in rules.only):
            return None
        return f"not in provider.only {list(rules.only)}"

    def ignore(ep: Endpoint) -> str | None:
        hit = next((s for s in rules.ignore if ep.matches(s)), None)
        return f"provider.ignore lists '{hit}'" if hit else None

    def order_only(ep: Endpoint) -> str | None:
        # allow_fallbacks: false with an order list: nothing outside the list is tried.
        if rules.allow_fallbacks or not rules.order or any(ep.matches(s) for s in rules.order):
            return None
        return "not in provider.order and allow_fallbacks is false"

    def data_collection(ep: Endpoint) -> str | None:
        if rules.data_collection == "deny" and ep.data_policy.collects:
            what = "trains on" if ep.data_policy.training else "retains"
            return f"{what} prompts; data_collection is deny"
        return None

    def zdr(ep: Endpoint) -> str | None:
        return "not a zero-data-retention endpoint; zdr is true" if rules.zdr and not ep.data_policy.zdr else None

    def distillable(ep: Endpoint) -> str | None:
        if model.distillable:
            return None
        return "the model's author does not allow distillation; enforce_distillable_text is true"

    def quantization(ep: Endpoint) -> str | None:
        if not rules.quantizations:
            return None
        q = ep.quantization or "unknown"
        return None if q in rules.quantizations else f"quantization {q} not in {list(rules.quantizations)}"

    def max_price(ep: Endpoint) -> str | None:
        ceiling = rules.max_price
        if ceiling is None:
            return None
        checks: list[tuple[str, Decimal | None, Decimal]] = [
            ("prompt", ceiling.prompt, ep.pricing.per_million("prompt")),
            ("completion", ceiling.completion, ep.pricing.per_million("completion")),
            ("request", ceiling.request, ep.pricing.request),
            ("image", ceiling.image, ep.pricing.image),
            ("audio", ceiling.audio, ep.pricing.per_million("audio")),
        ]
        for name, limit, price in checks:
            if limit is not None and price > limit:
                unit = _PRICE_UNITS.get(name, "/M tokens")
                return f"{name} price ${_fmt(price)}{unit} above max_price ${_fmt(limit)}"
        return None

    def context(ep: Endpoint) -> str | None:
        needed = request.prompt_tokens + (request.max_tokens or 0)
        if needed > ep.context_length:
            return f"context {ep.context_length:,} < {needed:,} tokens needed"
        return None

    def max_tokens(ep: Endpoint) -> str | None:
        if request.max_tokens is not None and request.max_tokens > ep.max_completion_tokens:
            return f"max completion {ep.max_completion_tokens:,} < max_tokens {request.max_tokens:,}"
        return None

    def required(ep: Endpoint) -> str | None:
        if not rules.require_parameters:
            return None
        missing = sorted(p for p in request.parameters if not ep.supports(p))
        return f"lacks required parameter(s) {', '.join(missing)}" if missing else None

    # Stages whose rule is not set cannot exclude anything; leaving them out keeps the
    # simulator's per-request routing cheap without changing any result.
    stages = [_Stage("tier", tier)]
    if rules.only:
        stages.append(_Stage("only", only))
    if rules.ignore:
        stages.append(_Stage("ignore", ignore))
    if not rules.allow_fallbacks and rules.order:
        stages.append(_Stage("order", order_only))
    if rules.data_collection == "deny":
        stages.append(_Stage("data_collection", data_collection))
    if rules.zdr:
        stages.append(_Stage("zdr", zdr))
    if rules.enforce_distillable_text:
        stages.append(_Stage("distillable", distillable))
    if rules.quantizations:
        stages.append(_Stage("quantization", quantization))
    if rules.max_price is not None:
        stages.append(_Stage("max_price", max_price))
    stages.append(_Stage("context_length", context))
    if request.max_tokens is not None:
        stages.append(_Stage("max_tokens", max_tokens))
    if rules.require_parameters:
        stages.append(_Stage("require_parameters", required))
    return stages


_PRICE_UNITS = {"request": "/request", "image": "/image"}


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class _Filtered:
    """The part of a model's plan that the request's shape alone decides: which endpoints
    survive the filters and soft preferences, and why the others were excluded."""

    model: Model
    rules: ProviderRules  # with the model's variant shortcuts applied
    survivors: tuple[Endpoint, ...]
    excluded: tuple[Exclusion, ...]
    dropped: tuple[str, ...]
    emptied_by: str | None


class PlanCache:
    """Remembers filtered endpoint sets per request shape, for callers that plan many
    requests of the same few shapes (the simulator plans every request it receives).

    The key is everything the filters read: the model, the provider rules, the parameters
    sent, ``max_tokens``, and the tokens needed, the latter only when some endpoint's context
    is too small for them (otherwise any size gives the same result). Ordering still runs
    per request: it depends on health and on the request's random draw.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], _Filtered] = {}
        self._smallest_context: dict[str, int] = {}
        self._balances: dict[tuple[int, ...], _CachedBalance] = {}

    def filtered(self, model_id: str, model: Model, rules: ProviderRules, request: RouteRequest) -> _Filtered:
        smallest = self._smallest_context.get(model_id)
        if smallest is None:
            smallest = min((ep.context_length for ep in model.endpoints), default=0)
            self._smallest_context[model_id] = smallest
        needed = request.prompt_tokens + (request.max_tokens or 0)
        key = (model_id, rules, request.parameters, request.max_tokens, needed if needed > smallest else None)
        entry = self._entries.get(key)
        if entry is None:
            entry = _filter(model_id, model, rules, request)
            self._entries[key] = entry
        return entry

    def balance(self, stable: Sequence[Endpoint]) -> _Balance:
        """The load-balancing weights of a set of healthy endpoints, worked out once per set."""
        # Keyed by identity (hashing an endpoint hashes every field); each entry holds its
        # endpoints, so no id in a key can be reused by another object.
        key = tuple(id(ep) for ep in stable)
        entry = self._balances.get(key)
        if entry is None:
            entry = _CachedBalance(tuple(stable), _balance(stable))
            self._balances[key] = entry
        return entry.balance


@dataclass(frozen=True, slots=True)
class _CachedBalance:
    members: tuple[Endpoint, ...]  # held, so the ids in the key cannot be reused by other objects
    balance: _Balance


def _filter(model_id: str, model: Model, rules: ProviderRules, request: RouteRequest) -> _Filtered:
    rules = effective_rules(rules, model_id)
    survivors = list(model.endpoints)
    excluded: list[Exclusion] = []
    emptied_by: str | None = None
    for stage in _stages(rules, request, model_id, model):
        kept: list[Endpoint] = []
        for ep in survivors:
            detail = stage.check(ep)
            if detail is None:
                kept.append(ep)
            else:
                excluded.append(Exclusion(ep, stage.rule, detail))
        if survivors and not kept:
            emptied_by = stage.rule
        survivors = kept

    dropped: list[str] = []
    if survivors and not rules.require_parameters:
        for param in SOFT_PREFERRED:
            if param not in request.parameters:
                continue
            supporting = [ep for ep in survivors if ep.supports(param)]
            if not supporting:
                dropped.append(param)  # OpenRouter ignores the parameter and keeps the model
                continue
            for ep in survivors:
                if not ep.supports(param):
                    excluded.append(Exclusion(ep, "soft_preference", f"does not support {param}"))
            survivors = supporting
    return _Filtered(model, rules, tuple(survivors), tuple(excluded), tuple(dropped), emptied_by)


def plan_model(
    model_id: str,
    catalog: Catalog,
    rules: ProviderRules,
    request: RouteRequest,
    *,
    health: Health | None = None,
    rng: random.Random | None = None,
    cache: PlanCache | None = None,
) -> ModelPlan:
    model = catalog.get(model_id)
    if model is None:
        return ModelPlan(
            model_id,
            None,
            (),
            (),
            failure=RoutingFailure(400, f"{model_id} is not a valid model ID", "invalid_request", ()),
        )
    if cache is not None:
        filtered = cache.filtered(model_id, model, rules, request)
    else:
        filtered = _filter(model_id, model, rules, request)
    rules = filtered.rules
    excluded = list(filtered.excluded)
    candidates = _order(filtered.survivors, rules, model_id, health, rng, cache)
    if not rules.allow_fallbacks and not rules.order and candidates:
        for cand in candidates[1:]:
            excluded.append(
                Exclusion(cand.endpoint, "allow_fallbacks", "allow_fallbacks is false: only the top-ranked endpoint")
            )
        candidates = candidates[:1]

    failure = None
    if not candidates:
        failure = _failure(model, rules, request, filtered.emptied_by)
    return ModelPlan(model_id, model, tuple(candidates), tuple(excluded), filtered.dropped, failure)


def plan_route(
    request: RouteRequest,
    catalog: Catalog,
    *,
    health: Health | None = None,
    rng: random.Random | None = None,
    cache: PlanCache | None = None,
) -> RoutePlan:
    plans = tuple(
        plan_model(m, catalog, request.provider, request, health=health, rng=rng, cache=cache) for m in request.models
    )
    spec = request.provider.sort_spec
    pairs = [(p.model_id, c) for p in plans for c in p.candidates]
    if spec is not None and spec.partition == "none":
        key = _sort_key(spec.by)
        # BYOK endpoints still lead: with partition "none" a later model's BYOK endpoint wins.
        pairs.sort(key=lambda pair: (not pair[1].endpoint.is_byok, key(pair[1].endpoint)))
    return RoutePlan(plans, tuple(pairs))


def _sort_key(by: SortBy) -> Callable[[Endpoint], tuple[float, str]]:
    if by is SortBy.PRICE:
        return lambda ep: (float(ep.pricing.blended), ep.tag)
    if by is SortBy.THROUGHPUT:
        return lambda ep: (-ep.throughput_last_30m.p50, ep.tag)
    if by is SortBy.EXACTO:
        return _quality_order
    return lambda ep: (ep.latency_last_30m.p50, ep.tag)


def _quality_order(ep: Endpoint) -> tuple[float, str]:
    """``exacto``: the lowest tool-call error rate first; endpoints never measured come after
    every measured one (an unknown quality is not a good one)."""
    rate = ep.tool_call_error_rate
    return (math.inf if rate is None else rate, ep.tag)


def _order(
    endpoints: Sequence[Endpoint],
    rules: ProviderRules,
    model_id: str,
    health: Health | None,
    rng: random.Random | None,
    cache: PlanCache | None,
) -> list[Candidate]:
    # BYOK endpoints come before everything, whatever ``order`` says; shared capacity follows.
    ordered = [Candidate(ep, "BYOK key: tried before shared capacity") for ep in endpoints if ep.is_byok]
    remaining = [ep for ep in endpoints if not ep.is_byok]
    for i, slug in enumerate(rules.order):
        for ep in list(remaining):
            if ep.matches(slug):
                ordered.append(Candidate(ep, f"provider.order[{i}] '{slug}'"))
                remaining.remove(ep)
    if rules.order and not rules.allow_fallbacks:
        return ordered

    spec = rules.sort_spec
    if spec is not None:
        key = _sort_key(spec.by)
        for ep in sorted(remaining, key=key):
            ordered.append(Candidate(ep, f"sort by {spec.by.value}"))
    else:
        ordered.extend(_load_balanced(remaining, model_id, health, rng, cache))
    ordered = _apply_preferences(ordered, rules)
    return ordered if rng is not None else _first_pick_odds(ordered, rules)


def _weight(ep: Endpoint) -> float:
    price = float(ep.pricing.blended)
    # Free endpoints would get an infinite weight: give them a floor price of $0.001/M.
    return 1.0 / max(price, 1e-9) ** 2


def _price_order(ep: Endpoint) -> tuple[float, str]:
    return float(ep.pricing.blended), ep.tag


@dataclass(frozen=True, slots=True)
class _Balance:
    """Load balancing over one set of healthy endpoints: the cheapest first, each one's
    1/price² weight, the running total of those weights, and each one's first-pick chance."""

    pool: tuple[Endpoint, ...]
    weights: tuple[float, ...]
    cumulative: tuple[float, ...]
    chances: tuple[float, ...]


def _balance(stable: Sequence[Endpoint]) -> _Balance:
    weight = {ep.tag: _weight(ep) for ep in stable}
    total = sum(weight.values())
    pool = tuple(sorted(stable, key=_price_order))
    weights = tuple(weight[ep.tag] for ep in pool)
    return _Balance(pool, weights, tuple(accumulate(weights)), tuple(w / total for w in weights))


def _load_balanced(
    endpoints: Sequence[Endpoint],
    model_id: str,
    health: Health | None,
    rng: random.Random | None,
    cache: PlanCache | None,
) -> list[Candidate]:
    stable: list[Endpoint] = []
    unstable: list[Endpoint] = []
    for ep in endpoints:
        (unstable if health is not None and health.had_recent_outage(model_id, ep) else stable).append(ep)
    balance = cache.balance(stable) if cache is not None else _balance(stable)
    reason = "load balanced (weight 1/price²)"
    if rng is None:
        out = [Candidate(ep, reason, chance) for ep, chance in zip(balance.pool, balance.chances, strict=True)]
    else:
        out = []
        # Weighted sampling without replacement: each attempt picks among those not yet
        # tried. One draw per pick, as ``rng.choices(pool, weights)`` makes it (the same
        # bisection over the running totals), so seeded plans stay what they were.
        pool = list(zip(balance.pool, balance.weights, balance.chances, strict=True))
        cumulative = list(balance.cumulative)
        while pool:
            pick = bisect_right(cumulative, rng.random() * (cumulative[-1] + 0.0), 0, len(pool) - 1)
            ep, _, chance = pool.pop(pick)
            out.append(Candidate(ep, reason, chance))
            if pool:
                cumulative = list(accumulate(weight for _, weight, _ in pool))
    for ep in sorted(unstable, key=_price_order):
        out.append(Candidate(ep, f"outage in the last {OUTAGE_WINDOW_S:.0f} s: moved last"))
    return out


def _first_pick_odds(ordered: list[Candidate], rules: ProviderRules) -> list[Candidate]:
    """Each candidate's chance to be tried first, as the draw in :func:`_load_balanced` and the
    preference reordering make it: the first endpoint that meets the preferences leads; when
    that is one of the load-balanced endpoints, the draw decides, and a weighted draw without
    replacement puts each endpoint of a subset first in proportion to its weight. Endpoints
    moved back by a preference have no chance unless every endpoint misses. Only for plans
    with load balancing; a plan in a fixed order has its first entry as its first pick."""
    if all(c.first_pick_chance is None for c in ordered):
        return ordered
    meets = [c for c in ordered if _preference_miss(c.endpoint, rules) is None]
    pool = meets or ordered
    if pool[0].first_pick_chance is None:  # a BYOK or provider.order endpoint leads
        odds = {pool[0].endpoint.tag: 1.0}
    else:
        drawn = [c.endpoint for c in pool if c.first_pick_chance is not None]
        total = sum(_weight(ep) for ep in drawn)
        odds = {ep.tag: _weight(ep) / total for ep in drawn}
    return [Candidate(c.endpoint, c.reason, odds.get(c.endpoint.tag, 0.0)) for c in ordered]


def _apply_preferences(ordered: list[Candidate], rules: ProviderRules) -> list[Candidate]:
    """preferred_min_throughput / preferred_max_latency: endpoints missing a cutoff go to the
    back, never excluded; the order is otherwise kept."""
    if rules.preferred_min_throughput is None and rules.preferred_max_latency is None:
        return ordered
    meets: list[Candidate] = []
    misses: list[Candidate] = []
    for cand in ordered:
        problem = _preference_miss(cand.endpoint, rules)
        if problem is None:
            meets.append(cand)
        else:
            misses.append(Candidate(cand.endpoint, f"{cand.reason}; moved back: {problem}", cand.first_pick_chance))
    return meets + misses


def _preference_miss(ep: Endpoint, rules: ProviderRules) -> str | None:
    pref = rules.preferred_min_throughput
    if pref is not None:
        cutoffs = {"p50": pref} if isinstance(pref, float | int) else pref.model_dump(exclude_none=True)
        for pct, limit in cutoffs.items():
            value = getattr(ep.throughput_last_30m, pct)
            if value < limit:
                return f"throughput {pct} {value:g} tok/s < {limit:g}"
    lat = rules.preferred_max_latency
    if lat is not None:
        cutoffs = {"p50": lat} if isinstance(lat, float | int) else lat.model_dump(exclude_none=True)
        for pct, limit in cutoffs.items():
            value = getattr(ep.latency_last_30m, pct)
            if value > limit:
                return f"latency {pct} {value:g} s > {limit:g}"
    return None


def _failure(model: Model, rules: ProviderRules, request: RouteRequest, emptied_by: str | None) -> RoutingFailure:
    # OpenRouter's allow-list message names the preference that emptied the pool; only the
    # ``only`` wording is published, the ``ignore`` and ``order`` ones follow its pattern.
    preference = {
        "only": f"provider.only preference permits only: {', '.join(rules.only)}",
        "ignore": f"provider.ignore preference excludes: {', '.join(rules.ignore)}",
        "order": f"provider.order preference with allow_fallbacks false permits only: {', '.join(rules.order)}",
    }.get(emptied_by or "")
    if preference is not None:
        serving = ", ".join(sorted({ep.provider_slug for ep in model.endpoints}))
        return RoutingFailure(
            404,
            f"No allowed providers are available for the selected model. Providers serving "
            f"{model.id}: {serving}, but your request's {preference}.",
            "not_found",
            ("allowed_providers",),
        )
    if emptied_by in ("data_collection", "zdr"):
        source = "data_policy:zdr" if emptied_by == "zdr" else "data_policy:training"
        return RoutingFailure(404, "No endpoints found matching your data policy", "not_found", (source,))
    if emptied_by == "require_parameters" and "tools" in request.parameters:
        return RoutingFailure(
            404,
            f"No endpoints found that support tool use. To learn more about provider routing, visit: {DOCS_URL}",
            "not_found",
            ("require_parameters",),
        )
    if emptied_by == "tier":
        # Only tier endpoints serve it, and nothing selected them: OpenRouter's bare message.
        return RoutingFailure(404, f"No endpoints found for {model.id}.", "not_found", ("tier",))
    if emptied_by == "distillable":
        return RoutingFailure(
            404,
            f"No endpoints found for {model.id} that allow distillation (provider.enforce_distillable_text). "
            f"To learn more about provider routing, visit: {DOCS_URL}",
            "not_found",
            ("distillable",),
        )
    by = emptied_by or "unknown"
    return RoutingFailure(
        404,
        f"No endpoints found for {model.id} that match your request's {by.replace('_', ' ')} constraints. "
        f"To learn more about provider routing, visit: {DOCS_URL}",
        "not_found",
        (by,),
    )
