"""Streamed answers on the live path: a whole stream is a served answer, not a failure."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from orcli.policy.model import ErrorClass

from .conftest import CHAT, PRIMARY, sse, write_scenario
from .test_live_drill import run

STREAM_MIX = "  mix:\n    - name: chat\n      stream: true\n"


def test_whole_streams_do_not_trip_the_error_rate_safeguard(tmp_path: Path, api: respx.MockRouter) -> None:
    # The client stops reading at data: [DONE]; the stream is complete even though its reader
    # never asked for the end of the body.
    route = api.post(CHAT).mock(side_effect=lambda request: sse(["Hello", " there", " friend"]))
    result = run(write_scenario(tmp_path, requests=10, concurrency=2, mix=STREAM_MIX))
    assert route.call_count == 10
    assert result.abort is None
    assert not any(note.startswith("ABORTED") for note in result.notes)
    assert all(r.result.ok for r in result.requests)


def test_a_stream_with_an_error_chunk_still_counts_as_failed(tmp_path: Path, api: respx.MockRouter) -> None:
    in_band = '"error": {"code": 502, "message": "Provider disconnected"}, "choices": [], "usage"'

    def broken(request: httpx.Request) -> httpx.Response:
        text = sse(["Hello"]).content.decode().replace('"choices": [], "usage"', in_band)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())

    api.post(CHAT).mock(side_effect=broken)
    result = run(write_scenario(tmp_path, requests=6, concurrency=1, mix=STREAM_MIX))
    assert result.abort is not None
    assert "real responses failed" in result.abort.reason


def tool_call_stream(arguments: str = '{"query": "refund policy"}') -> httpx.Response:
    head = {"id": "gen-1767373622-ToolStreamToolStreamT", "object": "chat.completion.chunk", "created": 1767373622}
    head |= {"model": PRIMARY, "provider": "OpenAI"}
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "search_docs", "arguments": ""}}
    pieces = [{"role": "assistant", "content": None, "tool_calls": [call]}]
    for start in range(0, len(arguments), 8):
        piece = {"index": 0, "function": {"arguments": arguments[start : start + 8]}}
        pieces.append({"tool_calls": [piece]})
    events = [json.dumps({**head, "choices": [{"index": 0, "delta": d}]}) for d in pieces]
    events.append(json.dumps({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}))
    usage = {"prompt_tokens": 60, "completion_tokens": 9, "total_tokens": 69, "cost": 0.00003}
    events.append(json.dumps({**head, "choices": [], "usage": usage}))
    text = "".join(f"data: {e}\n\n" for e in events) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())


TOOLS_STREAM_MIX = "  mix:\n    - name: tools\n      kind: tools\n      stream: true\n"


@pytest.mark.parametrize("mode", ["invalid_json", "unknown_tool", "schema_violation"])
def test_malformed_tool_call_is_injected_into_a_stream(tmp_path: Path, api: respx.MockRouter, mode: str) -> None:
    api.post(CHAT).mock(side_effect=lambda request: tool_call_stream())
    faults = f"  - kind: malformed_tool_call\n    mode: {mode}\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=TOOLS_STREAM_MIX))
    first, second = result.requests[0].result.attempts
    assert first.error_class is ErrorClass.MALFORMED_TOOL_CALL
    assert first.detail.startswith("injected malformed_tool_call-1")
    assert second.ok
    assert [f.kind for f in result.fired] == ["malformed_tool_call"]
    assert not any(note.startswith("ABORTED") for note in result.notes)


def test_a_whole_tool_call_stream_passes_through(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(side_effect=lambda request: tool_call_stream())
    faults = "  - kind: malformed_tool_call\n    mode: invalid_json\n    provider: deepinfra\n"  # never serves it
    result = run(write_scenario(tmp_path, requests=1, faults=faults, mix=TOOLS_STREAM_MIX))
    served = result.requests[0].result
    assert served.ok and len(served.attempts) == 1
    calls = served.response["choices"][0]["message"]["tool_calls"]  # type: ignore[index]
    assert calls[0]["function"]["arguments"] == '{"query": "refund policy"}'
