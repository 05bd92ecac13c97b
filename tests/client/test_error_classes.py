"""Each error class gets the response the seed's table asks for (client-walked chain)."""

from __future__ import annotations

from orcli.catalog import default_catalog
from orcli.client.hops import FallbackHop, RetryHop
from orcli.clock import VirtualClock
from orcli.policy.model import ErrorClass

from .conftest import ChatDriver
from .fakes import FakeOpenRouter, Reply, completion, fail, ok, tool_call
from .helpers import HELLO, PRIMARY, SECOND, THIRD, client, workflow


def models_sent(fake: FakeOpenRouter) -> list[str]:
    return [body["model"] for body in fake.bodies]


def test_bad_request_is_not_repeated(chat: ChatDriver) -> None:
    run = chat([fail(400, "tools[0].function.name is invalid", error_type="invalid_request")])
    result, fake = run.result, run.fake
    assert not result.ok and result.error_class is ErrorClass.BAD_REQUEST
    assert len(fake.bodies) == 1 and str(result.stop_reason) == "bad_request: the policy says stop"
    assert result.alerts == ()


def test_auth_alerts_and_stops_even_if_the_policy_says_retry(chat: ChatDriver) -> None:
    run = chat([fail(401, "User not found.")], workflow(retry={"on": {"auth": "retry"}}))
    result, fake = run.result, run.fake
    assert result.error_class is ErrorClass.AUTH and len(fake.bodies) == 1
    assert result.alerts == ("auth: 401: User not found.",)


def test_billing_alerts_and_fails_gracefully_with_the_approved_message(chat: ChatDriver) -> None:
    wf = workflow(degradation={"mode": "fail_safe", "user_message": "Support chat is resting. Email us."})
    run = chat([fail(402, "This request requires more credits")], wf)
    result, fake = run.result, run.fake
    assert result.error_class is ErrorClass.BILLING and len(fake.bodies) == 1
    assert result.alerts and result.alerts[0].startswith("billing: 402")
    assert result.fail_safe_message == "Support chat is resting. Email us."


def test_rate_limit_waits_for_retry_after_then_retries_the_same_route(chat: ChatDriver) -> None:
    run = chat([fail(429, "Rate limit exceeded", {"Retry-After": "4"}), ok()])
    result, fake = run.result, run.fake
    assert result.ok and models_sent(fake) == [PRIMARY, PRIMARY]
    assert fake.sent_at[1] - fake.sent_at[0] >= 4.0  # never undercut
    assert result.attempts[0].retry_after_s == 4.0
    assert result.attempts[1].wait_before_s >= 4.0
    assert result.attempts[0].next_hop == RetryHop(result.attempts[1].wait_before_s, retry_after=True)
    assert str(result.attempts[0].next_hop).endswith("(Retry-After)")


def test_rate_limit_longer_than_the_policy_allows_falls_back_at_once(chat: ChatDriver) -> None:
    run = chat([fail(429, "Rate limit exceeded", {"Retry-After": "120"}), ok(model=SECOND)])
    result, fake = run.result, run.fake
    assert result.ok and models_sent(fake) == [PRIMARY, SECOND]
    assert fake.sent_at[1] == fake.sent_at[0]
    assert "over max_retry_after_s" in str(result.attempts[0].next_hop)


def test_rate_limited_route_is_skipped_by_later_requests_until_its_retry_after() -> None:
    clock = VirtualClock()
    script = [fail(429, "slow down", {"Retry-After": "120"}), ok(model=SECOND), ok(model=SECOND), ok()]
    fake = FakeOpenRouter(script, clock)
    c = client(fake, clock)
    c.chat(HELLO)
    c.chat(HELLO)  # the primary is still inside its Retry-After window
    clock.advance(121)
    c.chat(HELLO)
    assert models_sent(fake) == [PRIMARY, SECOND, SECOND, PRIMARY]


def test_a_timed_out_route_is_not_retried_the_next_model_is_tried_at_once(chat: ChatDriver) -> None:
    wf = workflow(timeouts={"attempt_s": 10, "total_s": 60})
    run = chat([Reply(delay_s=60), ok(model=SECOND)], wf)
    result, fake = run.result, run.fake
    assert result.ok and models_sent(fake) == [PRIMARY, SECOND]
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.status is None
    assert first.latency_s == 10.0 and result.attempts[1].wait_before_s == 0.0


def test_a_policy_may_still_retry_a_timed_out_route(chat: ChatDriver) -> None:
    wf = workflow(timeouts={"attempt_s": 10, "total_s": 60}, retry={"on": {"timeout": "retry"}})
    run = chat([Reply(delay_s=60), ok()], wf)
    assert run.result.ok and models_sent(run.fake) == [PRIMARY, PRIMARY]


