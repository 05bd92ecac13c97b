"""Routing rules through the simulator: which endpoints are tried, in which order, and the
errors OpenRouter answers when nothing is eligible. Expectations are stable under the seed."""

from __future__ import annotations

from typing import Any

import pytest

from orcli.catalog.model import Catalog
from orcli.upstream.faults import (
    ContextLengthFault,
    ModerationFault,
    OutageFault,
    RateLimitFault,
    TimeoutFault,
)
from orcli.upstream.simulator import Simulator
from tests.upstream.support import as_json, request_body, served

ALWAYS_DOWN = OutageFault()  # every attempt fails: the log then shows the whole try order


def tried(catalog: Catalog, seed: int = 0, **body: Any) -> list[str]:
    sim = Simulator(catalog, [ALWAYS_DOWN], seed=seed)
    sim.chat(request_body(**body))
    return served(sim)


def error_of(catalog: Catalog, **body: Any) -> tuple[int, dict[str, Any]]:
    reply = Simulator(catalog).chat(request_body(**body))
    return reply.status, as_json(reply)["error"]


# --- ordering rules, each alone -----------------------------------------------------------------


def test_tier_endpoints_are_not_eligible_by_default(catalog: Catalog) -> None:
    assert sorted(tried(catalog)) == ["alpha", "beta", "gamma"]


def test_order_tries_listed_providers_first_then_the_pool(catalog: Catalog) -> None:
    assert tried(catalog, provider={"order": ["gamma", "beta"]})[:2] == ["gamma", "beta"]
    assert tried(catalog, provider={"order": ["gamma", "beta"]})[2:] == ["alpha"]


def test_order_without_fallbacks_tries_only_the_list(catalog: Catalog) -> None:
    assert tried(catalog, provider={"order": ["gamma", "beta"], "allow_fallbacks": False}) == ["gamma", "beta"]


def test_no_fallbacks_without_order_tries_only_the_top_endpoint(catalog: Catalog) -> None:
    assert tried(catalog, provider={"allow_fallbacks": False, "sort": "latency"}) == ["beta"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price", ["alpha", "beta", "gamma"]),
        ("throughput", ["gamma", "beta", "alpha"]),
        ("latency", ["beta", "gamma", "alpha"]),
        ({"by": "throughput"}, ["gamma", "beta", "alpha"]),
    ],
)
def test_sort(catalog: Catalog, sort: Any, expected: list[str]) -> None:
    assert tried(catalog, provider={"sort": sort}) == expected


def test_only_and_ignore(catalog: Catalog) -> None:
    assert sorted(tried(catalog, provider={"only": ["alpha", "gamma"]})) == ["alpha", "gamma"]
    assert sorted(tried(catalog, provider={"ignore": ["alpha"]})) == ["beta", "gamma"]
    # display names are accepted as well as slugs
    assert sorted(tried(catalog, provider={"only": ["Beta"]})) == ["beta"]


def test_quantizations(catalog: Catalog) -> None:
    assert tried(catalog, provider={"quantizations": ["fp16", "bf16"], "sort": "price"}) == ["beta", "gamma"]


def test_data_collection_deny_drops_endpoints_that_train(catalog: Catalog) -> None:
    assert sorted(tried(catalog, provider={"data_collection": "deny"})) == ["alpha", "gamma"]


def test_zdr_keeps_only_zero_retention_endpoints(catalog: Catalog) -> None:
    assert tried(catalog, provider={"zdr": True}) == ["gamma"]


def test_max_price_is_per_million_tokens_strings_or_numbers(catalog: Catalog) -> None:
    assert sorted(tried(catalog, provider={"max_price": {"prompt": 2, "completion": "2.5"}})) == ["alpha", "beta"]


def test_require_parameters_drops_endpoints_lacking_a_sent_parameter(catalog: Catalog) -> None:
    body = {"provider": {"require_parameters": True, "sort": "price"}, "response_format": {"type": "json_object"}}
    assert tried(catalog, **body) == ["alpha"]


