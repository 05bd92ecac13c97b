"""The async client under trio's MockClock: limits are cancel scopes, time is virtual."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from orcli.catalog import default_catalog
from orcli.client.async_client import AsyncClient
from orcli.client.ledger import ChatResult
from orcli.errors import BudgetExceeded
from orcli.policy.model import ErrorClass, Workflow

from .fakes import COMMENT, DONE, FakeOpenRouter, Reply, chunk, fail, good_stream, ok, sse
from .helpers import CANARY_KEY, GATEWAY, HELLO, PRIMARY, SECOND, workflow

pytestmark = pytest.mark.anyio

STREAMING = {"timeouts": {"first_token_s": 3, "stream_idle_s": 2, "attempt_s": 30, "total_s": 120}}


def make(fake: FakeOpenRouter, wf: Workflow | None = None, **kwargs: Any) -> AsyncClient:
    return AsyncClient(
        wf or workflow(), api_key=CANARY_KEY, base_url=GATEWAY, transport=fake.async_transport(), **kwargs
    )


async def chat(fake: FakeOpenRouter, wf: Workflow | None = None, **kwargs: Any) -> ChatResult:
    async with make(fake, wf) as client:
        return await client.chat(HELLO, **kwargs)


async def test_retry_after_is_honoured_in_virtual_time() -> None:
    fake = FakeOpenRouter([fail(429, "slow down", {"Retry-After": "7"}), ok()])
    result = await chat(fake)
    assert result.ok and fake.sent_at[1] - fake.sent_at[0] >= 7.0
    assert result.attempts[1].wait_before_s >= 7.0


async def test_slow_answer_is_cut_at_the_attempt_limit() -> None:
    fake = FakeOpenRouter([Reply(delay_s=500), ok()])
    start = anyio.current_time()
    result = await chat(fake, workflow(timeouts={"attempt_s": 10, "total_s": 60}))
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.latency_s == pytest.approx(10.0)
    assert result.ok and anyio.current_time() - start == pytest.approx(10.0 + result.attempts[1].wait_before_s)


async def test_stall_is_cut_exactly_when_the_idle_limit_passes() -> None:
    stall = Reply(200, stream=[(0.5, chunk("Hel")), (100.0, chunk("lo")), (0, chunk(finish_reason="stop")), (0, DONE)])
    fake = FakeOpenRouter([stall, sse(good_stream(model=SECOND))])
    result = await chat(fake, workflow(**STREAMING), stream=True)
    first = result.attempts[0]
    assert first.error_class is ErrorClass.STREAM_TRUNCATED and first.detail == "stream stalled: no chunk for 2 s"
    assert first.ttft_s == pytest.approx(0.5) and first.latency_s == pytest.approx(2.5)
    assert result.ok


async def test_silent_stream_is_a_first_token_timeout_at_the_limit() -> None:
    silent = Reply(200, stream=[(0.5, COMMENT), (100.0, chunk("late"))])
    fake = FakeOpenRouter([silent, sse(good_stream())])
    result = await chat(fake, workflow(**STREAMING), stream=True)
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.latency_s == pytest.approx(3.0)
    assert first.ttft_s is None


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (sse([chunk("Hi"), DONE]), "stream ended without a finish_reason"),
        (sse([chunk("Hi")], cut=httpx.ReadError), "stream cut: ReadError"),
    ],
)
async def test_truncated_streams_are_never_success(reply: Reply, detail: str) -> None:
    fake = FakeOpenRouter([reply, reply, reply])
    result = await chat(fake, workflow(models={"primary": PRIMARY}, **STREAMING), stream=True)
    assert not result.ok and result.response is None
    assert {a.detail for a in result.attempts} == {detail}
    assert result.error_class is ErrorClass.STREAM_TRUNCATED


async def test_total_deadline_holds() -> None:
    fake = FakeOpenRouter(lambda body: Reply(delay_s=1000))
    wf = workflow(timeouts={"attempt_s": 8, "total_s": 20}, retry={"max_attempts": 10, "max_attempts_per_route": 10})
    start = anyio.current_time()
    result = await chat(fake, wf)
    assert anyio.current_time() - start <= 20.0 + 1e-6
    assert result.error_class is ErrorClass.TIMEOUT and len(result.attempts) >= 3


async def test_concurrent_requests_share_breakers_and_stay_deterministic() -> None:
    async def run_all(seed: int) -> list[tuple[str, tuple[str, ...]]]:
        def upstream(body: dict[str, Any]) -> Reply:
            if body["model"] == PRIMARY:
                return fail(502, "down")
            return Reply(delay_s=0.3, json_body=ok(model=body["model"]).json_body)

        fake = FakeOpenRouter(upstream)
        breaker = {"failure_threshold": 2, "cool_down_s": 300, "max_cool_down_s": 300}
        wf = workflow(circuit_breaker=breaker, retry={"same_route": 0})
        results: list[ChatResult] = []
        async with make(fake, wf, seed=seed) as client:

            async def one(delay: float) -> None:
                await anyio.sleep(delay)
                results.append(await client.chat(HELLO))

            async with anyio.create_task_group() as tg:
                for i in range(6):
                    tg.start_soon(one, i * 1.0)
        return [(r.idempotency_key, tuple(a.model for a in r.attempts)) for r in results]

    first = await run_all(3)
    assert await run_all(3) == first
    paths = [p for _, p in first]
    assert paths[:2] == [(PRIMARY, SECOND), (PRIMARY, SECOND)]
    assert paths[2:] == [(SECOND,)] * 4  # the breaker opened after two failures


async def test_budget_refusal_sends_nothing() -> None:
    fake = FakeOpenRouter([ok()])
    wf = workflow(models={"primary": PRIMARY}, budget={"max_cost_per_request_usd": "0.0001"})
    async with AsyncClient(
        wf, api_key=CANARY_KEY, base_url=GATEWAY, transport=fake.async_transport(), catalog=default_catalog()
    ) as client:
        with pytest.raises(BudgetExceeded):
            await client.chat(HELLO)
    assert fake.bodies == []
