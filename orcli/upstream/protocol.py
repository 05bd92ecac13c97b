"""OpenRouter's chat-completions protocol, simulator side: parsing requests and building OpenRouter's JSON shapes.

Parsing is defensive: the body is untrusted JSON, every access is type-checked, and
every problem becomes a :class:`ApiError` (HTTP 400, OpenRouter's error envelope, the
field named in the message). Nothing here raises anything else on bad input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from orcli.policy.model import ProviderRules, SortBy, SortSpec
from orcli.sourcefile import format_loc

MAX_MODELS = 3  # observed live: "'models' array must have 3 items or fewer."
MAX_STOP = 4
MAX_SESSION_ID = 256
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MODEL_ID = re.compile(r"^[a-z0-9~][a-z0-9._-]*/[a-zA-Z0-9][a-zA-Z0-9._:-]*$")
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})

# Body keys that count as "parameters sent" for provider.require_parameters.
PARAMETER_KEYS = frozenset(
    {
        "tools",
        "tool_choice",
        "response_format",
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "top_a",
        "stop",
        "seed",
        "logprobs",
        "top_logprobs",
        "frequency_penalty",
        "presence_penalty",
        "repetition_penalty",
        "logit_bias",
        "reasoning",
        "include_reasoning",
        "verbosity",
        "parallel_tool_calls",
    }
)

# Keys of the ``provider`` object that OpenRouter documents but routing here does not model;
# accepted and ignored so that real clients sending them are not refused.
IGNORED_PROVIDER_KEYS = frozenset({"experimental"})
IGNORED_PRICE_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ApiError:
    """An error in OpenRouter's envelope: ``{"error": {"code", "message", "metadata"}}``."""

    status: int
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)
    headers: tuple[tuple[str, str], ...] = ()
    router_metadata: dict[str, Any] | None = None  # ``openrouter_metadata``, when the caller opted in

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.metadata:
            error["metadata"] = self.metadata
        out: dict[str, Any] = {"error": error}
        if self.router_metadata is not None:
            out["openrouter_metadata"] = self.router_metadata
        return out

    def body(self) -> bytes:
        return dumps(self.envelope())


# One encoder for every reply: json.dumps with non-default options builds a new encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(data: Any) -> bytes:
    return _ENCODER.encode(data).encode()


def bad_request(message: str, error_type: str = "invalid_request") -> ApiError:
    return ApiError(400, message, {"error_type": error_type})


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    parameters: dict[str, Any]  # a JSON Schema for the arguments object


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"]
    schema: dict[str, Any] | None = None
    name: str | None = None


