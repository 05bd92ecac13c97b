"""Simulator fidelity on the wire: parameters OpenRouter drops are really dropped, and
billing follows OpenRouter's rules (cut streams, zero-completion insurance, /generation)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from orcli.catalog.model import Catalog
from orcli.upstream.faults import StreamCutFault, StreamErrorFault
from orcli.upstream.server import serve_in_thread
from orcli.upstream.simulator import Simulator
from tests.upstream.support import client_for, make_catalog, user

KEY = {"Authorization": "Bearer sk-or-v1-test"}
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
    },
}
METADATA = {"X-OpenRouter-Metadata": "enabled"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(Simulator(make_catalog(), seed=3), time_scale=0) as url:
        yield url


def post(base_url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{base_url}/chat/completions", json=body, headers={**KEY, **METADATA}, timeout=10)


# --- dropped parameters ---------------------------------------------------------------------


def test_tools_no_endpoint_supports_are_dropped_over_http(base_url: str) -> None:
    # acme/backup's endpoints support neither tools nor response_format.
    answer = post(base_url, {"model": "acme/backup", "messages": user(), "tools": [TOOL], "tool_choice": "required"})
    assert answer.status_code == 200
    body = answer.json()
    message = body["choices"][0]["message"]
    assert "tool_calls" not in message and message["content"]
    assert body["choices"][0]["finish_reason"] in ("stop", "length")
    assert body["openrouter_metadata"]["dropped_parameters"] == ["tools"]


def test_response_format_no_endpoint_supports_is_dropped_over_http(base_url: str) -> None:
    body = post(base_url, {"model": "acme/backup", "messages": user(), "response_format": SCHEMA}).json()
    content = body["choices"][0]["message"]["content"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)  # plain text: no schema JSON
    assert body["openrouter_metadata"]["dropped_parameters"] == ["response_format"]


def test_supported_parameters_are_honoured_and_nothing_is_named_dropped(base_url: str) -> None:
    body = post(base_url, {"model": "acme/chat", "messages": user(), "tools": [TOOL], "tool_choice": "required"}).json()
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "lookup"
    assert "dropped_parameters" not in body["openrouter_metadata"]


def test_require_parameters_refuses_instead_of_dropping(base_url: str) -> None:
    answer = post(
        base_url,
        {"model": "acme/backup", "messages": user(), "tools": [TOOL], "provider": {"require_parameters": True}},
    )
    assert answer.status_code == 404
    assert "support tool use" in answer.json()["error"]["message"]


def test_a_dropped_stream_parameter_streams_plain_text(catalog: Catalog) -> None:
    with client_for(Simulator(catalog, seed=1)) as client:
        body = {"model": "acme/backup", "messages": user(), "tools": [TOOL], "stream": True}
        text = client.post("/chat/completions", json=body).text
    assert '"tool_calls"' not in text and '"content"' in text


# --- billing --------------------------------------------------------------------------------


def generation(client: httpx.Client, gen_id: str) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/generation", params={"id": gen_id}).json()["data"]
    return data


def stream(client: httpx.Client, model: str = "acme/chat") -> tuple[str, str]:
    """A streamed request read as far as it goes: its generation id and the text received."""
    body = {"model": model, "messages": user(), "stream": True, "provider": {"order": ["alpha"]}}
    with client.stream("POST", "/chat/completions", json=body) as response:
        gen_id = response.headers["x-generation-id"]
        parts: list[str] = []
        try:
            for part in response.iter_text():
                parts.append(part)
        except httpx.RemoteProtocolError:
            pass  # a cut stream
    return gen_id, "".join(parts)


def test_generation_agrees_with_usage(catalog: Catalog) -> None:
    with client_for(Simulator(catalog, seed=2)) as client:
        body = client.post("/chat/completions", json={"model": "acme/chat", "messages": user()}).json()
        record = generation(client, body["id"])
    assert record["tokens_completion"] == body["usage"]["completion_tokens"]
    assert record["total_cost"] == body["usage"]["cost"] > 0


def test_a_cut_stream_is_billed_for_the_tokens_streamed(catalog: Catalog) -> None:
    sim = Simulator(catalog, [StreamCutFault(after_tokens=4)], seed=2)
    with client_for(sim) as client:
        gen_id, _ = stream(client)
        record = generation(client, gen_id)
    streamed = record["tokens_completion"]
    assert 4 <= streamed < 12  # what was sent before the cut, not the whole answer
    alpha = 1e-6  # acme/chat on alpha: $1 per million tokens either way
    assert record["total_cost"] == pytest.approx((record["tokens_prompt"] + streamed) * alpha)
    assert record["finish_reason"] is None


def test_zero_completion_insurance_for_a_stream_cut_before_any_token(catalog: Catalog) -> None:
    sim = Simulator(catalog, [StreamCutFault(after_tokens=0)], seed=2)
    with client_for(sim) as client:
        gen_id, _ = stream(client)
        record = generation(client, gen_id)
        assert client.get("/credits").json()["data"]["total_usage"] == 0
    assert record["tokens_completion"] == 0 and record["total_cost"] == 0


def test_a_stream_ending_in_error_is_billed_for_its_tokens_and_insured_without_any(catalog: Catalog) -> None:
    with client_for(Simulator(catalog, [StreamErrorFault(after_tokens=3)], seed=2)) as client:
        gen_id, text = stream(client)
        late = generation(client, gen_id)
    with client_for(Simulator(catalog, [StreamErrorFault(after_tokens=0)], seed=2)) as client:
        gen_id, _ = stream(client)
        early = generation(client, gen_id)
    assert '"finish_reason":"error"' in text
    assert late["finish_reason"] == "error" and late["tokens_completion"] >= 3 and late["total_cost"] > 0
    assert early["finish_reason"] == "error" and early["tokens_completion"] == 0 and early["total_cost"] == 0


def test_byok_generation_shows_the_fee_and_the_providers_charge(catalog: Catalog) -> None:
    with client_for(Simulator(catalog)) as client:
        body = client.post("/chat/completions", json={"model": "acme/keyed", "messages": user()}).json()
        record = generation(client, body["id"])
    usage = body["usage"]
    assert usage["is_byok"] is True and record["is_byok"] is True
    assert record["total_cost"] == usage["cost"]
    assert record["upstream_inference_cost"] == usage["cost_details"]["upstream_inference_cost"]
    assert usage["cost"] == pytest.approx(usage["cost_details"]["upstream_inference_cost"] * 0.05)
