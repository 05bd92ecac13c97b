"""The total deadline bounds every attempt and wait; budgets refuse before sending."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orcli.catalog import default_catalog
from orcli.client.hops import BUDGET, StopKind
from orcli.clock import VirtualClock
from orcli.errors import BudgetExceeded, CheckFailed, ClientError
from orcli.policy.model import ErrorClass

from .fakes import FakeOpenRouter, Reply, completion, fail, ok
from .helpers import HELLO, PRIMARY, client, workflow


def test_total_deadline_caps_attempts_and_waits() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter(lambda body: Reply(delay_s=100), clock)
    wf = workflow(timeouts={"attempt_s": 8, "total_s": 20}, retry={"max_attempts": 10, "max_attempts_per_route": 10})
    result = client(fake, clock, wf).chat(HELLO)
    assert not result.ok and result.error_class is ErrorClass.TIMEOUT
    assert clock.now() <= 20.0 + 1e-9
    last = result.attempts[-1]
    assert last.started_at + last.latency_s <= 20.0 + 1e-9
    assert last.latency_s <= 8.0
    assert result.latency_s <= 20.0 + 1e-9


def test_retry_after_beyond_the_deadline_is_not_waited_for() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([fail(429, "slow down", {"Retry-After": "25"})], clock)
    wf = workflow(
        models={"primary": PRIMARY},
        timeouts={"total_s": 20},
        retry={"max_retry_after_s": 60},
    )
    result = client(fake, clock, wf).chat(HELLO)
    assert len(fake.bodies) == 1 and clock.now() == 0.0
    assert result.error_class is ErrorClass.RATE_LIMIT
    assert result.stop_reason is not None and result.stop_reason.kind is StopKind.NO_FALLBACK


def tight(per_request: str | None = None, per_run: str | None = None) -> dict[str, object]:
    budget: dict[str, object] = {}
    if per_request:
        budget["max_cost_per_request_usd"] = per_request
    if per_run:
        budget["max_cost_per_run_usd"] = per_run
    return budget


def test_request_whose_worst_case_breaks_the_per_request_cap_is_refused_unsent() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([ok()], clock)
    # gpt-4o-mini: $0.6 per million output tokens; 16,384 max tokens ~ $0.0098 > $0.005.
    wf = workflow(models={"primary": PRIMARY}, budget=tight(per_request="0.005"))
    c = client(fake, clock, wf, catalog=default_catalog(), workflow_name="support")
    with pytest.raises(BudgetExceeded) as info:
        c.chat(HELLO)
    assert fake.bodies == []
    error = info.value
    assert error.scope == "request" and error.cap_usd == Decimal("0.005")
    assert isinstance(error, ClientError) and not isinstance(error, CheckFailed)  # a refusal, not a failed check
    assert str(error).startswith("budget: workflow 'support' attempt 1 could cost up to $0.00")
    assert str(error).endswith("exceeds the per-request cap of $0.005. Nothing was sent.")
    # With a small max_tokens the same request fits.
    assert c.chat(HELLO, max_tokens=500).ok
    assert fake.bodies[0]["max_tokens"] == 500


def test_lifetime_cap_refuses_once_spending_reaches_it() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter(lambda body: ok(cost=0.004), clock)
    wf = workflow(models={"primary": PRIMARY}, budget=tight(per_run="0.01"))
    c = client(fake, clock, wf, catalog=default_catalog())
    c.chat(HELLO, max_tokens=100)
    c.chat(HELLO, max_tokens=100)
    assert c.spent_usd == Decimal("0.008")
    with pytest.raises(BudgetExceeded) as info:
        c.chat(HELLO, max_tokens=5000)  # worst case over $0.003, + $0.008 spent > $0.01
    assert info.value.scope == "client" and len(fake.bodies) == 2


def test_a_retry_that_would_break_the_cap_stops_the_request_with_an_alert() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([Reply(200, {**completion(cost=0.009), "choices": []}), ok()], clock)
    wf = workflow(models={"primary": PRIMARY}, budget=tight(per_request="0.01"))
    result = client(fake, clock, wf, catalog=default_catalog()).chat(HELLO, max_tokens=2000)
    assert len(fake.bodies) == 1 and not result.ok
    assert result.stop_reason is BUDGET
    assert result.alerts and "attempt 2" in result.alerts[0] and "Nothing was sent" in result.alerts[0]


def test_without_prices_only_money_already_spent_counts() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter(lambda body: ok(cost=0.02), clock)
    wf = workflow(models={"primary": PRIMARY}, budget=tight(per_run="0.03"))
    c = client(fake, clock, wf)  # no catalog: no estimate
    c.chat(HELLO)
    c.chat(HELLO)
    with pytest.raises(BudgetExceeded):
        c.chat(HELLO)