def test_tools_are_a_soft_preference_without_require_parameters(catalog: Catalog) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    assert sorted(tried(catalog, tools=tools)) == ["alpha", "beta"]  # gamma lacks tools
    # when no endpoint of the model supports tools, the parameter is dropped and the model kept
    assert sorted(tried(catalog, model="acme/backup", tools=tools)) == ["delta", "epsilon"]


def test_preferred_max_latency_moves_slow_endpoints_back(catalog: Catalog) -> None:
    body = {"provider": {"sort": "price", "preferred_max_latency": 0.25}}
    assert tried(catalog, **body) == ["beta", "alpha", "gamma"]


def test_preferred_min_throughput_with_percentile_cutoffs(catalog: Catalog) -> None:
    body = {"provider": {"sort": "price", "preferred_min_throughput": {"p90": 150}}}
    assert tried(catalog, **body) == ["gamma", "alpha", "beta"]


def test_nitro_sorts_by_throughput_and_admits_priority_endpoints(catalog: Catalog) -> None:
    assert tried(catalog, model="acme/chat:nitro") == ["alpha/priority", "gamma", "beta", "alpha"]


def test_floor_sorts_by_price_and_admits_flex_endpoints(catalog: Catalog) -> None:
    assert tried(catalog, model="acme/chat:floor") == ["beta/flex", "alpha", "beta", "gamma"]


def test_tier_endpoint_by_its_own_slug(catalog: Catalog) -> None:
    assert tried(catalog, provider={"only": ["alpha/priority"]}) == ["alpha/priority"]


def test_byok_endpoints_come_first_whatever_the_order(catalog: Catalog) -> None:
    assert tried(catalog, model="acme/keyed", provider={"order": ["alpha"]}) == ["beta", "alpha"]


def test_byok_is_billed_at_five_percent_and_flagged(catalog: Catalog) -> None:
    reply = Simulator(catalog).chat(request_body(model="acme/keyed"))
    body = as_json(reply)
    usage = body["usage"]
    assert body["provider"] == "Beta"
    assert usage["is_byok"] is True
    full = usage["cost_details"]["upstream_inference_cost"]
    assert usage["cost"] == pytest.approx(full * 0.05)
    assert full == pytest.approx((usage["prompt_tokens"] + usage["completion_tokens"]) * 2e-6)


def test_context_length_filters_small_endpoints(catalog: Catalog) -> None:
    status, error = error_of(catalog, model="acme/small", max_tokens=499, messages=[
        {"role": "user", "content": "x" * 8000}
    ])  # fmt: skip
    assert status == 404
    assert "context length" in error["message"]


# --- default load balancing --------------------------------------------------------------------


def first_picks(catalog: Catalog, count: int, seed: int = 0) -> dict[str, int]:
    sim = Simulator(catalog, seed=seed)
    for _ in range(count):
        sim.chat(request_body())
    picks: dict[str, int] = {}
    for attempt in sim.log:
        picks[attempt.endpoint] = picks.get(attempt.endpoint, 0) + 1
    return picks


def test_default_order_weights_first_pick_by_inverse_square_price(catalog: Catalog) -> None:
    picks = first_picks(catalog, 1400)
    # weights 1 : 1/4 : 1/9 -> shares 73.5% : 18.4% : 8.2%
    assert 0.70 < picks["alpha"] / 1400 < 0.77
    assert 0.15 < picks["beta"] / 1400 < 0.22
    assert 0.06 < picks["gamma"] / 1400 < 0.11


def test_default_order_is_stable_under_the_seed(catalog: Catalog) -> None:
    assert first_picks(catalog, 50, seed=4) == first_picks(catalog, 50, seed=4)
    assert first_picks(catalog, 50, seed=4) != first_picks(catalog, 50, seed=5)


def test_endpoint_with_an_outage_in_the_last_30_s_goes_last(catalog: Catalog) -> None:
    # The documented example: A $1, B $2 with a recent outage, C $3.
    sim = Simulator(catalog, [OutageFault(provider="beta", first=1)], seed=1)
    sim.chat(request_body(provider={"order": ["beta"]}), now_s=0.0)  # beta fails at t=0.02
    assert served(sim) == ["beta", "alpha"]
    for i in range(40):
        sim.chat(request_body(), now_s=1.0 + i * 0.5)
    assert all(a.endpoint != "beta" for a in sim.log[2:])  # never first while the outage is recent


