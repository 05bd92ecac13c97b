"""Each fault kind, seen by a real httpx client through the simulator transport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from orcli.catalog.model import Catalog
from orcli.clock import VirtualClock
from orcli.upstream.faults import (
    AuthFault,
    BadRequestFault,
    BillingFault,
    ConnectionResetFault,
    ContextLengthFault,
    FaultSpec,
    InvalidResponseFault,
    LatencyFault,
    MalformedToolCallFault,
    ModerationFault,
    NoEndpointsFault,
    OutageFault,
    RateLimitFault,
    TimeoutFault,
)
from orcli.upstream.simulator import Simulator
from tests.upstream.support import client_for, request_body

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "units": {"enum": ["metric", "imperial"]},
    },
    "required": ["city", "days"],
    "additionalProperties": False,
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}]
ONE = {"provider": {"only": ["alpha"]}}


def post(sim: Simulator, clock: VirtualClock | None = None, timeout: float = 600, **body: Any) -> httpx.Response:
    with client_for(sim, clock, timeout=timeout) as client:
        return client.post("/chat/completions", json=request_body(**body))


def only(catalog: Catalog, fault: FaultSpec) -> Simulator:
    return Simulator(catalog, [fault])


def error(response: httpx.Response) -> dict[str, Any]:
    data: dict[str, Any] = response.json()["error"]
    assert data["code"] == response.status_code
    return data


def test_outage_5xx_with_provider_metadata(catalog: Catalog) -> None:
    response = post(only(catalog, OutageFault(status=503)), **ONE)
    assert response.status_code == 503
    meta = error(response)["metadata"]
    assert meta["error_type"] == "provider_overloaded"
    assert meta["provider_name"] == "Alpha"
    assert json.loads(meta["raw"])["error"]["code"] == 503


def test_provider_rate_limit_then_retry_after_when_every_provider_hinted(catalog: Catalog) -> None:
    hinted = post(only(catalog, RateLimitFault(retry_after_s=7)))
    assert hinted.status_code == 429
    assert hinted.headers["retry-after"] == "7"
    assert error(hinted)["metadata"]["limit_source"] == "upstream_provider_shared_pool"
    mixed = Simulator(catalog, [RateLimitFault(provider="alpha", retry_after_s=7), RateLimitFault()])
    assert "retry-after" not in post(mixed).headers  # one provider gave no hint
    smallest = Simulator(catalog, [RateLimitFault(provider="beta", retry_after_s=3), RateLimitFault(retry_after_s=9)])
    assert post(smallest).headers["retry-after"] == "3"


def test_openrouter_wide_rate_limit_has_rate_limit_headers(catalog: Catalog) -> None:
    sim = only(catalog, RateLimitFault(scope="openrouter", retry_after_s=2, limit=20, reset_s=60))
    response = post(sim)
    assert response.status_code == 429
    assert response.headers["x-ratelimit-limit"] == "20"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) == (sim.options.epoch_s + 60) * 1000
    assert response.headers["retry-after"] == "2"
    assert sim.log == ()  # refused before any provider was tried


def test_timeout_fails_over_after_n_seconds(catalog: Catalog) -> None:
    clock = VirtualClock()
    response = post(only(catalog, TimeoutFault(provider="alpha", seconds=20)), clock, provider={"sort": "price"})
    assert response.json()["provider"] == "Beta"
    assert clock.now() > 20


def test_timeout_longer_than_the_client_read_timeout_raises_read_timeout(catalog: Catalog) -> None:
    clock = VirtualClock()
    with pytest.raises(httpx.ReadTimeout):
        post(only(catalog, TimeoutFault(seconds=60)), clock, timeout=15, **ONE)
    assert clock.now() == 15  # exactly the read timeout


def test_hang_never_answers(catalog: Catalog) -> None:
    clock = VirtualClock()
    sim = only(catalog, TimeoutFault(hang=True))
    with pytest.raises(httpx.ReadTimeout):
        post(sim, clock, timeout=45)
    assert clock.now() == 45
    assert sim.requests[0].outcome == "no_reply"


def test_all_attempts_time_out_upstream_is_408(catalog: Catalog) -> None:
    response = post(only(catalog, TimeoutFault(seconds=2)), **ONE)
    assert response.status_code == 408
    assert error(response)["message"] == "Operation timed out. Please try again later."


def test_latency_adds_time_to_the_answer(catalog: Catalog) -> None:
    base, slow = VirtualClock(), VirtualClock()
    post(Simulator(catalog), base, **ONE)
    post(only(catalog, LatencyFault(add_s=4)), slow, **ONE)
    assert slow.now() - base.now() == pytest.approx(4)


def test_latency_distributions_are_seeded(catalog: Catalog) -> None:
    def delays(seed: int) -> list[float]:
        sim = Simulator(catalog, [LatencyFault(add_s=1, distribution="exponential")], seed=seed)
        return [sim.chat(request_body(**ONE)).delay_s for _ in range(30)]

    assert delays(1) == delays(1)
    spread = delays(1)
    assert max(spread) - min(spread) > 1  # exponential: a long tail, not a constant


def test_slower_tokens(catalog: Catalog) -> None:
    fast = Simulator(catalog).chat(request_body(**ONE))
    slow = Simulator(catalog, [LatencyFault(add_s=0, throughput_factor=10)]).chat(request_body(**ONE))
    assert slow.delay_s > fast.delay_s * 2


@pytest.mark.parametrize(("phase", "exc"), [("connect", httpx.ConnectError), ("read", httpx.RemoteProtocolError)])
def test_connection_reset(catalog: Catalog, phase: Any, exc: type[Exception]) -> None:
    sim = only(catalog, ConnectionResetFault(phase=phase))
    with pytest.raises(exc):
        post(sim)
    assert sim.requests[0].status is None


def test_auth_billing_moderation_context_length_no_endpoints(catalog: Catalog) -> None:
    assert post(only(catalog, AuthFault())).status_code == 401
    billing = post(only(catalog, BillingFault()), max_tokens=700)
    assert billing.status_code == 402
    assert error(billing)["message"].startswith(
        "This request requires more credits, or fewer max_tokens. You requested up to 700 tokens"
    )
    moderation = post(only(catalog, ModerationFault(reasons=("self-harm",))))
    assert moderation.status_code == 403
    assert error(moderation)["metadata"]["reasons"] == ["self-harm"]
    context = post(only(catalog, ContextLengthFault()))
    assert context.status_code == 400
    assert error(context)["metadata"]["error_type"] == "context_length_exceeded"
    missing = post(only(catalog, NoEndpointsFault(model="acme/chat")))
    assert missing.status_code == 404
    assert error(missing)["message"].startswith("No endpoints found for acme/chat.")


def test_bad_request_from_a_model_moves_on_to_the_next_model(catalog: Catalog) -> None:
    refusal = BadRequestFault(model="acme/chat", message="assistant prefill is not supported")
    alone = post(only(catalog, refusal))
    assert alone.status_code == 400
    assert error(alone)["message"] == "assistant prefill is not supported"
    assert error(alone)["metadata"]["error_type"] == "invalid_request"
    sim = only(catalog, refusal)
    answered = post(sim, models=["acme/backup"])
    assert answered.status_code == 200 and answered.json()["model"] == "acme/backup"
    assert [a.status for a in sim.log] == [400, 200]  # one refusal, no retry on the model's other endpoints


def test_no_endpoints_on_one_provider_routes_around_it(catalog: Catalog) -> None:
    sim = only(catalog, NoEndpointsFault(provider="alpha"))
    for _ in range(20):
        assert post(sim).json()["provider"] != "Alpha"


def test_flagged_input_is_cut_in_the_middle(catalog: Catalog) -> None:
    text = "a" * 60 + "b" * 60
    flagged = error(post(only(catalog, ModerationFault()), messages=[{"role": "user", "content": text}]))
    shown = flagged["metadata"]["flagged_input"]
    assert len(shown) == 100 and "…" in shown and shown.startswith("a") and shown.endswith("b")


# --- response-shape faults ------------------------------------------------------------------


def arguments(response: httpx.Response) -> tuple[str, str]:
    call = response.json()["choices"][0]["message"]["tool_calls"][0]["function"]
    return call["name"], call["arguments"]


def test_healthy_tool_call_is_valid_against_the_schema(catalog: Catalog) -> None:
    response = post(Simulator(catalog), tools=TOOLS)
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    name, args = arguments(response)
    assert name == "get_weather"
    jsonschema.validate(json.loads(args), WEATHER_SCHEMA)


def test_two_tool_call_faults_on_one_answer_break_it_once(catalog: Catalog) -> None:
    faults = [MalformedToolCallFault(mode="invalid_json"), MalformedToolCallFault(mode="schema_violation")]
    response = post(Simulator(catalog, faults), tools=TOOLS)
    _, args = arguments(response)
    with pytest.raises(json.JSONDecodeError):  # the first fault's breakage, left as it was
        json.loads(args)


def test_malformed_tool_call_modes(catalog: Catalog) -> None:
    _, bad_json = arguments(post(only(catalog, MalformedToolCallFault(mode="invalid_json")), tools=TOOLS))
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad_json)
    _, violating = arguments(post(only(catalog, MalformedToolCallFault(mode="schema_violation")), tools=TOOLS))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(violating), WEATHER_SCHEMA)
    name, _ = arguments(post(only(catalog, MalformedToolCallFault(mode="unknown_tool")), tools=TOOLS))
    assert name != "get_weather"
    missing = post(
        only(catalog, MalformedToolCallFault(mode="missing_tool_calls")), tools=TOOLS, tool_choice="required"
    )
    message = missing.json()["choices"][0]["message"]
    assert "tool_calls" not in message and message["content"]


def test_missing_tool_calls_only_fires_when_a_call_was_required(catalog: Catalog) -> None:
    sim = only(catalog, MalformedToolCallFault(mode="missing_tool_calls"))
    post(sim, tools=TOOLS)  # tool_choice auto: nothing was required
    assert sim.firings == ()


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        ("empty_choices", lambda r: r.json()["choices"] == []),
        ("error_in_200", lambda r: "choices" not in r.json() and r.json()["error"]["code"] == 524),
        ("choice_error", lambda r: r.json()["choices"][0]["finish_reason"] == "error"),
    ],
)
def test_invalid_response_modes(catalog: Catalog, mode: Any, check: Any) -> None:
    response = post(only(catalog, InvalidResponseFault(mode=mode)))
    assert response.status_code == 200
    assert check(response)


def test_non_json_body(catalog: Catalog) -> None:
    response = post(only(catalog, InvalidResponseFault(mode="non_json")))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_invalid_structured_output(catalog: Catalog) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "weather", "strict": True, "schema": WEATHER_SCHEMA}}
    good = post(Simulator(catalog), response_format=fmt)
    jsonschema.validate(json.loads(good.json()["choices"][0]["message"]["content"]), WEATHER_SCHEMA)
    bad = post(only(catalog, InvalidResponseFault(mode="invalid_structured_output")), response_format=fmt)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(bad.json()["choices"][0]["message"]["content"]), WEATHER_SCHEMA)
