"""Streamed answers on the live path: a whole stream is a served answer, not a failure."""

from __future__ import annotations

from pathlib import Path

import httpx
import respx

from .conftest import CHAT, sse, write_scenario
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
