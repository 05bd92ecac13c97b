"""Drill records built by hand, the way the runner builds them, for the report tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from orcli.client.hops import FallbackHop, NextHop, RetryHop
from orcli.client.ledger import Attempt, UpstreamHop
from orcli.drill.records import (
    DeclaredFault,
    DrillResult,
    ExpectationResult,
    FiredFault,
    Outcome,
    RequestRecord,
)
from orcli.policy.model import ErrorClass

from .. import factories

PRIMARY = "meta-llama/llama-3.1-70b-instruct"
FALLBACK = "mistralai/mistral-large"
CODER = "qwen/qwen-2.5-coder-32b-instruct"


def attempt(
    index: int,
    model: str,
    provider: str | None,
    status: int | None,
    error: ErrorClass | None = None,
    *,
    started_at: float = 0.0,
    latency_s: float = 0.5,
    cost_usd: str = "0",
    wait_before_s: float = 0.0,
    next_hop: NextHop | None = None,
    retry_after_s: float | None = None,
    hops: tuple[UpstreamHop, ...] = (),
) -> Attempt:
    # The shared builder with this module's figures: the reports print them.
    served = status == 200
    return factories.attempt(
        model,
        provider,
        status,
        error=error,
        detail="ok" if error is None else f"{error.value} from {provider or 'nobody'}",
        index=index,
        started_at=started_at,
        latency_s=latency_s,
        ttft_s=latency_s / 5 if served else None,
        prompt_tokens=120 if served else 0,
        completion_tokens=40 if served else 0,
        cost_usd=cost_usd,
        wait_before_s=wait_before_s,
        next_hop=next_hop,
        upstream_hops=hops,
        retry_after_s=retry_after_s,
    )


def record(
    index: int,
    at_s: float,
    workflow: str,
    outcome: Outcome,
    attempts: tuple[Attempt, ...],
    *,
    reason: str = "",
    violations: tuple[str, ...] = (),
    fallback_depth: int = 0,
    tools_offered: bool = False,
    fail_safe_message: str | None = None,
    alerts: tuple[str, ...] = (),
) -> RequestRecord:
    ok = bool(attempts) and attempts[-1].ok
    last_error = None if ok or not attempts else attempts[-1].error_class
    key = f"idem-{index:04d}-do-not-print"
    result = (
        factories.answered(
            *attempts,
            response={"choices": [{"message": {"content": "hello"}}]},
            idempotency_key=key,
            alerts=alerts,
            fail_safe_message=fail_safe_message,
        )
        if ok
        else factories.unanswered(
            *attempts,
            error=last_error,
            message="upstream failed",
            idempotency_key=key,
            alerts=alerts,
            fail_safe_message=fail_safe_message,
        )
    )
    return RequestRecord(
        index=index,
        at_s=at_s,
        workflow=workflow,
        kind="tool_call" if tools_offered else "chat",
        stream=False,
        result=result,
        outcome=outcome,
        reason=reason or outcome.value,
        violations=violations,
        fallback_depth=fallback_depth,
        tools_offered=tools_offered,
    )


def small_requests(first_cost_usd: str = "0.000123") -> tuple[RequestRecord, ...]:
    return (
        record(
            0,
            0.0,
            "support",
            Outcome.SERVED,
            (attempt(1, PRIMARY, "DeepInfra", 200, latency_s=0.8, cost_usd=first_cost_usd),),
        ),
        record(
            1,
            11.0,
            "support",
            Outcome.DEGRADED,
            (
                attempt(
                    1,
                    PRIMARY,
                    "DeepInfra",
                    429,
                    ErrorClass.RATE_LIMIT,
                    started_at=11.0,
                    latency_s=0.1,
                    next_hop=RetryHop(2.0, retry_after=True),
                    retry_after_s=2.0,
                ),
                attempt(
                    2,
                    PRIMARY,
                    "Together",
                    None,
                    ErrorClass.TIMEOUT,
                    started_at=13.1,
                    latency_s=10.0,
                    wait_before_s=2.0,
                    next_hop=FallbackHop(FALLBACK),
                ),
                attempt(
                    3,
                    FALLBACK,
                    "Groq",
                    200,
                    started_at=23.1,
                    latency_s=1.2345678912,
                    cost_usd="0.0000045",
                    hops=(UpstreamHop("Mistral", FALLBACK, 502), UpstreamHop("Groq", FALLBACK, 200)),
                ),
            ),
            reason="served by fallback mistralai/mistral-large",
            fallback_depth=1,
        ),
        record(
            2,
            12.5,
            "support",
            Outcome.FAILED_SAFE,
            (
                attempt(
                    1,
                    PRIMARY,
                    "DeepInfra",
                    503,
                    ErrorClass.PROVIDER_FAILURE,
                    started_at=12.5,
                    next_hop=FallbackHop(FALLBACK),
                ),
                attempt(2, FALLBACK, "Mistral", 400, ErrorClass.CONTEXT_LENGTH, started_at=13.0),
            ),
            reason="failed safe with the approved message",
            fail_safe_message="We cannot answer right now.",
        ),
        record(
            3,
            15.0,
            "coding",
            Outcome.FAILED,
            (attempt(1, CODER, "Fireworks", 200, ErrorClass.MALFORMED_TOOL_CALL, started_at=15.0, cost_usd="0.1"),),
            reason="a malformed tool call reached the app",
            tools_offered=True,
        ),
        record(
            4,
            16.0,
            "coding",
            Outcome.SERVED,
            (attempt(1, CODER, "Fireworks", 200, started_at=16.0, latency_s=2.0, cost_usd="0.00002"),),
            tools_offered=True,
        ),
        record(5, 20.0, "support", Outcome.FAILED, (), reason="circuit open for every route"),
    )


def small_drill(*, first_cost_usd: str = "0.000123", **changes: Any) -> DrillResult:
    fields: dict[str, Any] = {
        "scenario": "provider-outage",
        "scenario_path": "scenarios/provider-outage.yaml",
        "description": "DeepInfra goes down for ten seconds",
        "seed": 7,
        "target": "mock",
        "policy_path": "policies/support.yaml",
        "workflows": ("support", "coding"),
        "duration_s": 25.0,
        "requests": small_requests(first_cost_usd),
        "declared_faults": (
            DeclaredFault("deepinfra-down", "provider_outage", "provider DeepInfra", "10s-20s", 10.0, 20.0),
            DeclaredFault("slow-groq", "latency_spike", "provider Groq", "always"),
        ),
        "fired": (
            FiredFault("deepinfra-down", "provider_outage", 11.0, "DeepInfra", PRIMARY),
            FiredFault("deepinfra-down", "provider_outage", 12.5, "DeepInfra", PRIMARY),
        ),
        "expectations": (
            ExpectationResult("success_rate [support]", "success_rate", True, "success rate 50.0% (required >= 50.0%)"),
            ExpectationResult(
                "faults_fired",
                "faults_fired",
                False,
                "fired: deepinfra-down x2, slow-groq x0",
                ("fault 'slow-groq' never fired",),
            ),
            ExpectationResult(
                "max_attempts",
                "max_attempts",
                False,
                "1 request(s) made more than 2 attempts",
                ("#1 t=11.0s support degraded: 3 attempts",),
            ),
        ),
        "overrides": ("pin support to DeepInfra until 30s",),
    }
    fields.update(changes)
    return DrillResult(**fields)


def large_drill(total: int = 500, failed_every: int = 17, degraded_every: int = 5) -> DrillResult:
    """``total`` requests one every 0.5 s; every 17th fails, every 5th is degraded (failures win)."""
    rows = []
    for i in range(total):
        at_s = i * 0.5
        if i % failed_every == 0:
            outcome = Outcome.FAILED
            attempts: tuple[Attempt, ...] = (
                attempt(1, PRIMARY, "DeepInfra", 502, ErrorClass.PROVIDER_FAILURE, started_at=at_s),
            )
        elif i % degraded_every == 0:
            outcome = Outcome.DEGRADED
            attempts = (
                attempt(
                    1, PRIMARY, "DeepInfra", 429, ErrorClass.RATE_LIMIT, started_at=at_s, next_hop=FallbackHop(FALLBACK)
                ),
                attempt(2, FALLBACK, "Groq", 200, started_at=at_s + 0.1, cost_usd="0.00001"),
            )
        else:
            outcome = Outcome.SERVED
            attempts = (attempt(1, PRIMARY, "DeepInfra", 200, started_at=at_s, cost_usd="0.00001"),)
        rows.append(record(i, at_s, "support", outcome, attempts))
    return small_drill(
        scenario="storm",
        workflows=("support",),
        requests=tuple(rows),
        duration_s=total * 0.5,
        expectations=(ExpectationResult("success_rate", "success_rate", True, "ok"),),
    )


def storm_drill(total: int = 100_000, seed: int = 1, span_s: float = 600.0) -> DrillResult:
    """A big incident: DeepInfra is down from 150 s to 300 s (OpenRouter fails over inside the request,
    sometimes the client falls back too), a windowless Groq fault fires now and then, and a few coding
    requests fail or fail safe. Drawn from ``random.Random(seed)``, so equal arguments give equal records."""
    rng = random.Random(seed)
    rows: list[RequestRecord] = []
    fired: list[FiredFault] = []
    for i in range(total):
        at_s = i * span_s / total
        if i % 3 == 2:
            rows.append(_storm_coding(i, at_s, rng))
            continue
        down = 150.0 <= at_s < 300.0
        provider = "DeepInfra" if rng.random() < 0.7 else "Together"
        if down and provider == "DeepInfra":
            fired.append(FiredFault("deepinfra-down", "outage", at_s, "deepinfra", PRIMARY))
            hops = (UpstreamHop("DeepInfra", PRIMARY, 502), UpstreamHop("Together", PRIMARY, 200))
            if rng.random() < 0.2:
                hops = (UpstreamHop("DeepInfra", PRIMARY, 502), UpstreamHop("Together", PRIMARY, 429))
                first = attempt(1, PRIMARY, "Together", 429, ErrorClass.RATE_LIMIT, started_at=at_s, hops=hops)
                first = _with_next(first, FallbackHop(FALLBACK))
                second = attempt(2, FALLBACK, "Groq", 200, started_at=at_s + 0.6, cost_usd="0.00002")
                rows.append(record(i, at_s, "support", Outcome.DEGRADED, (first, second), fallback_depth=1))
            else:
                only = attempt(1, PRIMARY, "Together", 200, started_at=at_s, cost_usd="0.00001", hops=hops)
                rows.append(record(i, at_s, "support", Outcome.DEGRADED, (only,), reason="OpenRouter failover"))
        else:
            only = attempt(1, PRIMARY, provider, 200, started_at=at_s, cost_usd="0.00001")
            rows.append(record(i, at_s, "support", Outcome.SERVED, (only,)))
        if i % 97 == 0:
            fired.append(FiredFault("groq-slow", "latency", at_s, "groq", FALLBACK))
    return small_drill(
        scenario="storm",
        description="DeepInfra down for 150 s under 100k requests",
        workflows=("support", "coding"),
        requests=tuple(rows),
        duration_s=span_s + 1.0,
        declared_faults=(
            DeclaredFault("deepinfra-down", "outage", "provider deepinfra", "150s-300s", 150.0, 300.0),
            DeclaredFault("groq-slow", "latency", "provider groq", "every 97th"),
        ),
        fired=tuple(fired),
        expectations=(
            ExpectationResult("success_rate", "success_rate", True, "success rate 99.0% (required >= 95.0%)"),
            ExpectationResult("recovery", "recovery", False, "primary served again 12.0s after", ("#4 at 312.0s",)),
        ),
    )


def _storm_coding(i: int, at_s: float, rng: random.Random) -> RequestRecord:
    roll = rng.random()
    if roll < 0.02:
        bad = attempt(1, CODER, "Fireworks", 200, ErrorClass.MALFORMED_TOOL_CALL, started_at=at_s)
        return record(i, at_s, "coding", Outcome.FAILED, (bad,), tools_offered=True)
    if roll < 0.03:
        first = _with_next(
            attempt(1, CODER, "Fireworks", 503, ErrorClass.PROVIDER_FAILURE, started_at=at_s), RetryHop(0.5)
        )
        second = attempt(2, CODER, "Fireworks", 503, ErrorClass.PROVIDER_FAILURE, started_at=at_s + 0.6)
        return record(i, at_s, "coding", Outcome.FAILED_SAFE, (first, second), fail_safe_message="Try again soon.")
    ok = attempt(1, CODER, "Fireworks", 200, started_at=at_s, latency_s=1.0 + roll, cost_usd="0.00003")
    return record(i, at_s, "coding", Outcome.SERVED, (ok,), tools_offered=True)


def _with_next(step: Attempt, next_hop: NextHop) -> Attempt:
    return replace(step, next_hop=next_hop)


@dataclass(frozen=True)
class Drills:
    """The builders, handed to tests by the ``drills`` fixture."""

    small: Callable[..., DrillResult] = small_drill
    large: Callable[..., DrillResult] = large_drill
    storm: Callable[..., DrillResult] = storm_drill
