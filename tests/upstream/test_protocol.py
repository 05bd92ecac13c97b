"""Request validation: every malformed body gets a 400 in OpenRouter's envelope naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from orcli.catalog.model import Catalog
from orcli.upstream.protocol import parse_chat
from orcli.upstream.simulator import Simulator, WireRequest
from tests.upstream.support import as_json, request_body


def error(catalog: Catalog, body: bytes | dict[str, Any]) -> tuple[int, str]:
    reply = Simulator(catalog).chat(body)
    data = as_json(reply)
    assert set(data) == {"error"}
    assert data["error"]["code"] == reply.status
    return reply.status, data["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Invalid JSON in request body at line 1 column 2"),
        (b"\xff\xfe", "Invalid JSON in request body"),
        (b"[1, 2]", "Request body must be a JSON object"),
        ({"model": "acme/chat"}, "messages: required"),
        ({"model": "acme/chat", "messages": []}, "messages: must be a non-empty array"),
        ({"model": "acme/chat", "messages": ["hi"]}, "messages[0]: must be an object"),
        ({"model": "acme/chat", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role: must be one of"),
        ({"model": "acme/chat", "messages": [{"role": "user", "content": 5}]}, "messages[0].content: must be"),
        ({"model": 7, "messages": [{"role": "user", "content": "x"}]}, "model: must be a model id string"),
        (request_body(models=["a/b", "c/d", "e/f", "g/h"]), "'models' array must have 3 items or fewer."),
        (request_body(models="acme/backup"), "models: must be an array of model id strings"),
        (request_body(model="not a model"), "not a model is not a valid model ID"),
        (request_body(max_tokens=0), "max_tokens: must be a positive integer"),
        (request_body(max_tokens=True), "max_tokens: must be a positive integer"),
        (request_body(stream="yes"), "stream: must be a boolean"),
        (request_body(stop=["a", "b", "c", "d", "e"]), "stop: at most 4 sequences"),
        (request_body(session_id="x" * 257), "session_id: must be a string of at most 256 characters"),
        (request_body(tools={"a": 1}), "tools: must be an array"),
        (request_body(tools=[{"type": "function"}]), "tools[0]: must be {type: 'function', function: {...}}"),
        (request_body(tools=[{"type": "function", "function": {"name": "bad name"}}]), "tools[0].function.name"),
        (
            request_body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
            "tools[0].function.parameters: must be a JSON Schema object",
        ),
        (
            request_body(
                tools=[{"type": "function", "function": {"name": "f"}}],
                tool_choice={"type": "function", "function": {"name": "g"}},
            ),
            "tool_choice.function.name: 'g' is not one of the offered tools",
        ),
        (request_body(tool_choice="always"), "tool_choice: must be"),
        (request_body(response_format={"type": "xml"}), "response_format.type: must be"),
        (request_body(response_format={"type": "json_schema"}), "response_format.json_schema.schema: required"),
        (request_body(provider=["openai"]), "provider: must be an object"),
        (request_body(provider={"sortt": "price"}), "provider.sortt: unknown field"),
        (request_body(provider={"sort": "cheapest"}), "provider.sort: "),
        (request_body(provider={"max_price": {"prompt": -1}}), "provider.max_price.prompt: "),
        (request_body(provider={"data_collection": "maybe"}), "provider.data_collection: "),
        (request_body(route="random"), "route: must be 'fallback' or 'sort'"),
    ],
)
def test_bad_requests_are_400_naming_the_field(catalog: Catalog, body: Any, message: str) -> None:
    status, text = error(catalog, body)
    assert status == 400
    assert text.startswith(message)


def test_documented_provider_keys_are_accepted(catalog: Catalog) -> None:
    body = request_body(provider={"experimental": {}, "max_price": {"prompt": 5, "image": 1, "audio": 2}})
    assert Simulator(catalog).chat(body).status == 200
    # enforce_distillable_text is modelled: a model whose author does not allow it has no endpoint.
    assert Simulator(catalog).chat(request_body(provider={"enforce_distillable_text": True})).status == 404


def test_deprecated_usage_and_stream_options_are_accepted(catalog: Catalog) -> None:
    body = request_body(usage={"include": True}, stream_options={"include_usage": True}, transforms=["middle-out"])
    assert Simulator(catalog).chat(body).status == 200


def test_missing_model_uses_the_default_model(catalog: Catalog) -> None:
    reply = Simulator(catalog).chat({"messages": [{"role": "user", "content": "hi"}]})
    assert as_json(reply)["model"] == "acme/chat"


def test_missing_auth_is_401(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    reply = sim.handle(WireRequest("POST", "/api/v1/chat/completions", body=b"{}", authorized=False), 0.0)
    assert reply.status == 401
    assert as_json(reply) == {
        "error": {"code": 401, "message": "No auth credentials found", "metadata": {"error_type": "authentication"}}
    }


def test_unknown_paths_and_methods(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    assert sim.handle(WireRequest("GET", "/api/v1/nothing"), 0).status == 404
    assert sim.handle(WireRequest("GET", "/elsewhere"), 0).status == 404
    assert sim.handle(WireRequest("GET", "/api/v1/chat/completions"), 0).status == 405
    assert sim.handle(WireRequest("POST", "/api/v1/models"), 0).status == 405


def test_parsed_request_fields() -> None:
    body = request_body(
        models=["acme/backup", "acme/chat"],
        max_completion_tokens=100,
        temperature=0.2,
        tools=[{"type": "function", "function": {"name": "f"}}],
        response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}},
    )
    import json

    chat = parse_chat(json.dumps(body).encode(), default_model="x/y")
    assert not isinstance(chat, Exception) and hasattr(chat, "models")
    assert chat.models == ("acme/chat", "acme/backup")  # model first, duplicates dropped
    assert chat.max_tokens == 100
    assert chat.parameters == {"max_tokens", "temperature", "tools", "response_format", "structured_outputs"}
    # 4 framing tokens + "Hello there" (11 chars -> 3) + the tool definition (~14 tokens)
    assert chat.prompt_tokens == 4 + 3 + (len(json.dumps(body["tools"], separators=(",", ":"))) + 3) // 4
