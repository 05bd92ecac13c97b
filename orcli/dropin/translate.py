"""Between the openai SDK's HTTP and orcli's client: the request read, the answer written.

Sans-I/O: the transports in :mod:`orcli.dropin.transport` hand bytes in and out.

- The SDK's ``model`` must be one of the workflow's models: the policy decides the route
  (chain, providers, fallbacks), the SDK call only says what it wants answered. Fields the
  policy owns (``models``, ``provider``, ``route``) are the policy's; fields it does not own
  (``temperature``, ``stop``, ``seed``, ...) go to every attempt as sent.
- A served answer is returned as the upstream sent it; a streamed one is sent back as
  events once the policy has a complete, validated answer (a cut or broken stream is
  retried or falls back before the app sees a byte of it).
- A request no route answered gets an OpenRouter-shaped error with the status of the last
  failure, so the SDK raises its own exception class (``RateLimitError``,
  ``InternalServerError``, ...). A timeout becomes :class:`OrcliTimeout`, which the SDK
  turns into ``APITimeoutError``.
- Every answer carries the ledger: ``response.extensions["orcli.result"]`` (the
  :class:`~orcli.client.ledger.ChatResult`) and the ``x-orcli-ledger`` header (its summary
  as JSON); :func:`chat_result` finds it from an SDK exception or response.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from orcli.client.hops import StopKind
from orcli.client.ledger import ChatResult
from orcli.client.wire import OWNED_FIELDS
from orcli.policy.model import ErrorClass, Workflow

RESULT_EXTENSION = "orcli.result"
LEDGER_HEADER = "x-orcli-ledger"
CHAT_PATH = "/chat/completions"

# A failure with no HTTP status of its own (the answer came but was unusable, or none came).
_STATUS_BY_CLASS = {
    ErrorClass.BAD_REQUEST: 400,
    ErrorClass.AUTH: 401,
    ErrorClass.BILLING: 402,
    ErrorClass.SPEND_LIMIT: 403,
    ErrorClass.MODERATION: 403,
    ErrorClass.ROUTING_CONSTRAINT: 404,
    ErrorClass.CONTEXT_LENGTH: 400,
    ErrorClass.RATE_LIMIT: 429,
    ErrorClass.TIMEOUT: 504,
    ErrorClass.PROVIDER_FAILURE: 502,
    ErrorClass.INVALID_RESPONSE: 502,
    ErrorClass.MALFORMED_TOOL_CALL: 502,
    ErrorClass.STREAM_TRUNCATED: 502,
}


class OrcliTimeout(httpx.ReadTimeout):
    """The policy's time ran out: the SDK raises ``APITimeoutError`` from this, ledger attached."""

    def __init__(self, message: str, *, request: httpx.Request, result: ChatResult) -> None:
        super().__init__(message, request=request)
        self.result = result


@dataclass(frozen=True)
class SdkCall:
    """A chat-completions call as the SDK sent it, in the client's terms."""

    model: str
    messages: list[Mapping[str, Any]]
    tools: list[Mapping[str, Any]] | None
    tool_choice: Any
    response_format: Mapping[str, Any] | None
    stream: bool
    max_tokens: int | None
    extra_body: dict[str, Any]
    idempotency_key: str | None

    def chat_arguments(self) -> dict[str, Any]:
        return {
            "tools": self.tools,
            "tool_choice": self.tool_choice,
            "response_format": self.response_format,
            "stream": self.stream,
            "max_tokens": self.max_tokens,
            "idempotency_key": self.idempotency_key,
            "extra_body": self.extra_body or None,
        }