ToolChoice = Literal["none", "auto", "required"] | str  # a str other than those: a forced function name


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated chat-completions request: what routing and content generation read."""

    models: tuple[str, ...]  # ``model`` first, then ``models``, de-duplicated
    provider: ProviderRules
    messages: tuple[dict[str, Any], ...]
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice = "auto"
    response_format: ResponseFormat | None = None
    max_tokens: int | None = None
    stream: bool = False
    parameters: frozenset[str] = frozenset()
    prompt_tokens: int = 0
    body: bytes = b""  # the raw body: content is derived from it (and the seed)

    @property
    def tool_names(self) -> frozenset[str]:
        return frozenset(t.name for t in self.tools)

    @property
    def wants_tool_call(self) -> bool:
        """Whether the synthetic model answers with a tool call: always when one is required
        or forced; with ``auto``, when the conversation has no tool result yet."""
        if not self.tools or self.tool_choice == "none":
            return False
        if self.tool_choice != "auto":
            return True
        return not any(m.get("role") == "tool" for m in self.messages)


def estimate_tokens(text: str) -> int:
    """About four characters per token, at least one for any non-empty text."""
    return (len(text) + 3) // 4


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict) and "text" in part)
    return ""


def count_prompt_tokens(messages: tuple[dict[str, Any], ...], tools_json: str) -> int:
    """Deterministic prompt size: text at ~4 chars/token, 4 tokens of framing per message,
    plus the tool definitions as sent."""
    total = 0
    for message in messages:
        total += 4 + estimate_tokens(_content_text(message.get("content")))
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            total += estimate_tokens(json.dumps(calls, separators=(",", ":")))
    return total + estimate_tokens(tools_json)


def parse_json_body(raw: bytes) -> dict[str, Any] | ApiError:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        return bad_request(f"Invalid JSON in request body{where}")
    except RecursionError:
        return bad_request("Invalid JSON in request body: nested too deeply")
    if not isinstance(data, dict):
        return bad_request("Request body must be a JSON object")
    return data


def parse_chat(raw: bytes, *, default_model: str) -> ChatRequest | ApiError:
    body = parse_json_body(raw)
    if isinstance(body, ApiError):
        return body
    try:
        return _parse_chat(body, raw, default_model)
    except _Invalid as exc:
        return bad_request(str(exc))


class _Invalid(Exception):
    """A field problem; message names the field."""


def _parse_chat(body: dict[str, Any], raw: bytes, default_model: str) -> ChatRequest:
    models = _models(body, default_model)
    messages = _messages(body.get("messages"))
    tools = _tools(body.get("tools"))
    tool_choice = _tool_choice(body.get("tool_choice", "auto"), tools)
    response_format = _response_format(body.get("response_format"))
    max_tokens = _positive_int(body, "max_tokens")
    if max_tokens is None:
        max_tokens = _positive_int(body, "max_completion_tokens")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _Invalid("stream: must be a boolean")
    stop = body.get("stop")
    if isinstance(stop, list) and len(stop) > MAX_STOP:
        raise _Invalid(f"stop: at most {MAX_STOP} sequences")
    session_id = body.get("session_id")
    if session_id is not None and (not isinstance(session_id, str) or len(session_id) > MAX_SESSION_ID):
        raise _Invalid(f"session_id: must be a string of at most {MAX_SESSION_ID} characters")
    provider = _provider(body.get("provider"), body.get("route"))

    parameters = {key for key in body if key in PARAMETER_KEYS and body[key] is not None}
    if max_tokens is not None:
        parameters.add("max_tokens")
    if response_format is not None and response_format.type == "json_schema":
        parameters.add("structured_outputs")
    if response_format is not None and response_format.type == "text":
        parameters.discard("response_format")  # plain text asks nothing of the endpoint
    if tool_choice == "none" or not tools:
        parameters.discard("tool_choice")
    tools_json = json.dumps(body["tools"], separators=(",", ":")) if tools else ""
    return ChatRequest(
        models=models,
        provider=provider,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        response_format=response_format,
        max_tokens=max_tokens,
        stream=stream,
        parameters=frozenset(parameters),
        prompt_tokens=count_prompt_tokens(messages, tools_json),
        body=raw,
    )


def _models(body: dict[str, Any], default_model: str) -> tuple[str, ...]:
    model = body.get("model")
    extra = body.get("models")
    chain: list[str] = []
    if model is not None:
        if not isinstance(model, str) or not model:
            raise _Invalid("model: must be a model id string")
        chain.append(model)
    if extra is not None:
        if not isinstance(extra, list) or not all(isinstance(m, str) and m for m in extra):
            raise _Invalid("models: must be an array of model id strings")
        if len(extra) > MAX_MODELS:
            raise _Invalid(f"'models' array must have {MAX_MODELS} items or fewer.")
        chain.extend(extra)
    if not chain:
        chain.append(default_model)  # no model: the account's default model
    for model_id in chain:
        if not MODEL_ID.match(model_id):
            raise _Invalid(f"{model_id} is not a valid model ID")
    return tuple(dict.fromkeys(chain))


def _messages(value: Any) -> tuple[dict[str, Any], ...]:
    if value is None:
        raise _Invalid("messages: required")
    if not isinstance(value, list) or not value:
        raise _Invalid("messages: must be a non-empty array")
    for i, message in enumerate(value):
        if not isinstance(message, dict):
            raise _Invalid(f"messages[{i}]: must be an object")
        role = message.get("role")
        if role not in ROLES:
            raise _Invalid(f"messages[{i}].role: must be one of {', '.join(sorted(ROLES))}")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise _Invalid(f"messages[{i}].content: must be a string or an array of content parts")
    return tuple(value)


def _tools(value: Any) -> tuple[Tool, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid("tools: must be an array")
    tools: list[Tool] = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(tool.get("function"), dict):
            raise _Invalid(f"tools[{i}]: must be {{type: 'function', function: {{...}}}}")
        fn = tool["function"]
        name = fn.get("name")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise _Invalid(f"tools[{i}].function.name: must match [a-zA-Z0-9_-] and be at most 64 characters")
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(params, dict):
            raise _Invalid(f"tools[{i}].function.parameters: must be a JSON Schema object")
        tools.append(Tool(name, params))
    return tuple(tools)


def _tool_choice(value: Any, tools: tuple[Tool, ...]) -> ToolChoice:
    if value is None:
        return "auto"
    if value in ("none", "auto", "required"):
        return str(value)
    if isinstance(value, dict) and value.get("type") == "function" and isinstance(value.get("function"), dict):
        name = value["function"].get("name")
        if isinstance(name, str) and name in {t.name for t in tools}:
            return name
        raise _Invalid(f"tool_choice.function.name: '{name}' is not one of the offered tools")
    raise _Invalid("tool_choice: must be 'none', 'auto', 'required' or {type: 'function', function: {name}}")


def _response_format(value: Any) -> ResponseFormat | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Invalid("response_format: must be an object")
    kind = value.get("type")
    if kind in ("text", "json_object"):
        return ResponseFormat(kind)
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise _Invalid("response_format.json_schema.schema: required, a JSON Schema object")
        name = spec.get("name")
        return ResponseFormat("json_schema", spec["schema"], name if isinstance(name, str) else None)
    raise _Invalid("response_format.type: must be 'text', 'json_object' or 'json_schema'")


def _positive_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"{key}: must be a positive integer")
    return value


_DEFAULT_RULES = ProviderRules()


def _provider(value: Any, route: Any) -> ProviderRules:
    if (value is None or value == {}) and route is None:
        return _DEFAULT_RULES  # the common case: no provider preferences at all
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _Invalid("provider: must be an object")
    data = {k: v for k, v in value.items() if k not in IGNORED_PROVIDER_KEYS}
    price = data.get("max_price")
    if isinstance(price, dict):
        data["max_price"] = {k: v for k, v in price.items() if k not in IGNORED_PRICE_KEYS}
    for key in ("order", "only", "ignore", "quantizations"):
        if data.get(key) is None:
            data.pop(key, None)
    # The schema says ``additionalProperties: false`` for ``provider``; whether the live API
    # really refuses unknown keys is unconfirmed. We follow the schema: unknown keys are a 400.
    try:
        rules = ProviderRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        kind = err["type"]
        loc = format_loc(_present_loc(data, tuple(err["loc"]), absent_ok=kind in ("missing", "extra_forbidden")))
        problem = "unknown field" if kind == "extra_forbidden" else err["msg"]
        raise _Invalid(f"provider.{loc}: {problem}" if loc else f"provider: {problem}") from None
    # ``route`` is the deprecated alias of ``provider.sort.partition``.
    if route == "sort" and isinstance(rules.sort, SortBy):
        rules = rules.model_copy(update={"sort": SortSpec(by=rules.sort, partition="none")})
    elif route is not None and route not in ("fallback", "sort"):
        raise _Invalid("route: must be 'fallback' or 'sort'")
    return rules


def _present_loc(data: Any, loc: tuple[str | int, ...], *, absent_ok: bool) -> tuple[str | int, ...]:
    """The part of a pydantic error location that exists in the data (drops union tags)."""
    out: list[str | int] = []
    cur = data
    for i, part in enumerate(loc):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
            out.append(part)
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
            out.append(part)
        elif absent_ok and i == len(loc) - 1:
            out.append(part)
    return tuple(out)
