from __future__ import annotations

from typing import Any

import pytest

from orcli.client.validate import SchemaCache, check_message

from .fakes import tool_call

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


def check(message: dict[str, Any], tool_choice: Any = "auto", response_format: Any = None) -> str | None:
    problem = check_message(
        message, tools=[WEATHER], tool_choice=tool_choice, response_format=response_format, schemas=SchemaCache()
    )
    return None if problem is None else f"{problem.error_class.value}: {problem.detail}"


def calls(*items: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": list(items)}


def test_valid_call_passes() -> None:
    assert check(calls(tool_call("get_weather", '{"city": "Oslo", "days": 2}'))) is None


@pytest.mark.parametrize(
    ("message", "tool_choice", "expected"),
    [
        (calls(tool_call("get_weather", '{"city": "Oslo"')), "auto", "arguments are not JSON"),
        (calls(tool_call("get_wether", '{"city": "Oslo"}')), "auto", "unknown tool 'get_wether'"),
        (
            calls(tool_call("get_weather", '{"days": 2}')),
            "auto",
            "schema mismatch at (root): 'city' is a required property",
        ),
        (calls(tool_call("get_weather", '{"city": "Oslo", "days": 0}')), "auto", "schema mismatch at days"),
        (calls(tool_call("get_weather", '["Oslo"]')), "auto", "arguments are not a JSON object"),
        ({"role": "assistant", "content": "It is sunny."}, "required", "tool_choice 'required' but no tool call"),
        (
            {"role": "assistant", "content": "It is sunny."},
            {"type": "function", "function": {"name": "get_weather"}},
            "names 'get_weather' but no tool call",
        ),
    ],
)
def test_malformed_calls(message: dict[str, Any], tool_choice: Any, expected: str) -> None:
    result = check(message, tool_choice)
    assert result is not None and result.startswith("malformed_tool_call: ")
    assert expected in result


SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {"type": "object", "properties": {"score": {"type": "number"}}, "required": ["score"]},
    },
}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"score": 3}', None),
        ("score: 3", "invalid_response: json_schema requested but the content is not JSON"),
        ('{"score": "high"}', "invalid_response: structured output breaks its schema at score"),
    ],
)
def test_structured_output(content: str, expected: str | None) -> None:
    result = check({"role": "assistant", "content": content}, None, SCHEMA_FORMAT)
    assert result == expected if expected is None else result is not None and result.startswith(expected)


def test_json_object_mode_needs_an_object() -> None:
    assert check({"role": "assistant", "content": "[1]"}, None, {"type": "json_object"}) is not None
    assert check({"role": "assistant", "content": "{}"}, None, {"type": "json_object"}) is None
