"""Activation rules: when a fault fires, alone and combined; every firing is recorded."""

from __future__ import annotations

from typing import Any

from orcli.catalog.model import Catalog
from orcli.upstream.faults import AuthFault, OutageFault, RateLimitFault
from orcli.upstream.simulator import Simulator
from tests.upstream.support import request_body

ONE_ENDPOINT = {"provider": {"only": ["alpha"]}}  # one attempt per request: one evaluation per request


def statuses(catalog: Catalog, fault: Any, times_s: list[float], seed: int = 0) -> list[int]:
    sim = Simulator(catalog, [fault], seed=seed)
    return [sim.chat(request_body(**ONE_ENDPOINT), now_s=t).status for t in times_s]


def down(codes: list[int]) -> list[int]:
    """1-based indexes of the requests that failed."""
    return [i for i, code in enumerate(codes, start=1) if code != 200]


def test_without_activation_rules_a_fault_always_fires(catalog: Catalog) -> None:
    assert down(statuses(catalog, AuthFault(), [0.0] * 3)) == [1, 2, 3]


def test_request_index_range(catalog: Catalog) -> None:
    assert down(statuses(catalog, OutageFault(from_request=2, to_request=4), [0.0] * 6)) == [2, 3, 4]


def test_time_window_is_start_inclusive_end_exclusive(catalog: Catalog) -> None:
    fault = OutageFault(start_s=10, end_s=20)
    assert down(statuses(catalog, fault, [0, 9.9, 10, 15, 19.9, 20, 30])) == [3, 4, 5]


def test_every_nth(catalog: Catalog) -> None:
    assert down(statuses(catalog, OutageFault(every=3), [0.0] * 9)) == [3, 6, 9]


def test_first_n_then_healthy(catalog: Catalog) -> None:
    assert down(statuses(catalog, OutageFault(first=2), [0.0] * 5)) == [1, 2]


def test_flapping_down_for_part_of_each_period(catalog: Catalog) -> None:
    fault = OutageFault(flap_period_s=10, flap_down_s=3)
    assert down(statuses(catalog, fault, [0, 2.9, 3, 9, 10, 12, 14, 25])) == [1, 2, 5, 6]


def test_flapping_defaults_to_half_the_period_from_start(catalog: Catalog) -> None:
    fault = OutageFault(flap_period_s=10, start_s=100)
    assert down(statuses(catalog, fault, [50, 100, 104, 105, 110, 116])) == [2, 3, 5]


def test_probability_is_seeded_and_near_its_rate(catalog: Catalog) -> None:
    fault = OutageFault(probability=0.3)
    first = statuses(catalog, fault, [0.0] * 400, seed=9)
    assert first == statuses(catalog, fault, [0.0] * 400, seed=9)
    assert first != statuses(catalog, fault, [0.0] * 400, seed=10)
    assert 0.24 < len(down(first)) / 400 < 0.36


def test_rules_combine_with_and(catalog: Catalog) -> None:
    fault = OutageFault(from_request=3, every=2, first=4)
    # matching events are requests 3, 4, 5, ...; the first four of them (3-6) are eligible,
    # and of those every second one fires
    assert down(statuses(catalog, fault, [0.0] * 10)) == [4, 6]


def test_target_provider_and_model(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault(provider="alpha", model="acme/backup")])
    assert sim.chat(request_body(**ONE_ENDPOINT)).status == 200  # acme/chat: not targeted
    assert sim.chat(request_body(model="acme/small")).status == 200  # alpha but another model
    assert sim.fired("outage-1") == 0
    sim.add_fault(OutageFault(provider="alpha", id="alpha-down"))
    assert sim.chat(request_body(**ONE_ENDPOINT)).status == 502
    assert sim.fired("alpha-down") == 1


def test_firings_are_recorded_with_request_time_provider_and_model(catalog: Catalog) -> None:
    sim = Simulator(catalog, [RateLimitFault(provider="alpha", id="rl"), AuthFault(from_request=2)])
    sim.chat(request_body(provider={"sort": "price"}), now_s=5.0)
    sim.chat(request_body(), now_s=7.0)
    first, second = sim.firings
    assert (first.fault_id, first.kind, first.request_index, first.provider, first.model) == (
        "rl",
        "rate_limit",
        1,
        "alpha",
        "acme/chat",
    )
    assert first.at_s == 5.0 + sim.options.overhead_s
    assert first.generation_id == sim.requests[0].generation_id
    assert (second.fault_id, second.request_index, second.provider, second.at_s) == ("auth-2", 2, "alpha", 7.0)


def test_faults_compose_latency_adds_and_first_failure_wins(catalog: Catalog) -> None:
    from orcli.upstream.faults import LatencyFault

    faults = [
        LatencyFault(add_s=2, id="slow-1"),
        LatencyFault(add_s=3, id="slow-2"),
        OutageFault(provider="alpha", status=503, id="down"),
        OutageFault(provider="alpha", status=500, id="never"),
    ]
    sim = Simulator(catalog, faults)
    reply = sim.chat(request_body(provider={"sort": "price"}))
    assert reply.status == 200
    assert [f.fault_id for f in sim.firings] == ["slow-1", "slow-2", "down", "slow-1", "slow-2"]
    assert sim.log[0].status == 503
    assert sim.log[0].latency_s == 5.0 + 0.2
    assert reply.delay_s > 10


def test_add_remove_and_clear_faults_at_runtime(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    added = sim.add_fault(OutageFault())
    assert added.id == "outage-1"
    assert sim.add_fault(AuthFault()).id == "auth-2"
    assert sim.chat(request_body()).status == 401  # request-stage faults act before routing
    assert sim.remove_fault("auth-2")
    assert sim.chat(request_body(**ONE_ENDPOINT)).status == 502
    sim.clear_faults()
    assert sim.faults == ()
    assert sim.chat(request_body()).status == 200
    assert sim.add_fault(OutageFault()).id == "outage-3"  # ids keep counting after a clear
