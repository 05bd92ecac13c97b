"""Stream faults through the sync client: none of them is ever returned as success."""

from __future__ import annotations

import json

import httpx

from orcli.client.hops import FallbackHop
from orcli.client.ledger import ChatResult
from orcli.clock import VirtualClock
from orcli.policy.model import ErrorClass

from .fakes import COMMENT, DONE, FakeOpenRouter, Reply, chunk, good_stream, sse
from .helpers import HELLO, PRIMARY, SECOND, client, workflow

STREAMING = {"timeouts": {"first_token_s": 3, "stream_idle_s": 2, "attempt_s": 30, "total_s": 120}}


def run(first: Reply, then: Reply | None = None) -> tuple[FakeOpenRouter, ChatResult]:
    clock = VirtualClock()
    fake = FakeOpenRouter([first, then or sse(good_stream(model=SECOND), gap_s=0.1)], clock)
    wf = workflow(**STREAMING)
    return fake, client(fake, clock, wf).chat(HELLO, stream=True)


def test_a_good_stream_is_reassembled_with_ttft_and_usage() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([sse(good_stream("streams work fine"), gap_s=0.25)], clock)
    result = client(fake, clock, workflow(**STREAMING)).chat(HELLO, stream=True)
    assert result.ok and result.response is not None
    assert result.response["choices"][0]["message"]["content"] == "streams work fine"
    attempt = result.attempts[0]
    assert attempt.stream and fake.bodies[0]["stream"] is True
    assert attempt.ttft_s == 0.5  # the comment at 0.25 s is no token; the first word at 0.5 s is
    assert attempt.completion_tokens == 3 and str(attempt.cost_usd) == "0.00002"
    assert fake.requests[0].headers["accept"] == "text/event-stream"


def test_slow_first_token_is_a_timeout() -> None:
    slow = Reply(200, stream=[(0.5, COMMENT), (5.0, chunk("late")), (0.1, chunk(finish_reason="stop")), (0, DONE)])
    _, result = run(slow)
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.detail == "no first token within 3 s"
    assert result.ok


def test_a_stall_mid_stream_is_truncation() -> None:
    stall = Reply(200, stream=[(0.1, chunk("Hel")), (4.0, chunk("lo")), (0.1, chunk(finish_reason="stop")), (0, DONE)])
    fake, result = run(stall)
    first = result.attempts[0]
    assert first.error_class is ErrorClass.STREAM_TRUNCATED and first.detail == "stream stalled: no chunk for 2 s"
    assert [b["model"] for b in fake.bodies] == [PRIMARY, PRIMARY]


def test_missing_done_after_the_finish_reason_keeps_the_answer_with_a_warning() -> None:
    _, result = run(sse([chunk("Hi"), chunk(finish_reason="stop")]))
    assert result.ok and result.text == "Hi" and len(result.attempts) == 1
    assert result.attempts[0].warnings == ("protocol: the stream ended after its finish_reason without data: [DONE]",)


def test_missing_finish_reason_is_truncation() -> None:
    _, result = run(sse([chunk("Hi"), DONE]))
    assert result.attempts[0].detail == "stream ended without a finish_reason"


def test_a_cut_connection_is_truncation_even_after_content() -> None:
    _, result = run(sse([chunk("Half an ans")], cut=httpx.RemoteProtocolError))
    first = result.attempts[0]
    assert first.error_class is ErrorClass.STREAM_TRUNCATED and first.detail == "stream cut: RemoteProtocolError"


def test_in_band_error_chunk_is_classified_and_handled_by_its_class() -> None:
    err = {"code": 502, "message": "Upstream died", "metadata": {"error_type": "provider_unavailable"}}
    _, result = run(sse([chunk("He"), chunk(finish_reason="error", error_obj=err)]))
    first = result.attempts[0]
    assert first.error_class is ErrorClass.PROVIDER_FAILURE
    assert first.next_hop == FallbackHop(SECOND)
    assert result.ok and result.served_model == SECOND


def test_error_before_the_stream_starts_is_a_normal_http_error() -> None:
    _, result = run(Reply(429, {"error": {"code": 429, "message": "slow down"}}, headers={"Retry-After": "1"}))
    assert result.attempts[0].error_class is ErrorClass.RATE_LIMIT
    assert result.attempts[1].wait_before_s >= 1


def test_streamed_tool_call_is_validated() -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "required": ["q"]}}}]
    broken = [{"index": 0, "id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"x": 1}'}}]
    fixed = [{"index": 0, "id": "c2", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "a"}'}}]
    clock = VirtualClock()
    fake = FakeOpenRouter(
        [
            sse([chunk(tool_calls=broken), chunk(finish_reason="tool_calls"), DONE]),
            sse([chunk(tool_calls=fixed), chunk(finish_reason="tool_calls"), DONE]),
        ],
        clock,
    )
    result = client(fake, clock, workflow(**STREAMING)).chat(HELLO, tools=tools, stream=True)
    assert result.attempts[0].error_class is ErrorClass.MALFORMED_TOOL_CALL
    assert result.ok and result.tool_calls[0].arguments == {"q": "a"}
    assert json.loads(fake.requests[1].content)["tools"] == tools


def test_a_json_answer_to_a_stream_request_is_accepted() -> None:
    from .fakes import ok

    _, result = run(ok("not streamed"))
    assert result.ok and result.response is not None
    assert result.response["choices"][0]["message"]["content"] == "not streamed"