def test_provider_failure_falls_back_without_waiting_when_no_quick_retry_is_allowed(chat: ChatDriver) -> None:
    wf = workflow(retry={"same_route": 0})
    run = chat([fail(502, "Provider returned error", provider_name="OpenAI"), ok(model=SECOND)], wf)
    result, fake = run.result, run.fake
    assert result.ok and models_sent(fake) == [PRIMARY, SECOND]
    assert result.attempts[0].next_hop == FallbackHop(SECOND)
    assert str(result.attempts[0].next_hop) == f"fallback to {SECOND}"
    assert result.attempts[1].wait_before_s == 0.0
    assert result.fallback_depth == 1 and result.fallbacks == 1


def test_connection_refused_is_a_provider_failure(chat: ChatDriver) -> None:
    import httpx

    run = chat([Reply(exception=httpx.ConnectError), ok(model=SECOND)])
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.PROVIDER_FAILURE and result.ok


def test_routing_constraint_fails_safely(chat: ChatDriver) -> None:
    wf = workflow(degradation={"mode": "fail_safe", "user_message": "Unavailable under our data policy."})
    run = chat([fail(404, "No endpoints found matching your data policy")], wf)
    result, fake = run.result, run.fake
    assert result.error_class is ErrorClass.ROUTING_CONSTRAINT and len(fake.bodies) == 1
    assert result.fail_safe_message == "Unavailable under our data policy."


def test_routing_constraint_may_fall_back_when_the_policy_allows_loosening(chat: ChatDriver) -> None:
    wf = workflow(retry={"on": {"routing_constraint": "fallback"}})
    assert chat([fail(404, "No endpoints found that support tool use."), ok(model=SECOND)], wf).result.ok


def test_moderation_never_retries_the_same_model_even_if_told_to(chat: ChatDriver) -> None:
    flagged = fail(403, "Input flagged", reasons=["harassment"], flagged_input="you are…", provider_name="OpenAI")
    wf = workflow(retry={"on": {"moderation": "retry"}})
    run = chat([flagged, ok(model=SECOND)], wf)
    result, fake = run.result, run.fake
    assert result.ok and models_sent(fake) == [PRIMARY, SECOND]


def test_moderation_with_no_compliant_alternative_shows_the_safe_message(chat: ChatDriver) -> None:
    flagged = fail(403, "Input flagged", reasons=["harassment"], flagged_input="…")
    wf = workflow(degradation={"mode": "fail_safe", "user_message": "We can't help with that."})
    run = chat([flagged, flagged, flagged], wf)
    result, fake = run.result, run.fake
    assert models_sent(fake) == [PRIMARY, SECOND, THIRD]
    assert result.error_class is ErrorClass.MODERATION and result.fail_safe_message == "We can't help with that."