def test_outage_is_forgotten_after_30_s(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault(provider="beta", first=1), OutageFault(from_request=2, to_request=2)], seed=1)
    sim.chat(request_body(provider={"order": ["beta"]}), now_s=0.0)
    sim.chat(request_body(), now_s=10.0)  # every endpoint fails: the log shows the whole order
    assert [a.endpoint for a in sim.log if a.request_index == 2][-1] == "beta"
    firsts = set()
    for i in range(3, 60):
        sim.chat(request_body(), now_s=40.0 + i)
        firsts.add(next(a.endpoint for a in sim.log if a.request_index == i))
    assert "beta" in firsts  # stable again: it can be picked first


# --- failover --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        OutageFault(provider="alpha", status=503),
        RateLimitFault(provider="alpha"),
        TimeoutFault(provider="alpha", seconds=5),
    ],
)
def test_failover_to_the_next_endpoint(catalog: Catalog, fault: Any) -> None:
    sim = Simulator(catalog, [fault])
    reply = sim.chat(request_body(provider={"sort": "price"}))
    assert reply.status == 200
    assert as_json(reply)["provider"] == "Beta"
    assert [(a.endpoint, a.outcome) for a in sim.log] == [("alpha", fault.kind), ("beta", "ok")]


def test_each_attempt_costs_simulated_time(catalog: Catalog) -> None:
    healthy = Simulator(catalog).chat(request_body(provider={"order": ["beta"]}))
    slow = Simulator(catalog, [TimeoutFault(provider="alpha", seconds=5)]).chat(
        request_body(provider={"sort": "price"})
    )
    assert slow.delay_s > 5 > healthy.delay_s


def test_no_provider_failover_on_a_model_level_error_but_next_model(catalog: Catalog) -> None:
    sim = Simulator(catalog, [ContextLengthFault(model="acme/chat")])
    reply = sim.chat(request_body(models=["acme/backup"], provider={"sort": "price"}))
    assert reply.status == 200
    assert as_json(reply)["model"] == "acme/backup"
    assert [(a.model, a.endpoint, a.status) for a in sim.log] == [
        ("acme/chat", "alpha", 400),
        ("acme/backup", "delta", 200),
    ]


def test_models_fallback_after_every_endpoint_failed(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault(model="acme/chat")])
    reply = sim.chat(request_body(models=["acme/backup"], provider={"sort": "price"}))
    body = as_json(reply)
    assert (body["model"], body["provider"]) == ("acme/backup", "Delta")
    assert served(sim) == ["alpha", "beta", "gamma", "delta"]
    # billed at the serving endpoint's price ($1/M)
    assert body["usage"]["cost"] == pytest.approx(body["usage"]["total_tokens"] * 1e-6)


def test_last_error_is_returned_when_everything_fails(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault(model="acme/chat"), RateLimitFault(model="acme/backup")])
    reply = sim.chat(request_body(models=["acme/backup"]))
    assert reply.status == 429
    assert as_json(reply)["error"]["metadata"]["provider_name"] in ("Delta", "Epsilon")


def test_moderation_moves_to_the_next_model(catalog: Catalog) -> None:
    sim = Simulator(catalog, [ModerationFault(model="acme/chat", reasons=("violence",))])
    only = sim.chat(request_body())
    assert only.status == 403
    meta = as_json(only)["error"]["metadata"]
    assert meta["reasons"] == ["violence"]
    assert meta["flagged_input"] == "Hello there"
    assert meta["model_slug"] == "acme/chat"
    assert sim.chat(request_body(models=["acme/backup"])).status == 200


