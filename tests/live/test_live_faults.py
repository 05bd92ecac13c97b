"""Faults on live are injected client-side: what reaches the client, what reaches the API."""

from __future__ import annotations

from pathlib import Path

import respx

from orcli.policy.model import ErrorClass

from .conftest import CHAT, FALLBACK, POLICY, PRIMARY, error, ok, sent_bodies, sse, write_scenario
from .test_live_drill import run


def test_provider_outage_becomes_provider_ignore(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok(provider="Azure"))
    faults = "  - id: openai-down\n    kind: outage\n    provider: openai\n    first: 2\n"
    result = run(write_scenario(tmp_path, requests=3, concurrency=1, faults=faults))

    bodies = sent_bodies(route)
    assert [b.get("provider") for b in bodies] == [{"ignore": ["openai"]}, {"ignore": ["openai"]}, None]
    assert all(r.result.ok for r in result.requests)
    assert [(f.fault_id, f.provider) for f in result.fired] == [("openai-down", "openai")] * 2
    assert "injected client-side by openai-down: provider.ignore += openai x2" in result.notes
    assert "real upstream failures (not injected): none" in result.notes


def test_untargeted_outage_is_answered_without_sending(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    faults = "  - kind: outage\n    status: 503\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=2, concurrency=1, faults=faults))

    # The first attempt never left the machine; its quick same-route retry did, and was answered.
    assert route.call_count == 2
    first = result.requests[0].result
    assert first.ok and len(first.attempts) == 2
    assert first.attempts[0].status == 503
    assert first.attempts[0].detail.startswith("injected outage-1: ")
    assert result.requests[1].result.ok
    assert "injected client-side by outage-1: HTTP 503 x1" in result.notes
    assert "real upstream failures (not injected): none" in result.notes


def test_injected_and_real_failures_are_told_apart(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(side_effect=[error(502), ok()])
    faults = "  - kind: outage\n    from_request: 3\n"
    result = run(write_scenario(tmp_path, requests=3, concurrency=1, faults=faults))

    details = [r.result.attempts[0].detail for r in result.requests]
    assert not details[0].startswith("injected")
    assert details[2].startswith("injected outage-1")
    assert "real upstream failures (not injected): 1 attempts (provider_failure x1)" in result.notes


def test_model_outage_drops_the_model_from_the_request(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok(model=FALLBACK, provider="Anthropic"))
    faults = f"  - kind: outage\n    model: {PRIMARY}\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))

    body = sent_bodies(route)[0]
    assert body["model"] == FALLBACK and "models" not in body
    assert result.requests[0].result.served_model == FALLBACK


def test_a_silent_model_is_waited_out_before_its_fallback_answers(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok(model=FALLBACK, provider="Anthropic"))
    faults = f"  - kind: timeout\n    model: {PRIMARY}\n    seconds: 3\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))
    # OpenRouter fails over only once the silent attempt is over: 3 s, within the 4 s attempt limit.
    assert sent_bodies(route)[0]["model"] == FALLBACK
    only = result.requests[0].result.attempts
    assert len(only) == 1 and only[0].ok and only[0].latency_s >= 3.0


def test_a_hung_model_costs_the_client_its_attempt(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok(model=FALLBACK, provider="Anthropic"))
    faults = f"  - kind: timeout\n    model: {PRIMARY}\n    hang: true\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))
    # OpenRouter would wait on the hung attempt longer than the client's 4 s: the client times out.
    first = result.requests[0].result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.latency_s == 4.0
    assert first.detail.startswith("injected timeout-1")
    assert result.requests[0].result.ok and route.call_count == 1


def test_pinned_provider_gets_the_error_instead(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    path = write_scenario(tmp_path, requests=1, faults="  - kind: outage\n    provider: openai\n    status: 502\n")
    pinned = POLICY.replace("    timeouts:", "    provider: {only: [openai]}\n    timeouts:")
    (tmp_path / "policy.yaml").write_text(pinned)
    result = run(path)

    assert route.call_count == 0
    attempts = result.requests[0].result.attempts
    assert {a.status for a in attempts} == {502}
    assert all(a.detail.startswith("injected outage-1") for a in attempts)


def test_openrouter_rate_limit_with_retry_after(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    faults = "  - kind: rate_limit\n    scope: openrouter\n    retry_after_s: 2\n    reset_s: 2\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))

    first, second = result.requests[0].result.attempts
    assert (first.status, first.error_class) == (429, ErrorClass.RATE_LIMIT)
    assert first.retry_after_s is not None and 1.5 < first.retry_after_s <= 2.0
    assert second.ok and second.wait_before_s >= 2.0  # waited out the hint (virtual time)
    assert route.call_count == 1


def test_timeout_raises_read_timeout_after_the_read_timeout(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    faults = "  - kind: timeout\n    hang: true\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))

    first, second = result.requests[0].result.attempts
    assert first.error_class is ErrorClass.TIMEOUT
    assert first.latency_s == 4.0  # the policy's attempt_s, on the virtual clock
    assert first.detail.startswith("injected timeout-1")
    assert second.ok and route.call_count == 1


def test_connection_refused_sends_nothing(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    faults = "  - kind: connection_reset\n    phase: connect\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))
    assert route.call_count == 0
    attempts = result.requests[0].result.attempts
    assert attempts and all(a.status is None and a.detail.startswith("injected connection_reset-1") for a in attempts)


def test_moderation_hits_answers_served_by_that_provider(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(side_effect=[ok(provider="OpenAI"), ok(model=FALLBACK, provider="Anthropic")])
    faults = "  - kind: moderation\n    provider: openai\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))

    assert route.call_count == 2  # the real answer was generated (and billed), then replaced
    first, second = result.requests[0].result.attempts
    assert (first.status, first.error_class) == (403, ErrorClass.MODERATION)
    assert second.ok and second.served_model == FALLBACK


def test_invalid_response_rewrites_the_real_body(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(return_value=ok())
    faults = "  - kind: invalid_response\n    mode: non_json\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults))
    first = result.requests[0].result.attempts[0]
    assert first.error_class is ErrorClass.INVALID_RESPONSE
    assert first.detail.startswith("injected invalid_response-1")


def test_malformed_tool_call(tmp_path: Path, api: respx.MockRouter) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "search_docs", "arguments": '{"query": "x"}'}}
    api.post(CHAT).mock(return_value=ok(content="", tool_calls=[call]))
    faults = "  - kind: malformed_tool_call\n    mode: unknown_tool\n    first: 1\n"
    mix = "  mix:\n    - name: tools\n      kind: tools\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=mix))
    first, second = result.requests[0].result.attempts
    assert first.error_class is ErrorClass.MALFORMED_TOOL_CALL
    assert second.ok


STREAM_MIX = "  mix:\n    - name: chat\n      stream: true\n"


def test_stream_cut_truncates_the_real_stream(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(side_effect=[sse(["Hello", " there", " friend", " again"]), sse(["Fine."])])
    faults = "  - kind: stream_cut\n    after_tokens: 2\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=STREAM_MIX))
    first, second = result.requests[0].result.attempts
    assert first.error_class is ErrorClass.STREAM_TRUNCATED
    assert first.detail.startswith("injected stream_cut-1")
    assert second.ok
    assert result.requests[0].result.response is not None


def test_stream_error_arrives_in_band(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(side_effect=[sse(["Hello", " there", " friend"]), sse(["Fine."])])
    faults = "  - kind: stream_error\n    after_tokens: 1\n    code: 502\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=STREAM_MIX))
    first = result.requests[0].result.attempts[0]
    assert first.status == 200 and first.error_class is not None
    assert first.detail.startswith("injected stream_error-1")


def test_stream_without_faults_passes_through(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(return_value=sse(["Hello", " there"]))
    faults = "  - kind: stream_cut\n    provider: deepinfra\n"  # never serves this stream
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=STREAM_MIX))
    assert result.requests[0].result.ok
    assert result.requests[0].result.response["choices"][0]["message"]["content"] == "Hello there"  # type: ignore[index]
    assert result.fired == ()


def test_real_request_asks_for_an_uncompressed_body(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    run(write_scenario(tmp_path, requests=1))
    assert route.calls[0].request.headers["accept-encoding"] == "identity"


def test_missing_done_and_malformed_sse(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(side_effect=[sse(["Hello", " there", " friend"]), sse(["Fine."])])
    faults = "  - kind: missing_done\n    first: 1\n  - kind: malformed_sse\n    after_tokens: 1\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=STREAM_MIX))
    attempts = result.requests[0].result.attempts
    assert [f.kind for f in result.fired] == ["missing_done", "malformed_sse"]
    assert attempts[0].detail.startswith("injected ")
    assert attempts[0].error_class in (ErrorClass.INVALID_RESPONSE, ErrorClass.STREAM_TRUNCATED)
    assert attempts[-1].ok and route.call_count == len(attempts)


def test_stream_stall_is_cut_by_the_idle_limit(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(side_effect=[sse(["Hello", " there", " friend"]), sse(["Fine."])])
    path = write_scenario(
        tmp_path,
        requests=1,
        faults="  - kind: stream_stall\n    after_tokens: 1\n    seconds: 30\n    first: 1\n",
        mix=STREAM_MIX,
    )
    idle = POLICY.replace("attempt_s: 4", "attempt_s: 4, stream_idle_s: 1")
    (tmp_path / "policy.yaml").write_text(idle)
    result = run(path)
    first, second = result.requests[0].result.attempts
    assert first.error_class in (ErrorClass.TIMEOUT, ErrorClass.STREAM_TRUNCATED)
    assert first.latency_s < 4  # the 30 s stall was cut by the 1 s idle limit (virtual time)
    assert first.detail.startswith("injected stream_stall-1")
    assert second.ok
