"""Streams: OpenRouter's SSE shape, chunk timing on a virtual clock, and every stream fault."""

from __future__ import annotations

import itertools
import json
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
import trio.testing

from orcli.catalog.model import Catalog
from orcli.clock import VirtualClock
from orcli.openrouter import BASE_URL
from orcli.upstream.faults import (
    FaultSpec,
    MalformedSseFault,
    MissingDoneFault,
    OutageFault,
    StreamCutFault,
    StreamErrorFault,
    StreamStallFault,
)
from orcli.upstream.protocol import estimate_tokens
from orcli.upstream.simulator import Simulator
from orcli.upstream.transport import AsyncSimulatorTransport
from tests.upstream.support import client_for, request_body

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "minLength": 3}, "limit": {"type": "integer"}},
                "required": ["query", "limit"],
            },
        },
    }
]


def stream(
    sim: Simulator, clock: VirtualClock | None = None, timeout: float = 600, **body: Any
) -> tuple[list[tuple[float, str]], VirtualClock]:
    """Every SSE line with the virtual time it arrived."""
    clock = clock or VirtualClock()
    lines: list[tuple[float, str]] = []
    with (
        client_for(sim, clock, timeout=timeout) as client,
        client.stream("POST", "/chat/completions", json=request_body(stream=True, **body)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line:
                lines.append((clock.now(), line))
    return lines, clock


def events(lines: list[tuple[float, str]]) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: ") :]) for _, line in lines if line.startswith("data: {")]


def test_stream_shape(catalog: Catalog) -> None:
    lines, _ = stream(Simulator(catalog), provider={"only": ["alpha"]})
    assert lines[0][1] == ": OPENROUTER PROCESSING"
    assert lines[-1][1] == "data: [DONE]"
    chunks = events(lines)
    head = {k: chunks[0][k] for k in ("id", "provider", "model", "created")}
    assert head["provider"] == "Alpha" and head["model"] == "acme/chat" and head["id"].startswith("gen-")
    assert all({k: c[k] for k in head} == head and c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    *content_chunks, finish, usage_chunk = chunks
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in content_chunks)
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["choices"][0]["native_finish_reason"] == "stop"
    assert usage_chunk["choices"] == []
    usage = usage_chunk["usage"]
    assert usage["completion_tokens"] == estimate_tokens(text)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["cost"] == pytest.approx(usage["total_tokens"] * 1e-6)


def test_chunks_arrive_over_time(catalog: Catalog) -> None:
    lines, clock = stream(Simulator(catalog), provider={"only": ["alpha"]})
    times = [t for t, _ in lines]
    ttft = times[0]
    assert 0.2 < ttft < 2  # overhead + a time to first token drawn around alpha's p50 of 0.5 s
    assert times == sorted(times)
    assert times[-1] > ttft  # the tokens took time to generate (alpha: ~50 tokens/s)
    assert clock.now() == times[-1]


def test_streamed_tool_call_assembles_to_valid_arguments(catalog: Catalog) -> None:
    lines, _ = stream(Simulator(catalog), tools=TOOLS, tool_choice="required")
    pieces = [c["choices"][0]["delta"] for c in events(lines) if c["choices"]]
    calls = [tc for delta in pieces for tc in delta.get("tool_calls", [])]
    assert calls[0]["id"].startswith("call_") and calls[0]["function"]["name"] == "search"
    arguments = "".join(tc["function"].get("arguments", "") for tc in calls)
    jsonschema.validate(json.loads(arguments), TOOLS[0]["function"]["parameters"])
    assert events(lines)[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_failure_before_the_first_token_is_a_plain_http_error(catalog: Catalog) -> None:
    with client_for(Simulator(catalog, [OutageFault()])) as client:
        response = client.post("/chat/completions", json=request_body(stream=True))
    assert response.status_code == 502
    assert response.json()["error"]["message"] == "Provider returned error"


def with_fault(catalog: Catalog, fault: FaultSpec) -> Simulator:
    return Simulator(catalog, [fault])


def test_stream_cut_drops_the_connection_mid_body(catalog: Catalog) -> None:
    seen: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client_for(with_fault(catalog, StreamCutFault(after_tokens=4))) as client,
        client.stream("POST", "/chat/completions", json=request_body(stream=True)) as response,
    ):
        seen.extend(response.iter_lines())
    data = [line for line in seen if line.startswith("data: {")]
    assert 1 <= len(data) < 5
    assert all('"finish_reason":null' in line for line in data)


def test_stall_is_a_gap_between_chunks(catalog: Catalog) -> None:
    lines, _ = stream(with_fault(catalog, StreamStallFault(after_tokens=3, seconds=30)))
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(lines)]
    assert max(gaps) >= 30
    assert lines[-1][1] == "data: [DONE]"


def test_stall_longer_than_the_read_timeout_raises_read_timeout(catalog: Catalog) -> None:
    clock = VirtualClock()
    with pytest.raises(httpx.ReadTimeout):
        stream(with_fault(catalog, StreamStallFault(after_tokens=3, seconds=30)), clock, timeout=10)
    before_stall = clock.now() - 10
    assert 0 < before_stall < 5


def test_malformed_sse_event_then_the_stream_goes_on(catalog: Catalog) -> None:
    lines, _ = stream(with_fault(catalog, MalformedSseFault(after_tokens=2)))
    broken = []
    for _, line in lines:
        if line.startswith("data: {"):
            try:
                json.loads(line[6:])
            except json.JSONDecodeError:
                broken.append(line)
    assert len(broken) == 1
    assert lines[-1][1] == "data: [DONE]"


def test_missing_done(catalog: Catalog) -> None:
    lines, _ = stream(with_fault(catalog, MissingDoneFault()))
    assert lines[-1][1] != "data: [DONE]"
    assert events(lines)[-1]["choices"] == []  # the usage chunk still came


def test_in_band_error_chunk_ends_the_stream(catalog: Catalog) -> None:
    sim = with_fault(catalog, StreamErrorFault(after_tokens=3, code=429, message="Rate limit exceeded"))
    lines, _ = stream(sim)
    last = events(lines)[-1]
    assert last["error"] == {
        "code": 429,
        "message": "Rate limit exceeded",
        "metadata": {"error_type": "rate_limit_exceeded"},
    }
    assert last["choices"][0]["finish_reason"] == "error"
    assert all(line != "data: [DONE]" for _, line in lines)
    generation = sim.generation(last["id"])
    assert generation is not None and generation["finish_reason"] == "error"


def test_stream_faults_leave_plain_requests_alone(catalog: Catalog) -> None:
    sim = with_fault(catalog, StreamCutFault(first=1))
    assert sim.chat(request_body()).status == 200
    assert sim.firings == ()
    with pytest.raises(httpx.RemoteProtocolError):
        stream(sim)  # the first *streamed* request takes the fault
    assert len(sim.firings) == 1


# --- async transport on trio's virtual clock ------------------------------------------------


def run_virtual(fn: Any) -> Any:
    return anyio.run(fn, backend="trio", backend_options={"clock": trio.testing.MockClock(autojump_threshold=0)})


def test_async_stream_timing_on_a_virtual_clock(catalog: Catalog) -> None:
    sim = Simulator(catalog, [StreamStallFault(after_tokens=2, seconds=120)])

    async def main() -> tuple[float, float, float]:
        start = anyio.current_time()
        transport = AsyncSimulatorTransport(sim)
        headers = {"Authorization": "Bearer sk-or-v1-test"}
        async with (
            httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers, timeout=600) as client,
            client.stream("POST", "/chat/completions", json=request_body(stream=True)) as response,
        ):
            first = anyio.current_time() - start
            times = [anyio.current_time() async for _ in response.aiter_lines()]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        return first, max(gaps), anyio.current_time() - start

    first, longest_gap, total = run_virtual(main)
    assert 0 < first < 2
    assert longest_gap >= 120
    assert total >= 120


def test_async_concurrent_requests_overlap_in_virtual_time(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault(provider="alpha", start_s=0, end_s=1000, latency_s=30)])

    async def main() -> tuple[float, list[int]]:
        statuses: list[int] = []
        transport = AsyncSimulatorTransport(sim)
        headers = {"Authorization": "Bearer sk-or-v1-test"}
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers, timeout=600) as client:

            async def one() -> None:
                response = await client.post("/chat/completions", json=request_body(provider={"only": ["alpha"]}))
                statuses.append(response.status_code)

            start = anyio.current_time()
            async with anyio.create_task_group() as group:
                for _ in range(20):
                    group.start_soon(one)
            return anyio.current_time() - start, statuses

    elapsed, statuses = run_virtual(main)
    assert statuses == [502] * 20
    assert 30 < elapsed < 31  # twenty 30-second attempts at once, not one after another


def test_async_read_timeout(catalog: Catalog) -> None:
    from orcli.upstream.faults import TimeoutFault

    sim = Simulator(catalog, [TimeoutFault(hang=True)])

    async def main() -> float:
        transport = AsyncSimulatorTransport(sim)
        headers = {"Authorization": "Bearer k"}
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers, timeout=12) as client:
            start = anyio.current_time()
            with pytest.raises(httpx.ReadTimeout):
                await client.post("/chat/completions", json=request_body())
            return anyio.current_time() - start

    assert run_virtual(main) == pytest.approx(12)
