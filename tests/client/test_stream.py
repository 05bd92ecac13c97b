from __future__ import annotations

import json

from orcli.client.stream import SseAssembler, StreamWatch
from orcli.policy.model import ErrorClass

from .fakes import COMMENT, DONE, chunk, good_stream


def feed(items: list[bytes]) -> SseAssembler:
    assembler = SseAssembler()
    for line in b"".join(items).decode().split("\n"):
        assembler.feed(line)
    return assembler


def test_a_complete_stream_reassembles_into_a_completion() -> None:
    assembler = feed(good_stream("one two three"))
    assert assembler.outcome() is None
    body = assembler.completion()
    assert body["choices"][0]["message"]["content"] == "one two three"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 3
    assert body["provider"] == "OpenAI" and body["model"] == "openai/gpt-4o-mini"


def test_tool_call_arguments_in_pieces_are_joined() -> None:
    first = [{"index": 0, "id": "call_9", "type": "function", "function": {"name": "get_weather", "arguments": '{"ci'}}]
    rest = [{"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}]
    assembler = feed(
        [chunk(tool_calls=first), COMMENT, chunk(tool_calls=rest), chunk(finish_reason="tool_calls"), DONE]
    )
    call = assembler.completion()["choices"][0]["message"]["tool_calls"][0]
    assert call["id"] == "call_9" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Oslo"}
    assert assembler.outcome() is None


def test_missing_finish_reason_and_cut_streams_are_truncated() -> None:
    cases = {
        "no finish": [chunk("Hi"), DONE],
        "cut": [chunk("Hi")],
    }
    for name, items in cases.items():
        failure = feed(items).outcome()
        assert failure is not None and failure.error_class is ErrorClass.STREAM_TRUNCATED, name


def test_a_finished_stream_without_done_is_complete_with_a_protocol_warning() -> None:
    assembler = feed([chunk("Hi"), chunk(finish_reason="stop")])
    assert assembler.outcome() is None and assembler.complete
    assert assembler.warnings() == ("protocol: the stream ended after its finish_reason without data: [DONE]",)
    assert feed([chunk("Hi"), chunk(finish_reason="stop"), DONE]).warnings() == ()


def test_in_band_error_chunk_is_classified() -> None:
    err = {"code": 429, "message": "Rate limit exceeded", "metadata": {"error_type": "rate_limit_exceeded"}}
    failure = feed([chunk("He"), chunk(finish_reason="error", error_obj=err)]).outcome()
    assert failure is not None and failure.error_class is ErrorClass.RATE_LIMIT
    assert "in-band" in failure.detail


def test_malformed_chunk_is_an_invalid_response() -> None:
    failure = feed([chunk("He"), b"data: {not json\n\n", chunk(finish_reason="stop"), DONE]).outcome()
    assert failure is not None and failure.error_class is ErrorClass.INVALID_RESPONSE


def test_watch_limits() -> None:
    watch = StreamWatch(started_at=0.0, first_token_s=2.0, idle_s=1.0, deadline_at=30.0)
    assert watch.next_limit_at() == 2.0
    failure = watch.expired(2.5)
    assert failure is not None and failure.error_class is ErrorClass.TIMEOUT
    watch.on_event(1.5, got_token=True)
    assert watch.next_limit_at() == 2.5
    stalled = watch.expired(3.0)
    assert stalled is not None and stalled.error_class is ErrorClass.STREAM_TRUNCATED
    assert "stalled" in stalled.detail
