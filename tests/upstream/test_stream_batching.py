"""``stream_batch_s``: stream chunks close together arrive in one delivery, as a network
sends them, without changing what the stream says, when it starts, how long it takes, or
how a stall looks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from orcli.catalog.model import Catalog
from orcli.upstream.faults import StreamStallFault
from orcli.upstream.records import Reply
from orcli.upstream.simulator import Simulator, SimulatorOptions
from tests.upstream.support import request_body

WINDOW_S = 0.1
LONG_ANSWER = {"max_tokens": 400, "messages": [{"role": "user", "content": "Explain routing. " * 40}]}


def reply(catalog: Catalog, batch_s: float, faults: tuple[Any, ...] = (), **body: Any) -> Reply:
    sim = Simulator(catalog, list(faults), seed=5, options=SimulatorOptions(stream_batch_s=batch_s))
    answer = sim.chat(request_body(stream=True, **{**LONG_ANSWER, **body}))
    assert answer.chunks is not None
    return answer


def arrivals(answer: Reply) -> list[float]:
    """When each delivery arrives, from the response headers on."""
    assert answer.chunks is not None
    return list(itertools.accumulate(delay for delay, _ in answer.chunks))


def test_batching_keeps_the_bytes_the_start_and_the_length_of_the_stream(catalog: Catalog) -> None:
    single, batched = reply(catalog, 0.0), reply(catalog, WINDOW_S)
    assert single.chunks is not None and batched.chunks is not None
    assert b"".join(data for _, data in batched.chunks) == b"".join(data for _, data in single.chunks)
    assert batched.delay_s == single.delay_s  # headers, and time to first token with them
    assert batched.chunks[0][0] == 0.0
    assert arrivals(batched)[-1] == pytest.approx(arrivals(single)[-1])
    assert len(batched.chunks) < len(single.chunks) / 3


def test_the_first_delivery_carries_the_first_token_and_holds_nothing_back(catalog: Catalog) -> None:
    single, batched = reply(catalog, 0.0), reply(catalog, WINDOW_S)
    assert single.chunks is not None and batched.chunks is not None
    at_headers = b"".join(data for delay, data in itertools.takewhile(lambda c: c[0] == 0.0, single.chunks))
    assert b'"content":' in at_headers
    assert batched.chunks[0][1] == at_headers


def test_no_chunk_is_held_longer_than_the_window(catalog: Catalog) -> None:
    single, batched = reply(catalog, 0.0), reply(catalog, WINDOW_S)
    assert single.chunks is not None and batched.chunks is not None
    # Each original chunk's arrival, and the delivery that carried it.
    original = arrivals(single)
    delivered: list[float] = []
    for at, (_, data) in zip(arrivals(batched), batched.chunks, strict=True):
        delivered += [at] * data.count(b"\n\n")
    assert len(delivered) == len(original)
    held = [late - early for early, late in zip(original, delivered, strict=True)]
    assert min(held) >= -1e-9
    assert max(held) <= WINDOW_S + 1e-9
    assert max(held) > 0  # something was in fact batched


def test_a_stall_is_a_gap_of_its_own(catalog: Catalog) -> None:
    stall = StreamStallFault(after_tokens=5, seconds=20)
    batched = reply(catalog, WINDOW_S, (stall,))
    gaps = [b - a for a, b in itertools.pairwise(arrivals(batched))]
    assert max(gaps) >= 20
    single = reply(catalog, 0.0, (stall,))
    single_gaps = [b - a for a, b in itertools.pairwise(arrivals(single))]
    assert max(gaps) == pytest.approx(max(single_gaps), abs=WINDOW_S)


def test_zero_window_is_one_chunk_per_event(catalog: Catalog) -> None:
    answer = reply(catalog, 0.0)
    assert answer.chunks is not None
    assert all(data.count(b"\n\n") == 1 for _, data in answer.chunks)
