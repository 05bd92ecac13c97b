"""The judge: each request's outcome and every way its answer broke the policy, from ledger records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orcli.catalog import default_catalog
from orcli.catalog.byok import with_byok
from orcli.client.hops import BUDGET, DEADLINE, FallbackHop, RetryHop, StopKind, StopReason
from orcli.client.ledger import Attempt, UpstreamHop
from orcli.drill.judge import judge
from orcli.drill.records import Outcome
from orcli.policy.model import ErrorClass, Workflow

from ..factories import answered, attempt, unanswered

MINI = "openai/gpt-4o-mini"
SMALL = "mistralai/mistral-small-3.2"
CATALOG = default_catalog()


def workflow(primary: str = MINI, fallbacks: tuple[str, ...] = (SMALL,), **provider: Any) -> Workflow:
    return Workflow.model_validate({"models": {"primary": primary, "fallbacks": list(fallbacks)}, "provider": provider})


# -- outcomes ---------------------------------------------------------------------------------


def test_the_primary_route_is_served() -> None:
    verdict = judge(answered(attempt(MINI, "OpenAI")), workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason, verdict.violations, verdict.fallback_depth) == (
        Outcome.SERVED,
        "primary route",
        (),
        0,
    )


def test_a_retry_on_the_same_provider_is_still_the_primary_route() -> None:
    result = answered(attempt(MINI, "OpenAI", 502, next_hop=RetryHop(0.5)), attempt(MINI, "OpenAI", index=2))
    verdict = judge(result, workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason) == (Outcome.SERVED, "primary route after 1 retry")


def test_another_provider_of_the_primary_model_is_degraded() -> None:
    result = answered(attempt(MINI, "Azure", 502, next_hop=RetryHop(0.5)), attempt(MINI, "OpenAI", index=2))
    verdict = judge(result, workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason, verdict.fallback_depth) == (
        Outcome.DEGRADED,
        "provider fallback to openai",
        0,
    )


def test_openrouters_own_failover_inside_one_attempt_is_degraded() -> None:
    hops = (UpstreamHop("Azure", MINI, 502), UpstreamHop("OpenAI", MINI, 200))
    verdict = judge(answered(attempt(MINI, "OpenAI", upstream_hops=hops)), workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason) == (Outcome.DEGRADED, "provider fallback to openai")


def test_a_fallback_model_is_degraded_with_its_depth() -> None:
    result = answered(attempt(MINI, "OpenAI", 502, next_hop=FallbackHop(SMALL)), attempt(SMALL, "DeepInfra", index=2))
    verdict = judge(result, workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason, verdict.fallback_depth) == (
        Outcome.DEGRADED,
        f"model fallback to {SMALL} (depth 1)",
        1,
    )


def test_a_circuit_breaker_bypass_of_a_preferred_provider_is_degraded() -> None:
    ordered = workflow(order=["azure", "openai"])
    verdict = judge(answered(attempt(MINI, "OpenAI", ignored_providers=("azure",))), ordered, CATALOG)
    assert (verdict.outcome, verdict.reason) == (Outcome.DEGRADED, "circuit breaker bypassed azure")


def test_a_bypass_of_a_provider_ranked_after_the_one_that_served_is_not() -> None:
    ordered = workflow(order=["openai", "azure"])
    verdict = judge(answered(attempt(MINI, "OpenAI", ignored_providers=("azure",))), ordered, CATALOG)
    assert verdict.outcome is Outcome.SERVED


def test_under_load_balancing_a_bypass_alone_is_not_degradation() -> None:
    verdict = judge(answered(attempt(MINI, "OpenAI", ignored_providers=("azure",))), workflow(), CATALOG)
    assert verdict.outcome is Outcome.SERVED


def test_a_variant_of_a_chain_model_is_in_the_chain() -> None:
    verdict = judge(answered(attempt(MINI, "OpenAI")), workflow(primary=f"{MINI}:nitro"), CATALOG)
    assert (verdict.outcome, verdict.violations) == (Outcome.SERVED, ())


def fail_safe(**fields: Any) -> Workflow:
    data = {"models": {"primary": MINI}, "degradation": {"mode": "fail_safe", "user_message": "Back soon."}}
    return Workflow.model_validate({**data, **fields})


@pytest.mark.parametrize(
    ("stop", "path"),
    [
        (StopReason(StopKind.NO_FALLBACK, ErrorClass.PROVIDER_FAILURE), "the chain is exhausted"),
        (StopReason(StopKind.POLICY_STOP, ErrorClass.PROVIDER_FAILURE), "the policy says stop"),
    ],
)
def test_a_fail_safe_workflow_whose_own_path_ends_the_request_fails_safe(stop: StopReason, path: str) -> None:
    result = unanswered(attempt(MINI, "OpenAI", 502), fail_safe_message="Back soon.", stop_reason=stop)
    verdict = judge(result, fail_safe(), CATALOG)
    assert (verdict.outcome, verdict.reason) == (
        Outcome.FAILED_SAFE,
        f"provider_failure: failed safe with the approved message ({path})",
    )


def test_a_user_message_alone_does_not_make_a_failure_safe() -> None:
    # A fallback workflow with a hand-over message: a failure is a failure, message or not.
    stop = StopReason(StopKind.NO_FALLBACK, ErrorClass.PROVIDER_FAILURE)
    result = unanswered(attempt(MINI, "OpenAI", 502), fail_safe_message="We will get back to you.", stop_reason=stop)
    verdict = judge(result, workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason) == (Outcome.FAILED, "provider_failure: 502 from every provider")


def test_a_fail_safe_workflow_that_ran_out_of_attempts_before_walking_its_chain_has_failed() -> None:
    # max_attempts used before the fallback was tried: the client ran out, the policy did not choose to stop.
    stop = StopReason(StopKind.MAX_ATTEMPTS, value=1)
    result = unanswered(attempt(MINI, "OpenAI", 502), fail_safe_message="Back soon.", stop_reason=stop)
    chain = fail_safe(models={"primary": MINI, "fallbacks": [SMALL]})
    assert judge(result, chain, CATALOG).outcome is Outcome.FAILED
    assert judge(result, fail_safe(), CATALOG).outcome is Outcome.FAILED_SAFE  # its only model was tried


def test_a_fail_safe_workflow_past_its_deadline_has_failed() -> None:
    result = unanswered(attempt(MINI, "OpenAI", 502), fail_safe_message="Back soon.", stop_reason=DEADLINE)
    assert judge(result, fail_safe(), CATALOG).outcome is Outcome.FAILED


def test_attempts_that_all_hit_the_clients_own_limit_before_a_first_byte_are_limits_too_tight() -> None:
    late = [
        attempt(MINI, "OpenAI", None, error=ErrorClass.TIMEOUT, ttft_s=None, index=i, detail="no response within 1 s")
        for i in (1, 2)
    ]
    stop = StopReason(StopKind.NO_FALLBACK, ErrorClass.TIMEOUT)
    result = unanswered(*late, error=ErrorClass.TIMEOUT, fail_safe_message="Back soon.", stop_reason=stop)
    verdict = judge(result, fail_safe(), CATALOG)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == ("limits too tight: all 2 attempt(s) hit the client's own time limit before a first byte")


def test_a_failure_without_a_fail_safe_message_is_failed() -> None:
    verdict = judge(unanswered(attempt(MINI, "OpenAI", 502)), workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason) == (Outcome.FAILED, "provider_failure: 502 from every provider")


@pytest.mark.parametrize(
    ("attempts", "reason"),
    [
        ((), "budget cap: stopped before sending"),
        ((attempt(MINI, "OpenAI", 502),), "budget cap: stopped after 1 attempt(s), last error provider_failure"),
    ],
)
def test_a_budget_stop_is_failed_safe(attempts: tuple[Attempt, ...], reason: str) -> None:
    result = unanswered(*attempts, error=ErrorClass.PROVIDER_FAILURE if attempts else None, stop_reason=BUDGET)
    verdict = judge(result, workflow(), CATALOG)
    assert (verdict.outcome, verdict.reason) == (Outcome.FAILED_SAFE, reason)


# -- policy violations: a 200 from a forbidden route is a failure ---------------------------------


@pytest.mark.parametrize(
    ("rules", "model", "provider", "violation"),
    [
        (
            {},
            "meta-llama/llama-3.1-8b-instruct",
            "DeepInfra",
            "model meta-llama/llama-3.1-8b-instruct is not in the workflow's chain",
        ),
        ({"only": ["openai"]}, MINI, "Azure", "provider azure is outside provider.only ['openai']"),
        ({"ignore": ["azure"]}, MINI, "Azure", "provider azure is on provider.ignore"),
        ({"zdr": True}, SMALL, "Mistral", "mistral is not zero-data-retention but the policy requires zdr"),
        (
            {"data_collection": "deny"},
            SMALL,
            "Novita",
            "novita stores or trains on prompts but data_collection is deny",
        ),
        ({"max_price": {"prompt": 0.05}}, SMALL, "Together", "together prompt price above max_price 0.05/M"),
        ({"max_price": {"completion": 0.25}}, SMALL, "Together", "together completion price above max_price 0.25/M"),
        ({"quantizations": ["fp8"]}, SMALL, "Novita", "novita quantization int8 is not allowed"),
        ({}, SMALL, "Groq", "Groq does not serve mistralai/mistral-small-3.2 in the catalog"),
    ],
    ids=[
        "model-chain",
        "only",
        "ignore",
        "zdr",
        "data-collection",
        "prompt-price",
        "completion-price",
        "quant",
        "unknown",
    ],
)
def test_an_answer_from_a_forbidden_route_is_a_violation(
    rules: dict[str, Any], model: str, provider: str, violation: str
) -> None:
    verdict = judge(answered(attempt(model, provider)), workflow(**rules), CATALOG)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == "answered outside the policy"
    assert violation in verdict.violations


def test_the_same_route_within_the_rules_is_no_violation() -> None:
    rules = {"only": ["deepinfra"], "zdr": True, "data_collection": "deny", "quantizations": ["fp8"]}
    result = answered(attempt(MINI, "OpenAI", 502, next_hop=FallbackHop(SMALL)), attempt(SMALL, "DeepInfra", index=2))
    verdict = judge(result, workflow(**rules), CATALOG)
    assert verdict.violations == ()
    assert verdict.outcome is Outcome.DEGRADED


def test_every_broken_rule_is_listed() -> None:
    rules = {"zdr": True, "data_collection": "deny", "quantizations": ["fp8"], "ignore": ["novita"]}
    verdict = judge(answered(attempt(SMALL, "Novita")), workflow(**rules), CATALOG)
    assert len(verdict.violations) == 4


# -- the serving endpoint, by routing tag ------------------------------------------------------------

QWEN = "qwen/qwen3-coder"


def priced(model: str, tag: str, *, prompt: int = 1000, completion: int = 100, byok: bool = False) -> Decimal:
    endpoint = next(ep for ep in CATALOG.get(model).endpoints if ep.tag == tag)  # type: ignore[union-attr]
    cost = endpoint.pricing.cost(prompt, completion)
    return cost * Decimal("0.05") if byok else cost


def usage_of(byok: bool) -> dict[str, Any]:
    return {"choices": [{"finish_reason": "stop"}], "usage": {"is_byok": byok}}


def test_a_same_named_endpoint_is_told_apart_by_its_price() -> None:
    # deepinfra and deepinfra/turbo both answer as "DeepInfra"; only turbo is not ZDR for qwen3-coder.
    zdr = workflow(primary=QWEN, fallbacks=(), zdr=True)
    turbo = attempt(
        QWEN, "DeepInfra", prompt_tokens=1000, completion_tokens=100, cost_usd=priced(QWEN, "deepinfra/turbo")
    )
    verdict = judge(answered(turbo), zdr, CATALOG)
    assert verdict.endpoint == "deepinfra/turbo"
    assert verdict.violations == ("deepinfra/turbo is not zero-data-retention but the policy requires zdr",)
    plain = attempt(QWEN, "DeepInfra", prompt_tokens=1000, completion_tokens=100, cost_usd=priced(QWEN, "deepinfra"))
    verdict = judge(answered(plain), zdr, CATALOG)
    assert (verdict.outcome, verdict.endpoint, verdict.violations) == (Outcome.SERVED, "deepinfra", ())


SONNET = "anthropic/claude-sonnet-4.5"


def byok_workflow(mode: str) -> Workflow:
    return Workflow.model_validate(
        {"models": {"primary": SONNET}, "byok": {"keys": {"anthropic": "ANTHROPIC_KEY"}, "mode": mode}}
    )


def test_strict_byok_answered_on_shared_capacity_is_a_violation() -> None:
    account = with_byok(CATALOG, {"anthropic": "strict"})
    shared = attempt(
        SONNET, "Anthropic", prompt_tokens=1000, completion_tokens=100, cost_usd=priced(SONNET, "anthropic")
    )
    verdict = judge(answered(shared, response=usage_of(False)), byok_workflow("strict"), account)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.endpoint == "anthropic"
    assert verdict.violations == (
        "anthropic answered on OpenRouter's shared capacity but byok.mode is strict "
        "(only the workflow's own anthropic key may serve)",
    )
    own = attempt(
        SONNET, "Anthropic", prompt_tokens=1000, completion_tokens=100, cost_usd=priced(SONNET, "anthropic", byok=True)
    )
    verdict = judge(answered(own, response=usage_of(True)), byok_workflow("strict"), account)
    assert (verdict.outcome, verdict.endpoint, verdict.violations) == (Outcome.SERVED, "anthropic/byok", ())


def test_shared_capacity_is_allowed_behind_a_shared_fallback_key() -> None:
    account = with_byok(CATALOG, {"anthropic": "shared_fallback"})
    shared = attempt(
        SONNET, "Anthropic", prompt_tokens=1000, completion_tokens=100, cost_usd=priced(SONNET, "anthropic")
    )
    verdict = judge(answered(shared, response=usage_of(False)), byok_workflow("shared_fallback"), account)
    assert (verdict.outcome, verdict.endpoint, verdict.violations) == (Outcome.SERVED, "anthropic", ())
