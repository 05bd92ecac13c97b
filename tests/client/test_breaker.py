from __future__ import annotations

from orcli.client.breaker import Breakers, BreakerState
from orcli.policy.model import CircuitBreaker


def test_opens_after_threshold_then_half_opens_for_one_probe_then_closes() -> None:
    breakers = Breakers(CircuitBreaker(failure_threshold=3, cool_down_s=10))
    for t in (0.0, 1.0):
        breakers.failure("m", t)
        assert breakers.allows("m", t)
    breakers.failure("m", 2.0)
    assert breakers.state("m", 2.0) is BreakerState.OPEN and not breakers.allows("m", 11.9)
    assert breakers.state("m", 12.0) is BreakerState.HALF_OPEN and breakers.allows("m", 12.0)
    breakers.sending("m", 12.0)
    assert not breakers.allows("m", 12.5)  # one probe at a time
    breakers.success("m")
    assert breakers.state("m", 12.6) is BreakerState.CLOSED


def test_each_failed_probe_doubles_the_cool_down_up_to_its_cap_and_a_success_resets_it() -> None:
    breakers = Breakers(CircuitBreaker(failure_threshold=1, cool_down_s=5, max_cool_down_s=15))
    breakers.failure("m", 0.0)
    assert breakers.opened_at("m") == 0.0 and breakers.cool_down("m") == 5
    breakers.sending("m", 5.0)
    breakers.failure("m", 6.0)  # the probe failed: 10 s now
    assert breakers.state("m", 15.9) is BreakerState.OPEN
    assert breakers.state("m", 16.0) is BreakerState.HALF_OPEN
    breakers.sending("m", 16.0)
    breakers.failure("m", 16.0)  # 20 s would pass the cap
    assert breakers.cool_down("m") == 15 and breakers.state("m", 31.0) is BreakerState.HALF_OPEN
    breakers.sending("m", 31.0)
    breakers.success("m")
    assert breakers.opened_at("m") is None and breakers.cool_down("m") == 0
    breakers.failure("m", 40.0)  # opens again with the first cool-down
    assert breakers.state("m", 45.0) is BreakerState.HALF_OPEN


def test_a_failure_while_open_restarts_the_cool_down_without_growing_it() -> None:
    breakers = Breakers(CircuitBreaker(failure_threshold=1, cool_down_s=5))
    breakers.failure("m", 0.0)
    breakers.failure("m", 3.0)
    assert breakers.cool_down("m") == 5 and breakers.state("m", 7.9) is BreakerState.OPEN
    assert breakers.state("m", 8.0) is BreakerState.HALF_OPEN


def test_success_resets_the_consecutive_count_and_disabled_never_opens() -> None:
    breakers = Breakers(CircuitBreaker(failure_threshold=2, cool_down_s=5))
    breakers.failure("m", 0.0)
    breakers.success("m")
    breakers.failure("m", 1.0)
    assert breakers.state("m", 1.0) is BreakerState.CLOSED
    off = Breakers(CircuitBreaker(enabled=False, failure_threshold=1))
    off.failure("m", 0.0)
    assert off.allows("m", 0.0)


def test_open_keys_lists_open_and_half_open_breakers_until_a_success_closes_them() -> None:
    breakers = Breakers(CircuitBreaker(failure_threshold=1, cool_down_s=5))
    breakers.failure(("m", "B"), 0.0)
    breakers.failure(("m", "A"), 0.0)
    breakers.failure(("m", None), 0.0)  # a model breaker is not a route
    breakers.success(("other", None))  # a key that never failed changes nothing
    assert breakers.open_routes() == [("m", "A"), ("m", "B")]
    assert breakers.state(("m", "A"), 6.0) is BreakerState.HALF_OPEN
    assert breakers.open_routes() == [("m", "A"), ("m", "B")]  # half-open is still not closed
    breakers.success(("m", "A"))
    assert breakers.open_routes() == [("m", "B")]
    breakers.failure(("m", "A"), 7.0)  # one failure after closing reopens at threshold 1
    assert breakers.open_routes() == [("m", "A"), ("m", "B")]


def test_open_routes_keep_the_order_of_the_model_at_provider_text() -> None:
    # provider.ignore has always listed providers in this order: changing it would change
    # the requests sent, and so every report.
    breakers = Breakers(CircuitBreaker(failure_threshold=1, cool_down_s=5))
    for key in (("o/gpt-4o", "B"), ("o/gpt-4o-mini", "A"), ("o/gpt-4o", "A")):
        breakers.failure(key, 0.0)
    assert breakers.open_routes() == [("o/gpt-4o-mini", "A"), ("o/gpt-4o", "A"), ("o/gpt-4o", "B")]
