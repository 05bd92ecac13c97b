"""Routing for the simulator: the request's endpoint plan, and the failover rules.

Endpoint eligibility and order come from :mod:`orcli.routing.plan` (the same code
``orcli explain`` shows), fed with the simulator's health and a per-request seeded RNG.
This module turns the plan into the sequence OpenRouter walks: each model's endpoints
in order (or all models' endpoints together under ``sort.partition: none``), with models
that have no eligible endpoint contributing their routing error in their place.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from orcli.catalog.model import Catalog, Endpoint
from orcli.routing.plan import (
    DOCS_URL,
    Candidate,
    Health,
    PlanCache,
    RoutePlan,
    RouteRequest,
    RoutingFailure,
    plan_model,
    plan_route,
)
from orcli.upstream.protocol import ChatRequest


# Statuses after which OpenRouter tries the model's next endpoint: upstream 5xx, rate
# limits and upstream timeouts (408 here). Other errors (400, 401, 403, ...) end the model;
# whether a provider 400/403 triggers provider failover is unconfirmed, so it does not.
def fails_over(status: int) -> bool:
    return status >= 500 or status in (408, 429)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to try: an endpoint of a model, or a model that has nothing to try."""

    model_id: str
    candidate: Candidate | None
    failure: RoutingFailure | None = None
    # Soft-preferred parameters (tools, response_format) that no eligible endpoint of the
    # model supports: OpenRouter drops them and the model answers without them.
    dropped: tuple[str, ...] = ()


def route_request(chat: ChatRequest) -> RouteRequest:
    return RouteRequest(
        models=chat.models,
        provider=chat.provider,
        parameters=chat.parameters,
        prompt_tokens=chat.prompt_tokens,
        max_tokens=chat.max_tokens,
    )


def unknown_models(chat: ChatRequest, catalog: Catalog) -> list[str]:
    return [m for m in chat.models if catalog.get(m) is None]


def no_endpoints_failure(model_id: str, message: str | None) -> RoutingFailure:
    text = message or f"No endpoints found for {model_id}. To learn more about provider routing, visit: {DOCS_URL}"
    return RoutingFailure(404, text, "not_found", ("no_endpoints",))


Dropped = Callable[[str, Endpoint], str | None]


def walk(
    chat: ChatRequest,
    catalog: Catalog,
    health: Health,
    rng: random.Random,
    dropped: Dropped,
    cache: PlanCache | None = None,
) -> Iterator[Step]:
    """The failover sequence, as OpenRouter walks it. ``dropped(model, endpoint)`` returns a
    message when a fault removes the endpoint from routing (``""`` for the default message),
    else None.

    Each model is planned when the walk reaches it, so a request its first model serves
    never orders the fallbacks' endpoints (most requests: planning every model up front was
    a tenth of the simulator's time). ``sort.partition: none`` ranks every model's endpoints
    together, so there all of them are planned first.
    """
    request = route_request(chat)
    spec = chat.provider.sort_spec
    if spec is not None and spec.partition == "none":
        yield from _pooled_steps(plan_route(request, catalog, health=health, rng=rng, cache=cache), dropped)
        return
    for model_id in request.models:
        planned = plan_model(model_id, catalog, request.provider, request, health=health, rng=rng, cache=cache)
        kept: list[Candidate] = []
        removed: str | None = None  # the message of the last fault that dropped an endpoint
        for cand in planned.candidates:
            message = dropped(model_id, cand.endpoint)
            if message is None:
                kept.append(cand)
            else:
                removed = message
        if kept:
            yield from (Step(model_id, cand, dropped=planned.dropped_parameters) for cand in kept)
        else:
            yield Step(model_id, None, planned.failure or no_endpoints_failure(model_id, removed or None))


def _pooled_steps(route: RoutePlan, dropped: Dropped) -> list[Step]:
    removed: dict[str, str] = {}
    kept: list[tuple[str, Candidate]] = []
    for model_id, cand in route.attempts:
        message = dropped(model_id, cand.endpoint)
        if message is None:
            kept.append((model_id, cand))
        else:
            removed[model_id] = message
    served = {m for m, _ in kept}
    params = {mp.model_id: mp.dropped_parameters for mp in route.models}
    out = [Step(m, c, dropped=params[m]) for m, c in kept]
    out.extend(
        Step(mp.model_id, None, mp.failure or no_endpoints_failure(mp.model_id, removed.get(mp.model_id) or None))
        for mp in route.models
        if mp.model_id not in served
    )
    return out
