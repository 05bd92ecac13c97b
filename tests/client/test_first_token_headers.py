"""A stream whose headers never come is held to the first-token limit, not the attempt limit."""

from __future__ import annotations

import anyio
import pytest

from orcli.client.async_client import AsyncClient
from orcli.clock import VirtualClock
from orcli.policy.model import ErrorClass

from .fakes import FakeOpenRouter, Reply, good_stream, sse
from .helpers import CANARY_KEY, GATEWAY, HELLO, SECOND, client, workflow

STREAMING = {"timeouts": {"first_token_s": 3, "stream_idle_s": 10, "attempt_s": 30, "total_s": 120}}


@pytest.mark.anyio
async def test_async_stream_headers_late_past_first_token_limit_time_out_at_that_limit() -> None:
    fake = FakeOpenRouter([Reply(delay_s=25), sse(good_stream(model=SECOND))])
    start = anyio.current_time()
    wf = workflow(**STREAMING)
    async with AsyncClient(wf, api_key=CANARY_KEY, base_url=GATEWAY, transport=fake.async_transport()) as chat:
        result = await chat.chat(HELLO, stream=True)
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.detail == "no first token within 3 s"
    assert first.latency_s == pytest.approx(3.0)
    assert result.ok and result.attempts[1].started_at - start < 10  # the next try came long before 25 s


@pytest.mark.anyio
async def test_async_non_stream_headers_keep_the_attempt_limit() -> None:
    fake = FakeOpenRouter([Reply(delay_s=25, json_body=None), Reply(delay_s=50)])
    wf = workflow(timeouts={"first_token_s": 3, "attempt_s": 30, "total_s": 120}, retry={"max_attempts": 1})
    async with AsyncClient(wf, api_key=CANARY_KEY, base_url=GATEWAY, transport=fake.async_transport()) as chat:
        result = await chat.chat(HELLO, stream=False)
    assert result.attempts[0].latency_s == pytest.approx(25.0)  # first_token_s is for streams only


def test_sync_stream_headers_late_past_first_token_limit_are_a_first_token_timeout() -> None:
    # 8 s: inside the stream read timeout (the longer of first-token and idle limits), so the
    # headers do arrive; a tokenless 8 s is still over the 3 s first-token limit.
    clock = VirtualClock()
    fake = FakeOpenRouter([Reply(delay_s=8), sse(good_stream(model=SECOND))], clock)
    result = client(fake, clock, workflow(**STREAMING)).chat(HELLO, stream=True)
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.detail == "no first token within 3 s"
    assert result.ok
