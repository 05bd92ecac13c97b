"""Synthetic but honest completions: deterministic text, tool calls and structured output.

Everything is drawn from a ``random.Random`` seeded by the simulator's seed and the request
body, so the same request under the same seed always gets the same answer. Tool-call
arguments are generated from the offered tool's JSON Schema and structured output from
``response_format``'s schema, so both validate; faults break them on purpose. Token
counts are computed from the text at about four characters per token.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

from orcli.upstream.protocol import ChatRequest, Tool, estimate_tokens
from orcli.upstream.schema_values import instance, violate
from orcli.upstream.words import WORDS

# Providers report their own finish reasons; OpenRouter normalises them into finish_reason.
_NATIVE_FINISH = {
    "anthropic": {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"},
    "amazon-bedrock": {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"},
    "google-vertex": {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS"},
    "google-ai-studio": {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS"},
}

MIN_ANSWER_TOKENS = 12
MAX_ANSWER_TOKENS = 48


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON string (or, under a fault, something that is not)


@dataclass(frozen=True, slots=True)
class Completion:
    content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    completion_tokens: int

    def native_finish_reason(self, provider_slug: str) -> str:
        return _NATIVE_FINISH.get(provider_slug, {}).get(self.finish_reason, self.finish_reason)


def content_rng(seed: int, body: bytes) -> random.Random:
    digest = hashlib.blake2b(body, digest_size=16, key=seed.to_bytes(8, "big", signed=True)).digest()
    return random.Random(int.from_bytes(digest, "big"))


def synthesize(request: ChatRequest, rng: random.Random) -> Completion:
    """The well-formed answer a healthy endpoint gives to ``request``."""
    if request.wants_tool_call:
        tool = _pick_tool(request, rng)
        args = json.dumps(instance(tool.parameters, rng), separators=(",", ":"))
        call = ToolCall(_call_id(rng), tool.name, args)
        return _capped(None, (call,), request.max_tokens, "tool_calls")
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_schema" and fmt.schema is not None:
        return _capped(json.dumps(instance(fmt.schema, rng), separators=(",", ":")), (), request.max_tokens, "stop")
    if fmt is not None and fmt.type == "json_object":
        answer = {"answer": prose(rng, rng.randint(MIN_ANSWER_TOKENS, MAX_ANSWER_TOKENS) // 2)}
        return _capped(json.dumps(answer), (), request.max_tokens, "stop")
    target = rng.randint(MIN_ANSWER_TOKENS, MAX_ANSWER_TOKENS)
    if request.max_tokens is not None and request.max_tokens < target:
        text = prose(rng, request.max_tokens)
        return Completion(text, (), "length", estimate_tokens(text))
    text = prose(rng, target)
    return Completion(text, (), "stop", estimate_tokens(text))


def _capped(content: str | None, calls: tuple[ToolCall, ...], max_tokens: int | None, finish: str) -> Completion:
    """Token count of the output; a ``max_tokens`` cap cuts it off mid-text, as a model would."""
    tokens = estimate_tokens(content or "") + sum(estimate_tokens(c.name + c.arguments) for c in calls)
    if max_tokens is None or tokens <= max_tokens:
        return Completion(content, calls, finish, tokens)
    budget = max_tokens * 4
    if calls:
        call = calls[0]
        cut = ToolCall(call.id, call.name, call.arguments[: max(0, budget - len(call.name))])
        return Completion(None, (cut,), "length", max_tokens)
    return Completion((content or "")[:budget], (), "length", max_tokens)


def prose(rng: random.Random, tokens: int) -> str:
    """Words until the text reaches ``tokens`` tokens (never more)."""
    budget = tokens * 4  # estimate_tokens(text) <= tokens  <=>  len(text) <= 4 * tokens
    words: list[str] = []
    length = -1
    full = False
    while not full:
        for word in rng.choices(WORDS, k=budget // 6 + 2):  # about as many words as will fit
            if length + 1 + len(word) > budget:
                full = True
                break
            words.append(word)
            length += 1 + len(word)
    if not words:
        return WORDS[0][: max(1, budget)]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _pick_tool(request: ChatRequest, rng: random.Random) -> Tool:
    if request.tool_choice not in ("auto", "required"):
        return next(t for t in request.tools if t.name == request.tool_choice)
    return request.tools[rng.randrange(len(request.tools))]


def _call_id(rng: random.Random) -> str:
    return "call_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))


# --- deliberate breakage (faults) -----------------------------------------------------------


def break_tool_call(completion: Completion, request: ChatRequest, mode: str, rng: random.Random) -> Completion:
    """Turn a well-formed answer into the malformed one a fault asks for."""
    if mode == "missing_tool_calls":
        text = prose(rng, MIN_ANSWER_TOKENS)
        return Completion(text, (), "stop", estimate_tokens(text))
    if not completion.tool_calls:
        return completion
    call = completion.tool_calls[0]
    if mode == "invalid_json":
        broken = ToolCall(call.id, call.name, call.arguments[: max(1, len(call.arguments) // 2)])
    elif mode == "unknown_tool":
        name = call.name + "_unknown"
        while name in request.tool_names:
            name += "_"
        broken = ToolCall(call.id, name, call.arguments)
    else:
        tool = next((t for t in request.tools if t.name == call.name), None)
        schema = tool.parameters if tool else {}
        broken = ToolCall(call.id, call.name, json.dumps(violate(json.loads(call.arguments), schema)))
    tokens = estimate_tokens(broken.name + broken.arguments)
    return Completion(completion.content, (broken, *completion.tool_calls[1:]), completion.finish_reason, tokens)
