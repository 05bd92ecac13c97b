"""The openai SDK with a workflow's policy underneath: the real ``openai`` package against the simulator."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

import orcli
from orcli.catalog.load import default_catalog
from orcli.policy.model import ErrorClass, Workflow
from orcli.testing import OrcliMock

PRIMARY = "openai/gpt-4o-mini"
FALLBACK = "google/gemini-2.5-flash"
MESSAGES: list[Any] = [{"role": "user", "content": "Summarise my last three orders."}]


def workflow(**extra: Any) -> Workflow:
    base: dict[str, Any] = {
        "models": {"primary": PRIMARY, "fallbacks": [FALLBACK]},
        "timeouts": {"attempt_s": 10, "total_s": 40},
    }
    return Workflow.model_validate({**base, **extra})


def sdk(mock: OrcliMock, policy: Workflow | None = None, **options: Any) -> openai.OpenAI:
    http_client = orcli.openai_http_client(
        policy or workflow(), "support", transport=mock.transport(), clock=mock.clock, **options
    )
    return openai.OpenAI(base_url=mock.base_url, api_key="sk-or-test", http_client=http_client, max_retries=0)


def test_a_model_outage_is_answered_by_the_policys_fallback(orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, status=502)

    raw = sdk(orcli_mock, fallback_mode="client").chat.completions.with_raw_response.create(
        model=PRIMARY, messages=MESSAGES
    )
    completion = raw.parse()

    assert completion.model == FALLBACK and completion.choices[0].message.content
    result = orcli.chat_result(raw)
    assert result is not None and result.ok and result.fallbacks == 1
    # One quick retry of the 502 on the same route, then the fallback.
    assert [a.model for a in result.attempts] == [PRIMARY, PRIMARY, FALLBACK]
    ledger = json.loads(raw.headers[orcli.dropin.LEDGER_HEADER])
    assert ledger["served_model"] == FALLBACK and [a["status"] for a in ledger["attempts"]] == [502, 502, 200]
    # The client walked the chain.
    assert [r.models for r in orcli_mock.requests] == [(PRIMARY,), (PRIMARY,), (FALLBACK,)]


def test_streams_come_back_whole_after_a_cut_stream_is_retried(orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="stream_cut", model=PRIMARY, after_tokens=3, first=1, id="cut")

    chunks = list(sdk(orcli_mock).chat.completions.create(model=PRIMARY, messages=MESSAGES, stream=True))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert text and finishes == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 3
    assert orcli_mock.fired("cut") == 1 and len(orcli_mock.requests) == 2
    assert all(r.stream for r in orcli_mock.requests)


def test_every_route_down_raises_the_sdks_own_error_with_the_ledger(orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", status=503)
    policy = workflow(degradation={"mode": "fail_safe", "user_message": "Orders are unavailable right now."})

    with pytest.raises(openai.InternalServerError) as caught:
        sdk(orcli_mock, policy).chat.completions.create(model=PRIMARY, messages=MESSAGES)

    assert caught.value.status_code == 503
    result = orcli.chat_result(caught.value)
    assert result is not None and not result.ok
    assert result.error_class is ErrorClass.PROVIDER_FAILURE
    assert result.fail_safe_message == "Orders are unavailable right now."
    assert len(result.attempts[0].upstream_hops) >= 2  # OpenRouter tried every endpoint of both models
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["metadata"]["orcli"]["fail_safe_message"] == result.fail_safe_message


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "auth"}, openai.AuthenticationError),
        ({"kind": "billing"}, openai.APIStatusError),
        ({"kind": "rate_limit", "scope": "openrouter", "retry_after_s": 600}, openai.RateLimitError),
        ({"kind": "moderation"}, openai.PermissionDeniedError),
    ],
)
def test_failures_reach_the_sdk_as_its_exception_classes(
    orcli_mock: OrcliMock, fault: dict[str, Any], error: type[openai.APIStatusError]
) -> None:
    orcli_mock.fault(**fault)
    with pytest.raises(error) as caught:
        sdk(orcli_mock).chat.completions.create(model=PRIMARY, messages=MESSAGES)
    result = orcli.chat_result(caught.value)
    assert result is not None and result.attempts
    assert caught.value.status_code == result.attempts[-1].status


def test_a_hanging_route_is_the_sdks_timeout_after_the_policys_limits(orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="timeout", hang=True)

    with pytest.raises(openai.APITimeoutError) as caught:
        sdk(orcli_mock).chat.completions.create(model=PRIMARY, messages=MESSAGES)

    result = orcli.chat_result(caught.value)
    assert result is not None and result.error_class is ErrorClass.TIMEOUT
    assert all(a.latency_s == pytest.approx(10, abs=0.01) for a in result.attempts)  # attempt_s, not the SDK's
    assert orcli_mock.clock.now() <= 40 + 0.01  # total_s bounds the whole call


def test_malformed_tool_calls_are_caught_and_the_app_gets_a_valid_one(orcli_mock: OrcliMock) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
    orcli_mock.fault(kind="malformed_tool_call", mode="invalid_json", model=PRIMARY, id="broken")

    completion = sdk(orcli_mock).chat.completions.create(
        model=PRIMARY, messages=MESSAGES, tools=[tool], tool_choice="required"
    )

    (call,) = completion.choices[0].message.tool_calls or []
    assert call.function.name == "lookup_order" and "order_id" in json.loads(call.function.arguments)
    assert orcli_mock.fired("broken") >= 1


def test_a_budget_cap_refuses_before_anything_is_sent(orcli_mock: OrcliMock) -> None:
    policy = workflow(budget={"max_cost_per_request_usd": 0.0000001})
    client = sdk(orcli_mock, policy, catalog=default_catalog())
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=PRIMARY, messages=MESSAGES)
    assert caught.value.status_code == 402 and "budget" in caught.value.message
    assert orcli_mock.requests == ()


def test_the_policy_owns_the_route_and_the_call_owns_the_rest(orcli_mock: OrcliMock) -> None:
    sent: list[dict[str, Any]] = []

    class Recording(httpx.BaseTransport):
        openrouter_compatible = True

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/chat/completions"):
                sent.append(json.loads(request.read()))
            return orcli_mock.transport().handle_request(request)

    http_client = orcli.openai_http_client(workflow(), "support", transport=Recording(), clock=orcli_mock.clock)
    client = openai.OpenAI(base_url=orcli_mock.base_url, api_key="sk-or-test", http_client=http_client, max_retries=0)
    client.chat.completions.create(
        model=PRIMARY, messages=MESSAGES, temperature=0.2, extra_body={"models": ["x/unvetted"], "provider": {}}
    )
    with pytest.raises(openai.BadRequestError, match="not one of workflow 'support''s models"):
        client.chat.completions.create(model="x/unvetted", messages=MESSAGES)
    # Requests other than chat completions go to the network as the SDK sent them.
    assert any(m.id == PRIMARY for m in client.models.list())

    (body,) = sent
    assert body["models"] == [FALLBACK] and body["temperature"] == 0.2
    assert "x/unvetted" not in json.dumps(body)


def test_breakers_and_spend_carry_over_from_call_to_call(orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, status=503)
    policy = workflow(circuit_breaker={"failure_threshold": 2, "cool_down_s": 600})
    client = sdk(orcli_mock, policy, fallback_mode="client")
    for _ in range(3):
        client.chat.completions.create(model=PRIMARY, messages=MESSAGES)
    last = orcli_mock.requests[-1]
    assert last.models == (FALLBACK,)  # the open breaker skipped the primary at once
    assert [r.models[0] for r in orcli_mock.requests].count(PRIMARY) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_twin_under_async_openai(orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, status=502)
    http_client = orcli.async_openai_http_client(
        workflow(), "support", transport=orcli_mock.async_transport(), fallback_mode="client"
    )
    client = openai.AsyncOpenAI(
        base_url=orcli_mock.base_url, api_key="sk-or-test", http_client=http_client, max_retries=0
    )

    completion = await client.chat.completions.create(model=PRIMARY, messages=MESSAGES)
    stream = await client.chat.completions.create(model=PRIMARY, messages=MESSAGES, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert completion.model == FALLBACK and text
    orcli_mock.fault(kind="outage", status=503, id="everything")
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model=PRIMARY, messages=MESSAGES)
    result = orcli.chat_result(caught.value)
    assert result is not None and result.workflow == "support"
    await client.close()