def test_context_length_falls_back_only_to_a_larger_context_model(chat: ChatDriver) -> None:
    # mistral-7b (8k) overflows; llama-3.3 has 131k but gpt-4o-mini only 128k... both larger;
    # then claude-sonnet-4.5 (1M). After llama's 131k overflows, gpt-4o-mini (128k) must be skipped.
    wf = workflow(
        models={
            "primary": "mistralai/mistral-7b-instruct",
            "fallbacks": ["meta-llama/llama-3.3-70b-instruct", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"],
        },
        retry={"max_attempts": 5},
    )
    too_long = fail(400, "context too long", error_type="context_length_exceeded")
    run = chat([too_long, too_long, ok(model="anthropic/claude-sonnet-4.5")], wf, client={"catalog": default_catalog()})
    result, fake = run.result, run.fake
    assert result.ok
    assert models_sent(fake) == [
        "mistralai/mistral-7b-instruct",
        "meta-llama/llama-3.3-70b-instruct",
        "anthropic/claude-sonnet-4.5",
    ]


def test_context_length_with_no_larger_model_fails(chat: ChatDriver) -> None:
    wf = workflow(models={"primary": "anthropic/claude-sonnet-4.5", "fallbacks": ["openai/gpt-4o-mini"]})
    run = chat([fail(400, "too long", error_type="context_length_exceeded")], wf, client={"catalog": default_catalog()})
    result, fake = run.result, run.fake
    assert result.error_class is ErrorClass.CONTEXT_LENGTH and len(fake.bodies) == 1
    assert str(result.stop_reason) == "no fallback left after context_length"


def test_invalid_response_is_retried(chat: ChatDriver) -> None:
    empty = Reply(200, {**completion(), "choices": []})
    run = chat([empty, Reply(200, raw=b"<html>502</html>"), ok(model=SECOND)])
    result, fake = run.result, run.fake
    assert [a.error_class for a in result.attempts] == [ErrorClass.INVALID_RESPONSE, ErrorClass.INVALID_RESPONSE, None]
    assert models_sent(fake) == [PRIMARY, PRIMARY, SECOND]  # two on the route, then the fallback


def test_200_with_an_error_object_is_not_success(chat: ChatDriver) -> None:
    in_body = Reply(200, {"error": {"message": "Provider returned error", "code": 502}, "user_id": "u"})
    run = chat([in_body, ok(model=SECOND)])
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.PROVIDER_FAILURE and result.ok


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_malformed_tool_call_never_reaches_the_app(chat: ChatDriver) -> None:
    bad = [
        Reply(200, completion(None, tool_calls=[tool_call("get_weather", '{"city": ')], finish_reason="tool_calls")),
        Reply(200, completion(None, tool_calls=[tool_call("delete_account", "{}")], finish_reason="tool_calls")),
        Reply(200, completion(None, model=SECOND, tool_calls=[tool_call("get_weather", '{"town": "Oslo"}')])),
    ]
    wf = workflow(retry={"max_attempts": 3})
    run = chat(bad, wf, tools=[WEATHER_TOOL])
    result = run.result
    assert not result.ok and result.response is None and result.tool_calls == ()
    assert result.error_class is ErrorClass.MALFORMED_TOOL_CALL
    assert [a.detail.split(":")[0] for a in result.attempts] == [
        "tool call 0 'get_weather'",
        "tool call 0",
        "tool call 0 'get_weather'",
    ]


def test_a_malformed_tool_call_is_retried_into_a_valid_one(chat: ChatDriver) -> None:
    script = [
        Reply(200, completion(None, tool_calls=[tool_call("get_weather", "{oops")])),
        Reply(200, completion(None, tool_calls=[tool_call("get_weather", '{"city": "Oslo"}', "call_2")])),
    ]
    result = chat(script, tools=[WEATHER_TOOL], tool_choice="required").result
    assert result.ok and len(result.tool_calls) == 1
    call = result.tool_calls[0]
    assert (call.name, call.arguments, call.id) == ("get_weather", {"city": "Oslo"}, "call_2")
    assert call.idempotency_key == f"{result.idempotency_key}:0"


def test_structured_output_that_breaks_its_schema_is_retried(chat: ChatDriver) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object", "required": ["score"]}}}
    run = chat([ok('{"grade": 1}'), ok('{"score": 1}')], response_format=fmt)
    result, fake = run.result, run.fake
    assert result.attempts[0].error_class is ErrorClass.INVALID_RESPONSE and result.ok
    assert fake.bodies[0]["response_format"] == fmt


def test_every_route_failing_ends_with_the_last_class_and_bounded_attempts(chat: ChatDriver) -> None:
    wf = workflow(retry={"max_attempts": 4, "on": {"provider_failure": "retry"}})
    run = chat(lambda body: fail(500, "Internal Server Error"), wf)
    result, fake = run.result, run.fake
    assert len(fake.bodies) == 4 and result.error_class is ErrorClass.PROVIDER_FAILURE
    assert models_sent(fake) == [PRIMARY, PRIMARY, SECOND, SECOND]
    assert str(result.stop_reason) == "max_attempts (4) used"
    assert result.retries == 2 and result.fallbacks == 1


def test_queue_mode_holds_failed_work_and_tries_the_whole_chain_again() -> None:
    clock = VirtualClock()

    def upstream(body: dict[str, object]) -> Reply:
        return fail(503, "overloaded") if clock.now() < 100 else ok(model=str(body["model"]))

    fake = FakeOpenRouter(upstream, clock)
    wf = workflow(
        models={"primary": PRIMARY, "fallbacks": [SECOND]},
        degradation={"mode": "queue", "queue_max_wait_s": 300, "queue_retry_interval_s": 60},
        retry={"same_route": 0},  # the queue's timing, without quick retries in between
    )
    result = client(fake, clock, wf).chat(HELLO)
    assert result.ok and result.served_model == PRIMARY
    assert [a.started_at for a in result.attempts] == [0, 0, 60, 60, 120]
    assert str(result.attempts[1].next_hop) == (
        "queued after 'no fallback left after provider_failure': whole chain again in 60 s"
    )


def test_queue_mode_gives_up_when_the_queue_window_ends(chat: ChatDriver) -> None:
    wf = workflow(
        models={"primary": PRIMARY},
        degradation={"mode": "queue", "queue_max_wait_s": 150, "queue_retry_interval_s": 60},
        retry={"same_route": 0},
    )
    run = chat(lambda body: fail(503, "overloaded"), wf)
    result = run.result
    assert not result.ok and [a.started_at for a in result.attempts] == [0, 60, 120]


def test_the_last_attempt_goes_to_a_fresh_route_rather_than_wait_for_a_rate_limited_one(chat: ChatDriver) -> None:
    wf = workflow(retry={"max_attempts": 2})
    run = chat([fail(429, "slow down", {"Retry-After": "5"}), ok(model=SECOND)], wf)
    result = run.result
    assert result.ok and models_sent(run.fake) == [PRIMARY, SECOND]
    assert str(result.attempts[0].next_hop) == (
        f"fallback to {SECOND} (the last attempt goes to a route that has not failed)"
    )
    assert result.attempts[1].wait_before_s == 0.0


def test_a_timed_out_route_is_retried_when_no_other_route_is_left(chat: ChatDriver) -> None:
    wf = workflow(models={"primary": PRIMARY}, timeouts={"attempt_s": 10, "total_s": 60})
    run = chat([Reply(delay_s=60), ok()], wf)
    assert run.result.ok and models_sent(run.fake) == [PRIMARY, PRIMARY]
