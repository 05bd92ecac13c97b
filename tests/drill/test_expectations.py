"""Every expectation kind, passing and failing on purpose, with the evidence it gives.

Most verdicts come from real drills on the mock with faults that make the failure genuine.
The few a correct client never produces (an answer outside the policy, an undercut
Retry-After, a truncated or malformed answer handed to the app) are built as records.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from orcli.catalog import default_catalog
from orcli.client.hops import RetryHop
from orcli.client.ledger import ChatResult
from orcli.drill.expectations import DrillFacts
from orcli.drill.expectations.no_malformed_tool_call import NoMalformedToolCall
from orcli.drill.expectations.no_truncated_success import NoTruncatedSuccess
from orcli.drill.expectations.retry_after import RetryAfterRespected
from orcli.drill.expectations.within_policy import WithinPolicy
from orcli.drill.judge import judge
from orcli.drill.metrics import drill_metrics
from orcli.drill.records import DrillResult, ExpectationResult, RequestRecord
from orcli.errors import SourceError
from orcli.policy.model import ErrorClass, Workflow

from ..factories import answered, attempt
from .conftest import CHAT_WORKFLOW, Drill, write_policy, write_scenario
from .conftest import run as run_file

MINI = "openai/gpt-4o-mini"
SMALL = "mistralai/mistral-small-3.2"
PRIMARY_DOWN = [{"kind": "outage", "id": "mini-down", "model": MINI, "start_s": 0, "end_s": 5}]


def verdict(result: DrillResult, name: str) -> ExpectationResult:
    return next(e for e in result.expectations if e.name == name)


def check(drill: Drill, expectation: dict[str, Any], **scenario: Any) -> ExpectationResult:
    """Run a drill with one expectation; its verdict."""
    result = drill(expect=[expectation], **scenario)
    return verdict(result, expectation.get("name", expectation["kind"]))


# -- success_rate ---------------------------------------------------------------------------------


def test_success_rate(drill: Drill, tmp_path: Any) -> None:
    ok = check(drill, {"kind": "success_rate", "min": 1.0}, traffic={"requests": 6})
    assert ok.passed and ok.summary == "success rate 100.0% (required >= 100.0%)"

    outage = [{"kind": "outage", "start_s": 4, "end_s": 8}]
    # Without the client's quick same-route retries, which would carry some requests past
    # the window's end: every request that starts inside it fails.
    no_quick_retry = {**CHAT_WORKFLOW, "retry": {**CHAT_WORKFLOW["retry"], "same_route": 0}}
    policy = write_policy(tmp_path / "no-quick-retry", {"chat": no_quick_retry})
    bad = check(
        drill,
        {"kind": "success_rate", "min": 0.5, "window_s": 4},
        traffic={"requests": 12},
        faults=outage,
        policy=str(policy),
    )
    assert not bad.passed
    assert re.fullmatch(r"success rate \d+\.\d% \(required >= 50\.0%, every 4s window\)", bad.summary)
    assert len(bad.evidence) == 1
    window = re.fullmatch(r"window 4-8s: (\d+\.\d)% of 4 requests", bad.evidence[0])
    assert window is not None and float(window.group(1)) < 50


# -- within_policy ----------------------------------------------------------------------------------


def test_within_policy_passes_on_a_real_drill(drill: Drill) -> None:
    ok = check(drill, {"kind": "within_policy"}, traffic={"requests": 8}, faults=PRIMARY_DOWN)
    assert ok.passed and ok.summary == "0 answer(s) outside the policy"


def answered_by(
    model: str, provider: str, *, finish: str | None = "stop", message: dict[str, Any] | None = None
) -> ChatResult:
    body = {"choices": [{"message": message or {"content": "hi"}, "finish_reason": finish}]}
    return answered(attempt(model, provider), response=body)


def facts_of(
    result: ChatResult, workflow: Workflow, *, kind: str = "chat", tools: tuple[dict[str, Any], ...] = ()
) -> DrillFacts:
    verdict = judge(result, workflow, default_catalog())
    row = RequestRecord(
        index=0,
        at_s=0.0,
        workflow="chat",
        kind=kind,
        stream=False,
        result=result,
        outcome=verdict.outcome,
        reason=verdict.reason,
        violations=verdict.violations,
        fallback_depth=verdict.fallback_depth,
        tools_offered=bool(tools),
    )
    return DrillFacts(
        requests=(row,), workflows={"chat": workflow}, declared_faults=(), fired=(), tools_by_kind={kind: tools}
    )


def test_within_policy_fails_on_an_answer_from_an_ignored_provider() -> None:
    workflow = Workflow.model_validate({**CHAT_WORKFLOW, "provider": {"ignore": ["azure"]}})
    bad = WithinPolicy(kind="within_policy").evaluate(facts_of(answered_by(MINI, "Azure"), workflow))
    assert not bad.passed
    assert bad.summary == "1 answer(s) outside the policy"
    assert bad.evidence == (
        f"#0 t=0.0s chat failed: {MINI}@Azure ok (answered outside the policy): provider azure is on provider.ignore",
    )


# -- fail_safe_approved -----------------------------------------------------------------------------


def test_fail_safe_approved(tmp_path: Any) -> None:
    fail_safe = {**CHAT_WORKFLOW, "degradation": {"mode": "fail_safe", "user_message": "Paused."}}
    write_policy(tmp_path, {"chat": fail_safe})
    expect = [
        {"kind": "fail_safe_approved"},
        {"kind": "fail_safe_approved", "name": "primary-only", "approved_models": [MINI]},
    ]
    path = write_scenario(tmp_path, policy="policy.yaml", traffic={"requests": 8}, faults=PRIMARY_DOWN, expect=expect)
    result = run_file(path)
    ok = verdict(result, "fail_safe_approved")
    assert ok.passed and ok.summary == "0 of 8 fail-safe request(s) answered off the approved routes"
    bad = verdict(result, "primary-only")
    assert not bad.passed
    assert re.fullmatch(r"[1-8] of 8 fail-safe request\(s\) answered off the approved routes", bad.summary)
    shown = [line for line in bad.evidence if not line.startswith("... and")]
    assert shown and all(f"degraded: {MINI}@" in line and f"{SMALL}@" in line for line in shown)


def test_fail_safe_approved_needs_a_fail_safe_workflow(drill: Drill) -> None:
    bad = check(drill, {"kind": "fail_safe_approved"})
    assert not bad.passed and bad.summary == (
        "nothing to check: no request of a fail_safe workflow was sent (set allow_vacuous: true if that is expected)"
    )


# -- max_fallback_depth and max_attempts ------------------------------------------------------------


def test_max_fallback_depth(drill: Drill) -> None:
    result = drill(
        traffic={"requests": 8},
        faults=PRIMARY_DOWN,
        expect=[{"kind": "max_fallback_depth", "max": 1}, {"kind": "max_fallback_depth", "max": 0, "name": "primary"}],
    )
    assert verdict(result, "max_fallback_depth").passed
    bad = verdict(result, "primary")
    assert not bad.passed and bad.summary == "deepest fallback used: 1 (allowed <= 0)"
    shown = [line for line in bad.evidence if not line.startswith("... and")]
    assert shown and all(f"{SMALL}@" in line and "(model fallback" in line for line in shown)


def test_max_attempts(drill: Drill) -> None:
    faults = [{"kind": "rate_limit", "scope": "openrouter", "retry_after_s": 1, "first": 2}]
    result = drill(
        traffic={"requests": 3},
        faults=faults,
        expect=[{"kind": "max_attempts", "max": 3}, {"kind": "max_attempts", "max": 1, "name": "one-shot"}],
    )
    assert verdict(result, "max_attempts").passed
    bad = verdict(result, "one-shot")
    assert not bad.passed and bad.summary == "most attempts for one request: 2 (allowed <= 1)"
    assert any("429" in line for line in bad.evidence)


# -- retry_after_respected --------------------------------------------------------------------------


def test_retry_after_is_respected_by_the_client(drill: Drill) -> None:
    faults = [{"kind": "rate_limit", "scope": "openrouter", "retry_after_s": 3, "first": 2}]
    ok = check(drill, {"kind": "retry_after_respected"}, traffic={"requests": 3}, faults=faults)
    assert ok.passed and ok.summary == "2 Retry-After hint(s) seen, 0 undercut"


def test_an_attempt_before_retry_after_is_caught() -> None:
    limited = attempt(
        MINI, "OpenAI", 429, error=ErrorClass.RATE_LIMIT, detail="429", retry_after_s=5.0, next_hop=RetryHop(5.0, True)
    )
    early = attempt(MINI, "OpenAI", index=2, started_at=2.0)
    result = answered(limited, early)
    bad = RetryAfterRespected(kind="retry_after_respected").evaluate(
        facts_of(result, Workflow.model_validate(CHAT_WORKFLOW))
    )
    assert not bad.passed and bad.summary == "1 Retry-After hint(s) seen, 1 undercut"
    assert bad.evidence[0].endswith(": attempt 2 3.50s before Retry-After")


# -- latency and cost ---------------------------------------------------------------------------------


def test_latency(drill: Drill) -> None:
    result = drill(
        traffic={"requests": 10},
        faults=[{"kind": "latency", "add_s": 4}],
        expect=[
            {"kind": "latency", "p50_max_s": 30},
            {"kind": "latency", "name": "snappy", "p50_max_s": 2, "p99_max_s": 60},
        ],
    )
    ok = verdict(result, "latency")
    assert ok.passed and re.fullmatch(r"p50 \d+\.\d\ds <= 30s", ok.summary)
    bad = verdict(result, "snappy")
    assert not bad.passed and re.fullmatch(r"p50 \d+\.\d\ds > 2s, p99 \d+\.\d\ds <= 60s", bad.summary)
    assert float(bad.summary.split()[1][:-1]) > 4


def test_latency_without_answers_fails(drill: Drill) -> None:
    bad = check(drill, {"kind": "latency", "p95_max_s": 5}, traffic={"requests": 2}, faults=[{"kind": "auth"}])
    assert not bad.passed and bad.summary == (
        "nothing to check: no answered request to measure (set allow_vacuous: true if that is expected)"
    )


def test_cost(drill: Drill) -> None:
    result = drill(
        traffic={"requests": 4},
        expect=[
            {"kind": "cost", "max_total_usd": "1"},
            {"kind": "cost", "name": "stingy", "max_total_usd": "0.00001", "max_per_request_usd": "0.000001"},
        ],
    )
    ok = verdict(result, "cost")
    assert ok.passed and re.fullmatch(r"total \$0\.\d{6} \(allowed <= \$1\)", ok.summary)
    bad = verdict(result, "stingy")
    assert not bad.passed
    assert re.fullmatch(
        r"total \$0\.\d{6} \(allowed <= \$0\.00001\); 4 request\(s\) above \$0\.000001 each", bad.summary
    )
    assert len(bad.evidence) == 4 and all(re.search(r": \$0\.\d{6}$", line) for line in bad.evidence)


# -- answers handed to the app ------------------------------------------------------------------------


def test_no_truncated_success_holds_when_streams_are_cut(drill: Drill) -> None:
    ok = check(
        drill,
        {"kind": "no_truncated_success"},
        traffic={"requests": 6, "mix": [{"name": "stream", "stream": True}]},
        faults=[{"kind": "stream_cut", "after_tokens": 3, "first": 2}],
    )
    assert ok.passed and ok.summary == "0 answered request(s) without a proper finish"


def test_a_truncated_answer_counted_as_success_is_caught() -> None:
    result = answered_by(MINI, "OpenAI", finish=None)
    bad = NoTruncatedSuccess(kind="no_truncated_success").evaluate(
        facts_of(result, Workflow.model_validate(CHAT_WORKFLOW))
    )
    assert not bad.passed and bad.summary == "1 answered request(s) without a proper finish"
    assert bad.evidence[0].endswith(": finish_reason None")


TOOLS = {"name": "tools", "kind": "tools"}


def test_no_malformed_tool_call_holds_when_the_client_rejects_them(drill: Drill) -> None:
    ok = check(
        drill,
        {"kind": "no_malformed_tool_call"},
        traffic={"requests": 6, "mix": [TOOLS]},
        faults=[{"kind": "malformed_tool_call", "mode": "schema_violation", "first": 3}],
    )
    assert ok.passed and re.fullmatch(r"[1-9]\d* tool call\(s\) reached the app, 0 malformed", ok.summary)


def test_a_malformed_tool_call_reaching_the_app_is_caught() -> None:
    tool = {
        "type": "function",
        "function": {"name": "search_docs", "parameters": {"type": "object", "required": ["query"]}},
    }
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "search_docs", "arguments": "{}"}},
        {"id": "c2", "type": "function", "function": {"name": "drop_tables", "arguments": "{}"}},
        {"id": "c3", "type": "function", "function": {"name": "search_docs", "arguments": "{not json"}},
    ]
    result = answered_by(MINI, "OpenAI", finish="tool_calls", message={"tool_calls": calls})
    facts = facts_of(result, Workflow.model_validate(CHAT_WORKFLOW), kind="tools", tools=(tool,))
    bad = NoMalformedToolCall(kind="no_malformed_tool_call").evaluate(facts)
    assert not bad.passed and bad.summary == "3 tool call(s) reached the app, 3 malformed"
    assert [line.split(": ")[-1] for line in bad.evidence] == [
        "'query' is a required property",
        "unknown tool 'drop_tables'",
        "arguments are not JSON",
    ]
    assert bad.evidence[0].endswith(
        f"{MINI}@OpenAI ok (primary route): tool search_docs: 'query' is a required property"
    )


# -- faults, recovery, outcomes, alerts --------------------------------------------------------------


def test_faults_fired(drill: Drill) -> None:
    ok = check(drill, {"kind": "faults_fired"}, faults=PRIMARY_DOWN)
    assert ok.passed and re.fullmatch(r"fired: mini-down x\d+", ok.summary)

    ghost = [*PRIMARY_DOWN, {"kind": "outage", "id": "ghost", "provider": "novita", "model": MINI}]
    bad = check(drill, {"kind": "faults_fired"}, faults=ghost)
    assert not bad.passed and bad.evidence == ("fault 'ghost' never fired",)
    assert bad.summary.endswith("ghost x0")


def test_a_fault_that_never_fires_fails_the_drill_unasked(drill: Drill) -> None:
    result = drill(faults=[{"kind": "auth", "id": "late", "start_s": 1000}])
    implied = verdict(result, "faults_fired")
    assert not implied.passed and implied.evidence == ("fault 'late' never fired",)
    assert not result.passed


def test_recovery(drill: Drill) -> None:
    ok = check(
        drill, {"kind": "recovery", "fault": "mini-down", "within_s": 3}, traffic={"requests": 12}, faults=PRIMARY_DOWN
    )
    assert ok.passed and re.fullmatch(
        r"primary served again \d\.\ds after the fault ended \(allowed <= 3s\)", ok.summary
    )

    sparse = {"requests": 3, "rate_per_s": 0.1}  # arrivals at 0, 10, 20 s: the next chance comes 5 s late
    bad = check(drill, {"kind": "recovery", "fault": "mini-down", "within_s": 2}, traffic=sparse, faults=PRIMARY_DOWN)
    assert not bad.passed
    assert bad.summary == "primary served again 5.0s after the fault ended (allowed <= 2s)"
    assert bad.evidence == ("first primary answer: request #1 at 10.0s",)


def test_recovery_needs_a_fault_with_an_end(drill: Drill) -> None:
    # Both are checked before the drill runs: bad input, not a failed expectation.
    endless = [{"kind": "outage", "id": "forever", "provider": "azure"}]
    with pytest.raises(SourceError, match=r"expect\[0\]\.fault: fault 'forever' has no end_s"):
        check(drill, {"kind": "recovery", "fault": "forever", "within_s": 5}, faults=endless)
    with pytest.raises(SourceError, match=r"expect\[0\]\.fault: no fault with id 'forevr'; did you mean 'forever'\?"):
        check(drill, {"kind": "recovery", "fault": "forevr", "within_s": 5}, faults=endless)


def test_outcomes(drill: Drill) -> None:
    result = drill(
        traffic={"requests": 8},
        faults=PRIMARY_DOWN,
        expect=[
            {"kind": "outcomes", "outcome": "served", "min_count": 1},
            {"kind": "outcomes", "name": "no-degradation", "outcome": "degraded", "min_count": 1, "max_count": 0},
        ],
    )
    assert verdict(result, "outcomes").passed
    bad = verdict(result, "no-degradation")
    assert not bad.passed and re.fullmatch(r"[1-8] of 8 request\(s\) degraded \(\d+\.\d%\): more than 0", bad.summary)
    degraded = int(bad.summary.split()[0])
    shown = bad.evidence if degraded <= 5 else bad.evidence[:-1]
    assert len(shown) == min(degraded, 5) and all(" degraded: " in line for line in shown)
    if degraded > 5:
        assert bad.evidence[-1] == f"... and {degraded - 5} more"

    few = check(drill, {"kind": "outcomes", "outcome": "failed", "min_share": 0.5}, traffic={"requests": 4})
    assert not few.passed and few.summary == "0 of 4 request(s) failed (0.0%): share below 50.0%"
    assert few.evidence == ()


def test_alert_raised(drill: Drill) -> None:
    ok = check(
        drill, {"kind": "alert_raised", "error_class": "auth"}, traffic={"requests": 3}, faults=[{"kind": "auth"}]
    )
    assert ok.passed and ok.summary == "3 of 3 auth failure(s) alerted"
    bad = check(
        drill, {"kind": "alert_raised", "error_class": "billing"}, traffic={"requests": 3}, faults=[{"kind": "auth"}]
    )
    assert not bad.passed and bad.summary == (
        "nothing to check: no request failed with billing (set allow_vacuous: true if that is expected)"
    )


# -- nothing to check: vacuous expectations fail unless allowed ------------------------------------


def test_retry_after_respected_with_no_hint_seen_has_nothing_to_check(drill: Drill) -> None:
    bad = check(drill, {"kind": "retry_after_respected"}, traffic={"requests": 3})
    assert not bad.passed
    assert bad.summary == (
        "nothing to check: no 429 with a Retry-After hint was seen (set allow_vacuous: true if that is expected)"
    )
    ok = check(drill, {"kind": "retry_after_respected", "allow_vacuous": True}, traffic={"requests": 3})
    assert ok.passed
    assert ok.summary == "nothing to check: no 429 with a Retry-After hint was seen (allow_vacuous)"


def test_recovery_from_a_fault_that_never_applied_has_nothing_to_check(drill: Drill) -> None:
    # The outage targets a provider the chain never reaches: nothing to recover from.
    never = [{"kind": "outage", "id": "elsewhere", "model": "anthropic/claude-opus-4.1", "start_s": 0, "end_s": 2}]
    result = drill(
        traffic={"requests": 4}, faults=never, expect=[{"kind": "recovery", "fault": "elsewhere", "within_s": 5}]
    )
    bad = verdict(result, "recovery")
    assert not bad.passed
    assert bad.summary.startswith("nothing to check: fault 'elsewhere' never applied")


def test_a_depth_limit_with_no_answer_has_nothing_to_check(drill: Drill) -> None:
    bad = check(drill, {"kind": "max_fallback_depth", "max": 0}, traffic={"requests": 2}, faults=[{"kind": "auth"}])
    assert not bad.passed and bad.summary.startswith("nothing to check: no answered request")


# -- success_rate and handled_rate --------------------------------------------------------------------


def test_success_rate_counts_answers_only_and_handled_rate_adds_failing_safe(drill: Drill, tmp_path: Path) -> None:
    policy = write_policy(
        tmp_path / "p",
        {
            "review": {
                "models": {"primary": MINI},
                "retry": {"max_attempts": 1},
                "degradation": {"mode": "fail_safe", "user_message": "Paused; a person will review it."},
            }
        },
    )
    down = [{"kind": "outage", "model": MINI, "start_s": 0, "end_s": 2}]
    result = drill(
        policy=str(policy),
        traffic={"requests": 4, "rate_per_s": 1},
        faults=down,
        expect=[{"kind": "success_rate", "min": 0.5}, {"kind": "handled_rate", "min": 1.0}],
    )
    assert [r.outcome.value for r in result.requests] == ["failed_safe", "failed_safe", "served", "served"]
    assert verdict(result, "success_rate").summary == "success rate 50.0% (required >= 50.0%)"
    assert verdict(result, "handled_rate").summary == "handled rate 100.0% (required >= 100.0%)"


def test_count_failed_safe_is_gone_with_a_pointer_to_handled_rate(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, expect=[{"kind": "success_rate", "min": 1.0, "count_failed_safe": True}])
    with pytest.raises(SourceError) as caught:
        run_file(path)
    assert "use kind: handled_rate to count clean fail-safe answers too" in str(caught.value)


# -- answers cut at the token limit ------------------------------------------------------------------


def test_an_answer_cut_at_the_length_limit_is_degraded_and_counted(drill: Drill) -> None:
    short = {"name": "short", "max_tokens": 4}
    result = drill(traffic={"requests": 4, "mix": [short]}, expect=[{"kind": "no_truncated_success"}])
    assert {r.outcome.value for r in result.requests} == {"degraded"}
    assert result.requests[0].reason == "truncated at the length limit (primary route)"
    bad = verdict(result, "no_truncated_success")
    assert not bad.passed and bad.summary == "4 answered request(s) without a proper finish"
    assert bad.evidence[0].endswith(": finish_reason 'length'")
    figures = drill_metrics(result.requests)
    assert (figures.truncated_answers, figures.truncation_rate) == (4, 1.0)


def test_a_traffic_entry_may_accept_answers_cut_at_the_length_limit(drill: Drill) -> None:
    capped = {"name": "capped", "max_tokens": 4, "allow_length_finish": True}
    result = drill(traffic={"requests": 4, "mix": [capped]}, expect=[{"kind": "no_truncated_success"}])
    assert {r.outcome.value for r in result.requests} == {"served"}
    assert verdict(result, "no_truncated_success").passed


# -- faults: matched is not applied --------------------------------------------------------------------


def test_a_stream_cut_beyond_the_answer_matches_but_never_applies(drill: Drill) -> None:
    stream = {"name": "stream", "stream": True, "max_tokens": 10}
    result = drill(
        traffic={"requests": 3, "mix": [stream]},
        faults=[{"kind": "stream_cut", "id": "late-cut", "after_tokens": 500}],
        expect=[{"kind": "success_rate", "min": 1.0}],
    )
    assert [f.applied for f in result.fired] == [False, False, False]
    bad = verdict(result, "faults_fired")
    assert not bad.passed
    assert bad.summary == "fired: late-cut x0 applied (3 matched)"
    assert bad.evidence == ("fault 'late-cut' matched 3x, never applied",)


def test_a_second_tool_call_breakage_on_a_broken_answer_is_not_applied(drill: Drill) -> None:
    breakers = [
        {"kind": "malformed_tool_call", "id": "first", "mode": "invalid_json"},
        {"kind": "malformed_tool_call", "id": "second", "mode": "unknown_tool"},
    ]
    result = drill(traffic={"requests": 2, "mix": [TOOLS]}, faults=breakers, expect=[{"kind": "faults_fired"}])
    applied = {(f.fault_id, f.applied) for f in result.fired}
    assert ("first", True) in applied and ("second", False) in applied
    assert ("second", True) not in applied
    bad = verdict(result, "faults_fired")
    assert not bad.passed and "fault 'second' matched" in bad.evidence[0]


# -- served_by: routes pinned for any workflow --------------------------------------------------------

QWEN = "qwen/qwen3-coder"


def test_served_by_tells_same_named_endpoints_apart(drill: Drill, tmp_path: Path) -> None:
    # deepinfra and deepinfra/turbo both answer as "DeepInfra": only the routing tag tells them apart.
    policy = write_policy(tmp_path / "p", {"agent": {"models": {"primary": QWEN}, "provider": {"only": ["deepinfra"]}}})
    result = drill(
        policy=str(policy),
        traffic={"requests": 20},
        expect=[
            {"kind": "served_by", "name": "no-turbo", "not_providers": ["deepinfra/turbo"]},
            {"kind": "served_by", "name": "deepinfra", "providers": ["deepinfra"]},
            {"kind": "served_by", "name": "cerebras", "providers": ["cerebras"], "models": [QWEN]},
        ],
    )
    assert {r.endpoint for r in result.requests} == {"deepinfra", "deepinfra/turbo"}
    turbo = sum(r.endpoint == "deepinfra/turbo" for r in result.requests)
    bad = verdict(result, "no-turbo")
    assert not bad.passed and bad.summary == f"{turbo} of 20 answer(s) off the listed routes"
    assert bad.evidence[0].endswith(": provider deepinfra/turbo is excluded (deepinfra/turbo)")
    assert verdict(result, "deepinfra").passed
    assert not verdict(result, "cerebras").passed
