"""What a drill keeps of each answer once the client has judged it.

A drill of 100,000 requests would otherwise hold 100,000 parsed completions. Verdicts
and reports read only the serving identity, the usage figures, and per choice the
finish reason and the tool calls (``no_truncated_success``, ``no_malformed_tool_call``);
the answer's text and the usage breakdowns (``*_details``) are dropped. Everything kept
is the response's own data, unchanged. Keys are this module's constants and short
repeated strings (model, provider, finish reasons) are interned, so a hundred thousand
answers share one copy of each instead of holding their own.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

from orcli.client.ledger import ChatResult

_KEPT = ("id", "object", "created", "model", "provider")
_KEPT_USAGE = ("prompt_tokens", "completion_tokens", "total_tokens", "cost", "is_byok")
_KEPT_PER_CHOICE = ("index", "finish_reason", "native_finish_reason")
_KEPT_PER_MESSAGE = ("role", "tool_calls")
_SHORT = 64  # strings up to this length are worth interning (ids are unique: not those)


def _shared(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) and len(value) <= _SHORT else value


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: _shared(source[key]) for key in keys if key in source}


def compact_response(body: dict[str, Any]) -> dict[str, Any]:
    out = _pick(body, _KEPT)
    usage = body.get("usage")
    if isinstance(usage, dict):
        out["usage"] = _pick(usage, _KEPT_USAGE)
    choices = body.get("choices")
    if isinstance(choices, list):
        out["choices"] = [_choice(choice) if isinstance(choice, dict) else choice for choice in choices]
    return out


def _choice(choice: dict[str, Any]) -> dict[str, Any]:
    out = _pick(choice, _KEPT_PER_CHOICE)
    message = choice.get("message")
    if isinstance(message, dict):
        out["message"] = _pick(message, _KEPT_PER_MESSAGE)
    return out


def compact(result: ChatResult) -> ChatResult:
    """``result`` with its response reduced to what verdicts and reports read."""
    if result.response is None:
        return result
    return replace(result, response=compact_response(result.response))