class Refused(Exception):
    """A call the drop-in answers itself with an error, before any attempt."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_chat(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.rstrip("/").endswith(CHAT_PATH)


def base_url(request: httpx.Request) -> str:
    """The API root the SDK was pointed at (its ``base_url``)."""
    url = str(request.url.copy_with(query=None, fragment=None)).rstrip("/")
    return url[: -len(CHAT_PATH)]


def bearer(request: httpx.Request) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


def read_call(raw: bytes, workflow: Workflow, workflow_name: str, idempotency_key: str | None) -> SdkCall:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, "Invalid JSON in request body") from None
    if not isinstance(body, dict):
        raise Refused(400, "Request body must be a JSON object")
    model = body.get("model")
    chain = workflow.models.all
    if not isinstance(model, str) or model not in chain:
        raise Refused(
            400,
            f"model {model!r} is not one of workflow '{workflow_name}''s models ({', '.join(chain)}): "
            "the policy decides the route; name its primary or one of its fallbacks",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Refused(400, "messages: expected a non-empty list")
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise Refused(400, "max_tokens: expected a positive integer")
    stream = body.get("stream") is True
    extra = {k: v for k, v in body.items() if k not in OWNED_FIELDS}
    return SdkCall(
        model=model,
        messages=messages,
        tools=body.get("tools") or None,
        tool_choice=body.get("tool_choice"),
        response_format=body.get("response_format"),
        stream=stream,
        max_tokens=max_tokens,
        extra_body=extra,
        idempotency_key=idempotency_key,
    )


def ledger_json(result: ChatResult) -> dict[str, Any]:
    """A secret-free summary of what the policy did (the ``x-orcli-ledger`` header)."""
    return {
        "workflow": result.workflow,
        "ok": result.ok,
        "served_model": result.served_model,
        "served_provider": result.served_provider,
        "fallback_depth": result.fallback_depth,
        "error_class": result.error_class.value if result.error_class else None,
        "error_message": result.error_message,
        "fail_safe_message": result.fail_safe_message,
        "stop_reason": None if result.stop_reason is None else str(result.stop_reason),
        "cost_usd": str(result.cost_usd),
        "idempotency_key": result.idempotency_key,
        "attempts": [
            {
                "index": a.index,
                "model": a.model,
                "served_model": a.served_model,
                "provider": a.provider,
                "status": a.status,
                "error_class": a.error_class.value if a.error_class else None,
                "detail": a.detail,
                "latency_s": round(a.latency_s, 6),
                "next_hop": None if a.next_hop is None else str(a.next_hop),
            }
            for a in result.attempts
        ],
    }


def _headers(result: ChatResult | None, content_type: str) -> list[tuple[str, str]]:
    headers = [("content-type", content_type)]
    if result is not None:
        ledger = json.dumps(ledger_json(result), separators=(",", ":"), ensure_ascii=True)
        headers.append((LEDGER_HEADER, ledger))
    return headers


def _response(
    status: int, headers: list[tuple[str, str]], body: bytes, request: httpx.Request, result: ChatResult | None
) -> httpx.Response:
    extensions = {RESULT_EXTENSION: result} if result is not None else {}
    return httpx.Response(status, headers=headers, content=body, request=request, extensions=extensions)


def answer(result: ChatResult, call: SdkCall, request: httpx.Request) -> httpx.Response:
    """The SDK's response for a finished policy run (raises :class:`OrcliTimeout` on a timeout)."""
    if result.ok and result.response is not None:
        if call.stream:
            return _response(200, _headers(result, "text/event-stream"), sse(result.response), request, result)
        body = json.dumps(result.response, separators=(",", ":")).encode()
        return _response(200, _headers(result, "application/json"), body, request, result)
    status = failure_status(result)
    if status == 504 and result.error_class is ErrorClass.TIMEOUT:
        raise OrcliTimeout(result.error_message or "timed out", request=request, result=result)
    message = result.error_message or "no route answered"
    return error(status, message, request, result)


def error(status: int, message: str, request: httpx.Request, result: ChatResult | None) -> httpx.Response:
    payload: dict[str, Any] = {"code": status, "message": message}
    if result is not None:
        payload["metadata"] = {"orcli": ledger_json(result)}
    body = json.dumps({"error": payload}, separators=(",", ":")).encode()
    return _response(status, _headers(result, "application/json"), body, request, result)


def failure_status(result: ChatResult) -> int:
    """The status the SDK sees: the last failed answer's own, else one for its class."""
    last = result.attempts[-1] if result.attempts else None
    if last is not None and last.status is not None and last.status >= 400:
        return last.status
    if result.error_class is not None:
        return _STATUS_BY_CLASS.get(result.error_class, 502)
    if result.stop_reason is not None and result.stop_reason.kind is StopKind.BUDGET:
        return 402
    return 504 if last is None else 502


def sse(completion: Mapping[str, Any]) -> bytes:
    """A complete answer as chat-completion chunk events: the message, the finish, the usage."""
    head = {k: v for k, v in completion.items() if k not in ("choices", "usage", "object")}
    head["object"] = "chat.completion.chunk"
    events: list[dict[str, Any]] = []
    finishes = []
    for choice in completion.get("choices") or []:
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": message.get("role") or "assistant", "content": message.get("content")}
        calls = message.get("tool_calls")
        if calls:
            delta["tool_calls"] = [{**call, "index": call.get("index", i)} for i, call in enumerate(calls)]
        index = choice.get("index", 0)
        events.append({**head, "choices": [{"index": index, "delta": delta, "finish_reason": None}]})
        finishes.append({"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")})
    if finishes:
        events.append({**head, "choices": finishes})
    if completion.get("usage") is not None:
        events.append({**head, "choices": [], "usage": completion["usage"]})
    lines = [b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n" for event in events]
    return b"".join(lines) + b"data: [DONE]\n\n"


def chat_result(source: object) -> ChatResult | None:
    """The ledger of a call made through the drop-in, from what the app holds: an SDK
    exception (``openai.APIStatusError``, ``APITimeoutError``), an ``httpx.Response`` or an
    SDK raw response (``.with_raw_response``). None when the call never reached the policy."""
    seen: set[int] = set()
    current: object | None = source
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OrcliTimeout):
            return current.result
        if isinstance(current, httpx.Response):
            found = current.extensions.get(RESULT_EXTENSION)
            return found if isinstance(found, ChatResult) else None
        response = getattr(current, "http_response", None) or getattr(current, "response", None)
        if isinstance(response, httpx.Response):
            current = response
            continue
        current = getattr(current, "__cause__", None)
    return None