def test_models_partition_none_sorts_every_models_endpoints_together(catalog: Catalog) -> None:
    body = {"models": ["acme/backup"], "provider": {"sort": {"by": "price", "partition": "none"}}}
    assert tried(catalog, **body) == ["alpha", "delta", "beta", "epsilon", "gamma"]
    assert tried(catalog, **{**body, "provider": {"sort": "price"}}) == ["alpha", "beta", "gamma", "delta", "epsilon"]


def test_deprecated_route_sort_means_partition_none(catalog: Catalog) -> None:
    body = {"models": ["acme/backup"], "provider": {"sort": "price"}, "route": "sort"}
    assert tried(catalog, **body) == ["alpha", "delta", "beta", "epsilon", "gamma"]


# --- nothing eligible ------------------------------------------------------------------------


def test_404_no_endpoints_support_tool_use(catalog: Catalog) -> None:
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    status, error = error_of(catalog, tools=tools, provider={"require_parameters": True, "only": ["gamma"]})
    assert status == 404
    assert error["message"] == (
        "No endpoints found that support tool use. To learn more about provider routing, "
        "visit: https://openrouter.ai/docs/provider-routing"
    )


def test_404_data_policy(catalog: Catalog) -> None:
    status, error = error_of(catalog, provider={"data_collection": "deny", "only": ["beta"]})
    assert (status, error["message"]) == (404, "No endpoints found matching your data policy")
    status, error = error_of(catalog, provider={"zdr": True, "ignore": ["gamma"]})
    assert (status, error["message"]) == (404, "No endpoints found matching your data policy")
    assert error["metadata"]["excluded_by"] == ["data_policy:zdr"]


def test_404_allowed_providers(catalog: Catalog) -> None:
    status, error = error_of(catalog, provider={"only": ["azure"]})
    assert status == 404
    assert error["message"] == (
        "No allowed providers are available for the selected model. Providers serving acme/chat: "
        "alpha, beta, gamma, but your request's provider.only preference permits only: azure."
    )


def test_unknown_model_is_a_400(catalog: Catalog) -> None:
    status, error = error_of(catalog, model="acme/nope")
    assert (status, error["message"]) == (400, "acme/nope is not a valid model ID")


# --- health memory is causal -------------------------------------------------------------------


def _firsts(sim: Simulator, times: list[float]) -> set[str]:
    """The endpoint each of these requests tried first."""
    out = set()
    for at in times:
        before = len(sim.log)
        sim.chat(request_body(), now_s=at)
        out.add(sim.log[before].endpoint)
    return out


def test_a_slow_failure_is_known_only_when_it_ends(catalog: Catalog) -> None:
    # beta answers 502 after 5 s: until then OpenRouter cannot know, so beta may still lead.
    sim = Simulator(catalog, [OutageFault(provider="beta", first=1, latency_s=5.0)], seed=1)
    sim.chat(request_body(provider={"order": ["beta"]}), now_s=0.0)
    assert served(sim) == ["beta", "alpha"]
    assert "beta" in _firsts(sim, [0.5 + i * 0.1 for i in range(40)])  # before t=5.02
    assert "beta" not in _firsts(sim, [5.5 + i * 0.5 for i in range(50)])  # known, for 30 s


def test_a_hang_is_known_when_openrouters_provider_timeout_fires(catalog: Catalog) -> None:
    from orcli.upstream.simulator import SimulatorOptions

    sim = Simulator(
        catalog,
        [TimeoutFault(provider="beta", first=1, hang=True)],
        seed=1,
        options=SimulatorOptions(provider_timeout_s=10.0),
    )
    assert sim.chat(request_body(provider={"order": ["beta"]}), now_s=0.0).never_arrives
    assert "beta" in _firsts(sim, [1.0 + i * 0.2 for i in range(40)])  # the hang is not yet known
    assert "beta" not in _firsts(sim, [10.5 + i * 0.5 for i in range(50)])  # known from t=10.02
    assert "beta" in _firsts(sim, [41.0 + i * 0.5 for i in range(40)])  # forgotten after 30 s


def test_default_provider_timeout_is_stated() -> None:
    from orcli.upstream.simulator import SimulatorOptions

    assert SimulatorOptions().provider_timeout_s == 60.0
