"""The decision engine driven directly: (now, outcome) in, plans, hops and stops out.

No transport and no clock: each script row says when the attempt is planned and what it
produced; the engine's answers are compared with what the policy and the rules table say.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from orcli.catalog.load import default_catalog
from orcli.catalog.model import Catalog
from orcli.client import wire
from orcli.client.classify import Failure
from orcli.client.core import AttemptPlan, ChatCall, Decision, Engine, Halt, RequestRun, Settings
from orcli.client.hops import (
    BUDGET,
    DEADLINE,
    SERVED,
    FallbackHop,
    Forgone,
    HopKind,
    QueuedHop,
    RetryForgone,
    RetryHop,
    StopKind,
    StopReason,
)
from orcli.client.rules import RULES, action_for
from orcli.errors import BudgetExceeded
from orcli.policy.compile import FallbackMode
from orcli.policy.model import ALERTING_CLASSES, STOP_ONLY_CLASSES, Action, ErrorClass, Retry, Workflow

M1, M2, M3 = "openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"
HELLO = [{"role": "user", "content": "Hello?"}]
STEADY = {"backoff": {"initial_s": 1.0, "multiplier": 2.0, "max_s": 8.0, "jitter": "none"}}


def workflow(**sections: Any) -> Workflow:
    data: dict[str, Any] = {"models": {"primary": M1, "fallbacks": [M2, M3]}}
    data.update(sections)
    return Workflow.model_validate(data)


def make_engine(wf: Workflow, *, mode: FallbackMode = "client", catalog: Catalog | None = None) -> Engine:
    settings = Settings(
        workflow=wf,
        workflow_name="engine",
        mode=mode,
        chat_url="http://gateway.internal/v1/chat/completions",
        key=None,
        app_url=None,
        app_title=None,
        catalog=catalog,
        wall_now=lambda: 0.0,
    )
    return Engine(settings, seed=7)


def start(wf: Workflow, *, mode: FallbackMode = "client", catalog: Catalog | None = None) -> RequestRun:
    return new_run(make_engine(wf, mode=mode, catalog=catalog), 0.0)


def new_run(engine: Engine, now: float) -> RequestRun:
    return engine.start(now, ChatCall(messages=HELLO, stream=False, idempotency_key="key-1"))


def ok(model: str, at: float) -> wire.AttemptOutcome:
    body = {
        "id": "gen-1",
        "model": model,
        "provider": "OpenAI",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "cost": 0.00001},
    }
    return wire.AttemptOutcome(status=200, body=body, failure=None, ended_at=at, first_token_at=at)


def failed(
    cls: ErrorClass, at: float, *, retry_after_s: float | None = None, cost: str | None = None
) -> wire.AttemptOutcome:
    failure = Failure(cls, f"{cls.value} upstream", retry_after_s=retry_after_s)
    body = None if cost is None else {"usage": {"prompt_tokens": 3, "completion_tokens": 1, "cost": cost}}
    return wire.AttemptOutcome(status=None, body=body, failure=failure, ended_at=at, first_token_at=None)


@dataclass(frozen=True)
class Step:
    """One attempt: planned at ``at``, it produced ``outcome``; the engine should have sent
    ``models`` and decided ``decision`` (a HopKind compares the kind only)."""

    at: float
    outcome: wire.AttemptOutcome
    models: tuple[str, ...]
    decision: Decision | HopKind


def drive(run: RequestRun, script: list[Step]) -> None:
    for n, step in enumerate(script, 1):
        assert not run.finished, f"step {n}: the run ended early with {run.stop_reason}"
        run.wait_before_next(step.at)
        plan = run.next_attempt(step.at)
        assert isinstance(plan, AttemptPlan), f"step {n}: nothing planned"
        assert plan.models == step.models, f"step {n}"
        decision = run.record(plan, step.outcome)
        if isinstance(step.decision, HopKind):
            assert not isinstance(decision, StopReason) and decision.kind is step.decision, f"step {n}: {decision}"
        else:
            assert decision == step.decision, f"step {n}: {decision}"
        assert run.attempts[-1].next_hop == (None if isinstance(decision, StopReason) else decision)
    assert run.finished, "the script ended before the run did"


RETRY_FIRST = {"retry": {**STEADY, "on": {"provider_failure": "retry"}}}

CASES: list[tuple[str, dict[str, Any], list[Step], StopReason]] = [
    ("served at once", {}, [Step(0.0, ok(M1, 1.0), (M1,), SERVED)], SERVED),
    (
        "fallback, then served",
        {},
        [
            Step(0.0, failed(ErrorClass.PROVIDER_FAILURE, 1.0), (M1,), FallbackHop(M2)),
            Step(1.0, ok(M2, 2.0), (M2,), SERVED),
        ],
        SERVED,
    ),
    (
        "retry after the steady backoff, then served",
        RETRY_FIRST,
        [
            Step(0.0, failed(ErrorClass.PROVIDER_FAILURE, 1.0), (M1,), RetryHop(1.0)),
            Step(2.0, ok(M1, 3.0), (M1,), SERVED),
        ],
        SERVED,
    ),
    (
        "retries per route used, then a fallback that says why",
        RETRY_FIRST,
        [
            Step(0.0, failed(ErrorClass.PROVIDER_FAILURE, 1.0), (M1,), RetryHop(1.0)),
            Step(
                2.0,
                failed(ErrorClass.PROVIDER_FAILURE, 3.0),
                (M1,),
                FallbackHop(M2, RetryForgone(Forgone.ROUTE_ATTEMPTS_USED, 2)),
            ),
            Step(3.0, ok(M2, 4.0), (M2,), SERVED),
        ],
        SERVED,
    ),
    (
        "a Retry-After over the policy's limit falls back at once",
        {"retry": {"max_retry_after_s": 5}},
        [
            Step(
                0.0,
                failed(ErrorClass.RATE_LIMIT, 1.0, retry_after_s=60),
                (M1,),
                FallbackHop(M2, RetryForgone(Forgone.RETRY_AFTER_TOO_LONG, 60, 5)),
            ),
            Step(1.0, ok(M2, 2.0), (M2,), SERVED),
        ],
        SERVED,
    ),
    (
        "a Retry-After within the limit sets the wait",
        {"retry": STEADY},
        [
            Step(0.0, failed(ErrorClass.RATE_LIMIT, 1.0, retry_after_s=4), (M1,), RetryHop(4.0, retry_after=True)),
            Step(5.0, ok(M1, 6.0), (M1,), SERVED),
        ],
        SERVED,
    ),
    (
        "bad request: the policy says stop",
        {},
        [
            Step(
                0.0,
                failed(ErrorClass.BAD_REQUEST, 1.0),
                (M1,),
                StopReason(StopKind.POLICY_STOP, ErrorClass.BAD_REQUEST),
            )
        ],
        StopReason(StopKind.POLICY_STOP, ErrorClass.BAD_REQUEST),
    ),
    (
        "auth is never retried, whatever the policy says",
        {"retry": {"on": {"auth": "retry"}}},
        [Step(0.0, failed(ErrorClass.AUTH, 1.0), (M1,), StopReason(StopKind.POLICY_STOP, ErrorClass.AUTH))],
        StopReason(StopKind.POLICY_STOP, ErrorClass.AUTH),
    ),
    (
        "moderation never reaches the same model again",
        {"retry": {"on": {"moderation": "retry"}}},
        [
            Step(0.0, failed(ErrorClass.MODERATION, 1.0), (M1,), FallbackHop(M2)),
            Step(1.0, ok(M2, 2.0), (M2,), SERVED),
        ],
        SERVED,
    ),
    (
        "max_attempts bounds every path",
        {"retry": {**STEADY, "max_attempts": 2}},
        [
            Step(0.0, failed(ErrorClass.PROVIDER_FAILURE, 1.0), (M1,), FallbackHop(M2)),
            Step(1.0, failed(ErrorClass.PROVIDER_FAILURE, 2.0), (M2,), StopReason(StopKind.MAX_ATTEMPTS, value=2)),
        ],
        StopReason(StopKind.MAX_ATTEMPTS, value=2),
    ),
    (
        "the chain runs out",
        {"models": {"primary": M1, "fallbacks": [M2]}},
        [
            Step(0.0, failed(ErrorClass.PROVIDER_FAILURE, 1.0), (M1,), FallbackHop(M2)),
            Step(
                1.0,
                failed(ErrorClass.PROVIDER_FAILURE, 2.0),
                (M2,),
                StopReason(StopKind.NO_FALLBACK, ErrorClass.PROVIDER_FAILURE),
            ),
        ],
        StopReason(StopKind.NO_FALLBACK, ErrorClass.PROVIDER_FAILURE),
    ),
    (
        "an attempt that ends after the deadline ends the request",
        {"timeouts": {"total_s": 10, "attempt_s": 5}},
        [Step(0.0, failed(ErrorClass.TIMEOUT, 10.0), (M1,), DEADLINE)],
        DEADLINE,
    ),
    (
        "a backoff that would pass the deadline falls back instead",
        {"timeouts": {"total_s": 10, "attempt_s": 5}, "retry": {"backoff": {"initial_s": 8, "jitter": "none"}}},
        [
            Step(
                0.0,
                failed(ErrorClass.RATE_LIMIT, 5.0),
                (M1,),
                FallbackHop(M2, RetryForgone(Forgone.WAIT_PASSES_DEADLINE, 8)),
            ),
            Step(5.0, ok(M2, 6.0), (M2,), SERVED),
        ],
        SERVED,
    ),
    (
        "queue mode walks the whole chain again after the interval",
        {
            "models": {"primary": M1},
            "degradation": {"mode": "queue", "queue_retry_interval_s": 60, "queue_max_wait_s": 600},
        },
        [
            Step(
                0.0,
                failed(ErrorClass.PROVIDER_FAILURE, 1.0),
                (M1,),
                QueuedHop(StopReason(StopKind.NO_FALLBACK, ErrorClass.PROVIDER_FAILURE), 60),
            ),
            Step(61.0, ok(M1, 62.0), (M1,), SERVED),
        ],
        SERVED,
    ),
]


@pytest.mark.parametrize(("sections", "script", "stop"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_scripted_runs(sections: dict[str, Any], script: list[Step], stop: StopReason) -> None:
    run = start(workflow(**sections))
    drive(run, script)
    assert run.stop_reason == stop
    assert run.result().stop_reason == stop


def test_waits_come_from_the_decision_and_are_reported_on_the_next_attempt() -> None:
    run = start(workflow(**RETRY_FIRST))
    drive(
        run,
        [
            Step(0.0, failed(ErrorClass.PROVIDER_FAILURE, 1.0), (M1,), RetryHop(1.0)),
            Step(2.0, ok(M1, 3.0), (M1,), SERVED),
        ],
    )
    assert [a.wait_before_s for a in run.attempts] == [0.0, 1.0]
    assert run.result().retries == 1 and run.result().fallbacks == 0


def test_a_retry_after_too_long_for_every_route_ends_the_wait() -> None:
    engine = make_engine(
        workflow(models={"primary": M1}, retry={"on": {"rate_limit": "fallback"}, "max_retry_after_s": 5})
    )
    run = new_run(engine, 0.0)
    stop = StopReason(StopKind.NO_FALLBACK, ErrorClass.RATE_LIMIT)
    drive(run, [Step(0.0, failed(ErrorClass.RATE_LIMIT, 1.0, retry_after_s=3), (M1,), stop)])
    later = new_run(engine, 1.0)  # the engine remembers the Retry-After for the next request
    assert later.next_wait(1.0) == 3.0
    engine.not_before[M1] = 100.0
    assert later.next_wait(1.0) == Halt(StopReason(StopKind.RATE_LIMITED, value=99.0))
    assert later.wait_before_next(1.0) == 0.0 and later.finished
    assert str(later.stop_reason) == "every remaining route is rate-limited for 99.0 s more"


def test_planning_changes_nothing_until_the_plan_begins() -> None:
    wf = workflow(budget={"max_cost_per_run_usd": "1"}, circuit_breaker={"failure_threshold": 1, "cool_down_s": 5})
    run = start(wf, mode="openrouter", catalog=default_catalog())
    engine = run.engine
    engine.breakers.failure((M1, None), 0.0)  # open; half-open after 5 s
    first, again = run.plan(10.0), run.plan(10.0)
    assert isinstance(first, AttemptPlan) and first == again
    assert first.probes == ((M1, None),) and first.models == (M1, M2, M3)
    assert first.reserved_usd > 0  # the worst case at the dearest eligible endpoint
    assert engine.spend.reserved_usd == 0 and engine.breakers.allows((M1, None), 10.0)
    assert run.progress.round_attempts == 0 and run.attempts == []
    run.begin(first)
    assert not engine.breakers.allows((M1, None), 10.0)  # the probe is out
    assert engine.spend.reserved_usd == first.reserved_usd
    assert run.progress.round_attempts == 1
    run.record(first, ok(M1, 11.0))
    assert engine.spend.reserved_usd == 0 and engine.spend.spent_usd == Decimal("0.00001")
    assert engine.breakers.allows((M1, None), 11.0)  # the probe succeeded


def test_a_plan_after_the_deadline_is_a_halt_and_applying_it_ends_the_run() -> None:
    run = start(workflow(timeouts={"total_s": 10, "attempt_s": 5}))
    step = run.plan(10.0)
    assert step == Halt(DEADLINE) and not run.finished
    assert run.halt(step, 10.0) == DEADLINE
    assert run.finished and run.result().error_message == "deadline"
    with pytest.raises(RuntimeError):
        run.plan(10.0)


def test_budget_refuses_the_first_attempt_by_raising_and_a_later_one_by_a_halt() -> None:
    wf = workflow(budget={"max_cost_per_request_usd": "0.000001"})
    run = start(wf)
    plan = run.plan(0.0)  # no price is known, so only money already spent counts
    assert isinstance(plan, AttemptPlan) and plan.reserved_usd == 0
    run.begin(plan)
    assert run.record(plan, failed(ErrorClass.PROVIDER_FAILURE, 1.0, cost="0.01")) == FallbackHop(M2)
    step = run.plan(1.0)
    assert isinstance(step, Halt) and step.reason is BUDGET and not step.queueable
    assert step.alert is not None and "attempt 2" in step.alert
    assert run.halt(step, 1.0) is BUDGET
    assert run.result().alerts == (step.alert,)

    refusing = start(workflow(budget={"max_cost_per_run_usd": "0.01"}))
    refusing.engine.spend.spent_usd = Decimal("0.01")
    with pytest.raises(BudgetExceeded):
        refusing.plan(0.0)
    assert not refusing.finished and refusing.attempts == []


# -- the rules table ----------------------------------------------------------------------------


def test_every_error_class_has_one_rule() -> None:
    assert set(RULES) == set(ErrorClass)


@pytest.mark.parametrize("cls", list(ErrorClass))
def test_the_rules_invariants_hold(cls: ErrorClass) -> None:
    rule = RULES[cls]
    assert rule.alerts == (cls in ALERTING_CLASSES)
    if rule.alerts:
        assert rule.on_retry is Action.STOP and not rule.queueable
    if cls is ErrorClass.MODERATION:
        assert rule.on_retry is Action.FALLBACK
    if cls is ErrorClass.BAD_REQUEST:
        assert not rule.queueable and not rule.health
    if cls in STOP_ONLY_CLASSES:
        # The policy cannot name another action for it; the default stops, and so does the rule.
        assert action_for(Retry(), cls) is Action.STOP and rule.on_retry is Action.STOP
        return
    settable = [c for c in ErrorClass if c not in STOP_ONLY_CLASSES]
    always_retry = Retry(on=dict.fromkeys(settable, Action.RETRY))
    assert action_for(always_retry, cls) is rule.on_retry
    never_retry = Retry(on=dict.fromkeys(settable, Action.FALLBACK))
    assert action_for(never_retry, cls) is Action.FALLBACK  # only "retry" is limited


def test_an_alert_is_raised_once_per_alerting_failure() -> None:
    run = start(workflow())
    drive(
        run,
        [Step(0.0, failed(ErrorClass.BILLING, 1.0), (M1,), StopReason(StopKind.POLICY_STOP, ErrorClass.BILLING))],
    )
    assert run.result().alerts == ("billing: billing upstream",)
