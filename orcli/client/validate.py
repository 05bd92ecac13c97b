"""Check an answer before the app sees it: tool calls against the offered tools, and
structured output against ``response_format``.

The three tool-call failures are the ones OpenRouter itself tracks: arguments that are
not JSON (``InvalidJson``), a function the request never offered (``UnknownName``) and
arguments that break the tool's JSON Schema (``SchemaMismatch``, draft 7). A request
whose ``tool_choice`` demands a call and gets none fails the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from orcli.policy.model import ErrorClass


@dataclass(frozen=True, slots=True)
class Problem:
    error_class: ErrorClass
    detail: str


class SchemaCache:
    """Compiled validators by schema text: a workflow offers the same tools on every call."""

    def __init__(self) -> None:
        self._validators: dict[str, Draft7Validator | None] = {}

    def validator(self, schema: Any) -> Draft7Validator | None:
        """The validator for ``schema``; None when the schema itself is unusable (nothing to check)."""
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in self._validators:
            try:
                Draft7Validator.check_schema(schema)
                self._validators[key] = Draft7Validator(schema)
            except SchemaError:
                self._validators[key] = None
        cached: Draft7Validator | None = self._validators[key]
        return cached


def _offered(tools: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    """Function name -> parameters schema (None when the tool declares none)."""
    offered: dict[str, Any] = {}
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            offered[function["name"]] = function.get("parameters")
    return offered


def _required_name(tool_choice: Any) -> str | None:
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str):
            return name
    return None


def _first_error(validator: Draft7Validator, instance: Any) -> str | None:
    error = next(iter(validator.iter_errors(instance)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"[:160]


def check_tool_calls(
    message: Mapping[str, Any],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
    schemas: SchemaCache,
) -> Problem | None:
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        return Problem(ErrorClass.MALFORMED_TOOL_CALL, "tool_calls is not a list")
    must_call = tool_choice == "required" or _required_name(tool_choice) is not None
    if not calls:
        if must_call and tools:
            return Problem(ErrorClass.MALFORMED_TOOL_CALL, f"tool_choice {_choice_text(tool_choice)} but no tool call")
        return None
    if tool_choice == "none":
        return Problem(ErrorClass.MALFORMED_TOOL_CALL, "tool call although tool_choice is 'none'")
    offered = _offered(tools)
    wanted = _required_name(tool_choice)
    for i, call in enumerate(calls):
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            return Problem(ErrorClass.MALFORMED_TOOL_CALL, f"tool call {i}: no function name")
        name = function["name"]
        if name not in offered:
            return Problem(ErrorClass.MALFORMED_TOOL_CALL, f"tool call {i}: unknown tool '{name[:64]}'")
        if wanted is not None and name != wanted:
            return Problem(ErrorClass.MALFORMED_TOOL_CALL, f"tool call {i}: '{name}' but tool_choice names '{wanted}'")
        raw = function.get("arguments")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raw = "{}"  # a function without arguments may come back with an empty string
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            return Problem(
                ErrorClass.MALFORMED_TOOL_CALL, f"tool call {i} '{name}': arguments are not JSON ({exc.msg})"
            )
        if not isinstance(arguments, dict):
            return Problem(ErrorClass.MALFORMED_TOOL_CALL, f"tool call {i} '{name}': arguments are not a JSON object")
        schema = offered[name]
        if schema is not None:
            validator = schemas.validator(schema)
            problem = _first_error(validator, arguments) if validator is not None else None
            if problem is not None:
                return Problem(ErrorClass.MALFORMED_TOOL_CALL, f"tool call {i} '{name}': schema mismatch at {problem}")
    return None


def _choice_text(tool_choice: Any) -> str:
    name = _required_name(tool_choice)
    return f"names '{name}'" if name else repr(tool_choice)


def check_structured_output(
    message: Mapping[str, Any], response_format: Mapping[str, Any] | None, schemas: SchemaCache
) -> Problem | None:
    if not response_format or message.get("tool_calls"):
        return None
    kind = response_format.get("type")
    if kind not in ("json_object", "json_schema"):
        return None
    content = message.get("content")
    if not isinstance(content, str):
        return Problem(ErrorClass.INVALID_RESPONSE, f"{kind} requested but the content is not text")
    try:
        document = json.loads(content)
    except json.JSONDecodeError as exc:
        return Problem(ErrorClass.INVALID_RESPONSE, f"{kind} requested but the content is not JSON ({exc.msg})")
    if kind == "json_object":
        return None if isinstance(document, dict) else Problem(ErrorClass.INVALID_RESPONSE, "content is not an object")
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if schema is None:
        return None
    validator = schemas.validator(schema)
    problem = _first_error(validator, document) if validator is not None else None
    if problem is not None:
        return Problem(ErrorClass.INVALID_RESPONSE, f"structured output breaks its schema at {problem}")
    return None


def check_message(
    message: Mapping[str, Any],
    *,
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
    response_format: Mapping[str, Any] | None,
    schemas: SchemaCache,
) -> Problem | None:
    """The first problem with an answer's message, or None when the app may use it."""
    if tools or message.get("tool_calls") or tool_choice is not None:
        problem = check_tool_calls(message, tools, tool_choice, schemas)
        if problem is not None:
            return problem
    return check_structured_output(message, response_format, schemas)
