"""The per-call API (model, models, deadline_s, kind), for_endpoint clients, the result's
text and usage, next_provider, streams asking for usage, and cost booked without usage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from orcli.catalog import default_catalog
from orcli.client.async_client import AsyncClient
from orcli.client.ledger import ChatResult, reconciled
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.errors import ClientPolicyError

from .conftest import ChatDriver
from .fakes import FakeOpenRouter, Reply, chunk, fail, good_stream, ok, sse
from .helpers import GATEWAY, HELLO, PRIMARY, SECOND, THIRD, client, workflow


def test_model_and_models_narrow_the_chain_for_one_call(chat: ChatDriver) -> None:
    run = chat([fail(502, "down"), fail(502, "down"), ok(model=SECOND)], models=[THIRD, SECOND], kind="summary")
    assert [b["model"] for b in run.fake.bodies] == [THIRD, THIRD, SECOND]
    assert run.result.ok and run.result.chain == (THIRD, SECOND) and run.result.kind == "summary"
    one = chat([fail(503, "down"), fail(503, "down")], model=SECOND)
    assert [b["model"] for b in one.fake.bodies] == [SECOND, SECOND] and not one.result.ok


def test_a_model_outside_the_chain_is_a_policy_error_and_nothing_is_sent() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([ok()], clock)
    c = client(fake, clock)
    with pytest.raises(ClientPolicyError, match=r"x-ai/grok-4 is not in the chain of workflow 'default'"):
        c.chat(HELLO, model="x-ai/grok-4")
    with pytest.raises(ClientPolicyError, match="not both"):
        c.chat(HELLO, model=PRIMARY, models=[SECOND])
    with pytest.raises(ClientPolicyError, match="deadline must be positive"):
        c.chat(HELLO, deadline_s=0)
    assert fake.bodies == []


def test_deadline_s_bounds_one_call(chat: ChatDriver) -> None:
    run = chat(lambda body: Reply(delay_s=1000), workflow(timeouts={"attempt_s": 8}), deadline_s=10)
    result = run.result
    assert not result.ok and result.latency_s <= 10.0 + 1e-6


def test_text_partial_text_and_usage(chat: ChatDriver) -> None:
    cut = sse([chunk("Half"), chunk(" an answer")], cut=httpx.ReadError)
    wf = workflow(models={"primary": PRIMARY}, needs={"streaming": True}, retry={"max_attempts": 1})
    failed = chat([cut], wf).result
    assert not failed.ok and failed.text is None and failed.partial_text == "Half an answer"
    served = chat([ok("Hello.")]).result
    assert served.text == "Hello." and served.usage is not None and served.usage["prompt_tokens"] == 12
    assert served.partial_text == ""


def test_streams_ask_for_usage(chat: ChatDriver) -> None:
    run = chat([sse(good_stream())], stream=True)
    assert run.fake.bodies[0]["stream_options"] == {"include_usage": True}
    plain = chat([ok()])
    assert "stream_options" not in plain.fake.bodies[0]


def test_next_provider_tries_the_same_model_without_the_provider_that_failed(chat: ChatDriver) -> None:
    wf = workflow(retry={"same_route": 0, "on": {"provider_failure": "next_provider"}})
    script = [fail(502, "Provider returned error", provider_name="Azure"), ok(provider="OpenAI")]
    run = chat(script, wf, client={"catalog": default_catalog()})
    result = run.result
    assert [b["model"] for b in run.fake.bodies] == [PRIMARY, PRIMARY]
    assert run.fake.bodies[1]["provider"]["ignore"] == ["azure"]
    assert str(result.attempts[0].next_hop) == f"next provider for {PRIMARY} (without Azure)"
    assert result.ok and result.served_provider == "OpenAI"


def test_next_provider_moves_to_the_next_model_when_no_provider_was_named(chat: ChatDriver) -> None:
    wf = workflow(retry={"same_route": 0, "on": {"provider_failure": "next_provider"}})
    run = chat([fail(502, "Bad Gateway"), ok(model=SECOND)], wf)
    assert [b["model"] for b in run.fake.bodies] == [PRIMARY, SECOND] and run.result.ok


def _endpoint_answer(request: httpx.Request) -> httpx.Response:
    import json

    body = json.loads(request.content)
    if body["model"] == "llama-3.1-8b":
        return httpx.Response(503, json={"error": {"message": "loading"}})
    answer = {"model": body["model"], "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}
    return httpx.Response(200, json=answer)


def test_for_endpoint_takes_the_servers_model_names_and_keeps_breakers_across_calls() -> None:
    clock = VirtualClock()
    local = Client.for_endpoint(
        "http://localhost:8000/v1",
        models=["llama-3.1-8b", "qwen2.5-7b"],
        api_key="bench",
        transport=httpx.MockTransport(_endpoint_answer),
        clock=clock,
        attempt_s=5,
    )
    first = local.chat(HELLO)
    assert first.ok and first.served_model == "qwen2.5-7b" and len(first.attempts) == 3
    for _ in range(2):
        local.chat(HELLO)  # five failures of llama open its breaker
    assert [a.model for a in local.chat(HELLO).attempts] == ["qwen2.5-7b"]  # skipped while open
    assert local.chat(HELLO, model="mistral-7b").attempts[0].model == "mistral-7b"  # any name goes
    assert repr(local).startswith("Client(workflow='endpoint'")


def test_for_endpoint_checks_its_limits_and_names() -> None:
    with pytest.raises(ClientPolicyError):
        Client.for_endpoint(GATEWAY, models=[])
    with pytest.raises(ValueError, match="greater than 0"):
        Client.for_endpoint(GATEWAY, models=["m"], first_token_s=0)


def test_the_async_for_endpoint_client_is_the_same() -> None:
    async def go() -> ChatResult:
        async with AsyncClient.for_endpoint(
            "http://localhost:8000/v1",
            models=["llama-3.1-8b", "qwen2.5-7b"],
            api_key="bench",
            transport=httpx.MockTransport(_endpoint_async),
        ) as local:
            return await local.chat(HELLO)

    result = trio.run(go, clock=trio.testing.MockClock(autojump_threshold=0))
    assert result.ok and result.served_model == "qwen2.5-7b"


async def _endpoint_async(request: httpx.Request) -> httpx.Response:
    return _endpoint_answer(request)


# -- cost without usage ------------------------------------------------------------------------


def test_a_cut_stream_without_usage_is_booked_at_the_tokens_it_streamed(chat: ChatDriver) -> None:
    cut = sse([chunk("One"), chunk(" two"), chunk(" three")], cut=httpx.ReadError)
    run = chat([cut, sse(good_stream())], stream=True, client={"catalog": default_catalog()})
    first = run.result.attempts[0]
    assert first.cost_estimated and first.cost_usd > 0
    assert not run.result.attempts[1].cost_estimated
    assert run.result.cost_estimated and run.result.cost_usd == first.cost_usd + Decimal("0.00002")


def test_a_timeout_after_the_first_token_is_booked_at_the_worst_case(chat: ChatDriver) -> None:
    stall = Reply(200, stream=[(0.0, chunk("Hi")), (60.0, chunk(" there"))])
    options: dict[str, Any] = {"catalog": default_catalog()}
    run = chat([stall, sse(good_stream())], stream=True, max_tokens=1000, client=options)
    stalled = run.result.attempts[0]
    cut = chat(
        [sse([chunk("Hi")], cut=httpx.ReadError), sse(good_stream())], stream=True, max_tokens=1000, client=options
    ).result.attempts[0]
    assert stalled.cost_estimated and cut.cost_estimated
    assert stalled.cost_usd > cut.cost_usd * 100  # 1,000 output tokens, not the one that arrived


def test_an_error_answer_and_a_silent_route_cost_nothing(chat: ChatDriver) -> None:
    run = chat(
        [fail(502, "down"), Reply(delay_s=1000), ok(model=THIRD)],
        stream=True,
        client={"catalog": default_catalog()},
        wf=workflow(retry={"same_route": 0}),
    )
    assert [(a.cost_usd, a.cost_estimated) for a in run.result.attempts[:2]] == [(Decimal(0), False)] * 2


def test_budgets_count_the_estimate() -> None:
    clock = VirtualClock()
    stall = Reply(200, stream=[(0.0, chunk("Hi")), (60.0, chunk(" there"))])
    fake = FakeOpenRouter([stall, stall, stall], clock)
    wf = workflow(models={"primary": PRIMARY}, needs={"streaming": True}, budget={"max_cost_per_run_usd": "0.0008"})
    c = client(fake, clock, wf, catalog=default_catalog())
    result = c.chat(HELLO, max_tokens=1000)
    assert c.spent_usd == result.cost_usd > 0
    assert "budget" in str(result.stop_reason) or len(result.attempts) < 3


def test_generation_reconciles_an_estimate() -> None:
    clock = VirtualClock()
    cut = sse([chunk("One")], cut=httpx.ReadError)
    fake = FakeOpenRouter([cut], clock)
    wf = workflow(models={"primary": PRIMARY}, needs={"streaming": True}, retry={"max_attempts": 1})
    attempt = client(fake, clock, wf, catalog=default_catalog()).chat(HELLO).attempts[0]
    assert attempt.cost_estimated
    settled = reconciled(attempt, {"data": {"id": "gen-1", "total_cost": 0.000123}})
    assert settled.cost_usd == Decimal("0.000123") and not settled.cost_estimated
    assert reconciled(settled, {"data": {"total_cost": 9}}) is settled  # a reported cost stays
