"""Synthetic content: valid against the schemas it is generated from, with honest token counts."""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orcli.catalog.model import Catalog
from orcli.upstream.content import prose
from orcli.upstream.protocol import estimate_tokens
from orcli.upstream.schema_values import instance, violate
from orcli.upstream.simulator import Simulator
from tests.upstream.support import as_json, request_body

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}}, "required": ["a"]},
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 5}}},
    {"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3}}},
    {"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 7, "minimum": 1, "maximum": 30}}},
    {"type": "object", "properties": {"x": {"type": "number", "minimum": -1.5, "maximum": -1.25}}},
    {"type": "object", "properties": {"x": {"type": "number", "multipleOf": 0.25, "minimum": 1, "maximum": 2}}},
    {"type": "object", "properties": {"s": {"type": "string", "minLength": 40, "maxLength": 41}}},
    {"type": "object", "properties": {"s": {"type": "string", "maxLength": 2}}},
    {"type": "object", "properties": {"e": {"enum": ["red", "green", 3]}, "c": {"const": "fixed"}}},
    {"type": "object", "properties": {"v": {"type": ["null", "integer"]}}, "required": ["v"]},
    {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "minItems": 2,
                "maxItems": 4,
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
                    "required": ["sku", "qty"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["items"],
    },
    {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True, "maxItems": 2},
    {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
    {
        "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
        "type": "object",
        "properties": {"from": {"$ref": "#/$defs/point"}, "to": {"$ref": "#/$defs/point"}},
        "required": ["from", "to"],
    },
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}, {"required": ["b"]}]},
    {"anyOf": [{"type": "string", "format": "email"}, {"type": "integer"}]},
    {"oneOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
    {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "id": {"type": "string", "format": "uuid"},
            "site": {"type": "string", "format": "uri"},
        },
    },
    {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
    {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+-[0-9]+$"}}},
    {"type": "object", "properties": {}, "additionalProperties": False},
    {"type": "object"},
    {"properties": {"deep": {"properties": {"deeper": {"items": {"type": "number"}}}}}},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_instances_validate(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for seed in range(25):
        validator.validate(instance(schema, random.Random(seed)))


def test_draft4_boolean_exclusive_bounds() -> None:
    schema = {"type": "integer", "minimum": 1, "maximum": 3, "exclusiveMinimum": True, "exclusiveMaximum": True}
    assert {instance(schema, random.Random(s)) for s in range(20)} == {2}


@pytest.mark.parametrize("schema", [s for s in SCHEMAS if s.get("required") or s.get("properties")][:12])
def test_violations_fail_validation(schema: dict[str, Any]) -> None:
    value = instance(schema, random.Random(1))
    if not isinstance(value, dict) or not (schema.get("required") or _typed(schema)):
        pytest.skip("nothing to violate")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(violate(value, schema), schema)


def _typed(schema: dict[str, Any]) -> bool:
    return any("type" in sub or "enum" in sub for sub in schema.get("properties", {}).values())


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=0, max_value=10_000))
def test_prose_fits_its_token_budget(tokens: int, seed: int) -> None:
    text = prose(random.Random(seed), tokens)
    assert 1 <= estimate_tokens(text) <= tokens


def test_usage_counts_match_the_text(catalog: Catalog) -> None:
    body = as_json(Simulator(catalog).chat(request_body()))
    text = body["choices"][0]["message"]["content"]
    assert body["usage"]["completion_tokens"] == estimate_tokens(text)
    assert body["usage"]["prompt_tokens"] == 4 + estimate_tokens("Hello there")


def test_max_tokens_cuts_the_answer_with_finish_reason_length(catalog: Catalog) -> None:
    body = as_json(Simulator(catalog).chat(request_body(max_tokens=3)))
    choice = body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] <= 3


def test_structured_output_cut_by_max_tokens_is_not_json(catalog: Catalog) -> None:
    schema = SCHEMAS[10]
    fmt = {"type": "json_schema", "json_schema": {"name": "order", "schema": schema}}
    body = as_json(Simulator(catalog).chat(request_body(response_format=fmt, max_tokens=4)))
    assert body["choices"][0]["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(body["choices"][0]["message"]["content"])


def test_json_object_mode_returns_an_object(catalog: Catalog) -> None:
    body = as_json(Simulator(catalog).chat(request_body(response_format={"type": "json_object"})))
    assert isinstance(json.loads(body["choices"][0]["message"]["content"]), dict)


def test_after_a_tool_result_the_model_answers_in_text(catalog: Catalog) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    messages = [
        {"role": "user", "content": "Find it"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
    ]  # fmt: skip
    body = as_json(Simulator(catalog).chat(request_body(tools=tools, messages=messages)))
    assert body["choices"][0]["finish_reason"] == "stop"
    assert "tool_calls" not in body["choices"][0]["message"]


def test_native_finish_reason_is_the_providers_own(catalog: Catalog) -> None:
    from orcli.catalog import default_catalog

    body = as_json(Simulator(default_catalog()).chat(
        request_body(model="anthropic/claude-haiku-4.5", provider={"only": ["anthropic"]})
    ))  # fmt: skip
    choice = body["choices"][0]
    assert (choice["finish_reason"], choice["native_finish_reason"]) == ("stop", "end_turn")
    del catalog
