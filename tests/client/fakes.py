"""A scripted stand-in for the OpenRouter API at the transport edge.

Each reply is what the live API would send: a JSON completion, an error in OpenRouter's
envelope, an SSE body with per-chunk delays, or one of httpx's own exceptions. Latency is
virtual. The sync transport honours the request's read timeout the way a real transport
does (it advances the VirtualClock by the timeout, then raises ``httpx.ReadTimeout``); the
async one sleeps on anyio's clock and lets the client's cancel scopes cut it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from orcli.clock import VirtualClock


def completion(
    content: str | None = "Hello.",
    *,
    model: str = "openai/gpt-4o-mini",
    provider: str = "OpenAI",
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = "stop",
    prompt_tokens: int = 12,
    completion_tokens: int = 5,
    cost: float | None = 0.0001,
    **extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost is not None:
        usage["cost"] = cost
    return {
        "id": "gen-1767373622-GrCl6IaMadukHESGLXrg",
        "provider": provider,
        "model": model,
        "object": "chat.completion",
        "created": 1767373622,
        "choices": [
            {"index": 0, "finish_reason": finish_reason, "native_finish_reason": finish_reason, "message": message}
        ],
        "usage": usage,
        **extra,
    }


def tool_call(name: str, arguments: str, call_id: str = "call_1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "index": 0, "function": {"name": name, "arguments": arguments}}


def error(code: int, message: str, **metadata: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}, "user_id": "user_2abc"}
    if metadata:
        body["error"]["metadata"] = metadata
    return body


def chunk(
    content: str | None = None,
    *,
    model: str = "openai/gpt-4o-mini",
    provider: str = "OpenAI",
    finish_reason: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
    error_obj: dict[str, Any] | None = None,
) -> bytes:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    body: dict[str, Any] = {
        "id": "gen-1-stream",
        "object": "chat.completion.chunk",
        "created": 1767373622,
        "model": model,
        "provider": provider,
        "choices": []
        if usage is not None and not delta
        else [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = usage
    if error_obj is not None:
        body["error"] = error_obj
    return f"data: {json.dumps(body)}\n\n".encode()


COMMENT = b": OPENROUTER PROCESSING\n\n"
DONE = b"data: [DONE]\n\n"


def good_stream(text: str = "Hello there.", **kw: Any) -> list[bytes]:
    words = text.split(" ")
    pieces = [chunk(w if i == 0 else " " + w, **kw) for i, w in enumerate(words)]
    usage = {"prompt_tokens": 9, "completion_tokens": len(words), "cost": 0.00002}
    return [COMMENT, *pieces, chunk(finish_reason="stop", **kw), chunk(usage=usage, **kw), DONE]


@dataclass
class Reply:
    """One scripted answer. ``delay_s`` passes before the headers; ``stream`` items are
    ``(delay_s, bytes)`` pairs; ``cut`` is raised after the stream items (a dropped connection)."""

    status: int = 200
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    raw: bytes | None = None
    stream: Sequence[tuple[float, bytes]] | None = None
    exception: type[httpx.HTTPError] | None = None
    cut: type[httpx.HTTPError] | None = None


def ok(content: str = "Hello.", **kw: Any) -> Reply:
    return Reply(200, completion(content, **kw))


def fail(status: int, message: str, headers: dict[str, str] | None = None, **metadata: Any) -> Reply:
    return Reply(status, error(status, message, **metadata), headers=headers or {})


def sse(items: Sequence[bytes], gap_s: float = 0.0, cut: type[httpx.HTTPError] | None = None) -> Reply:
    return Reply(200, stream=[(gap_s, item) for item in items], cut=cut)


Script = Sequence[Reply] | Callable[[dict[str, Any]], Reply]


class FakeOpenRouter:
    """Answers chat-completions requests from a script and records every request."""

    openrouter_compatible = False

    def __init__(self, script: Script, clock: VirtualClock | None = None) -> None:
        self._script = script
        self._clock = clock
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict[str, Any]] = []
        self.sent_at: list[float] = []

    def _next(self, request: httpx.Request) -> Reply:
        body = json.loads(request.content)
        self.requests.append(request)
        self.bodies.append(body)
        if callable(self._script):
            return self._script(body)
        index = len(self.bodies) - 1
        if index >= len(self._script):
            raise AssertionError(f"unscripted request #{index + 1}: {body.get('model')}")
        return self._script[index]

    # -- sync ----------------------------------------------------------------------------

    def _wait(self, request: httpx.Request, delay_s: float) -> None:
        if self._clock is None or delay_s <= 0:
            return
        read = request.extensions.get("timeout", {}).get("read")
        if read is not None and delay_s > read:
            self._clock.advance(read)
            raise httpx.ReadTimeout("timed out", request=request)
        self._clock.advance(delay_s)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self._clock is not None:
            self.sent_at.append(self._clock.now())
        reply = self._next(request)
        self._wait(request, reply.delay_s)
        if reply.exception is not None:
            raise reply.exception("scripted transport failure", request=request)
        if reply.stream is not None:

            def body() -> Iterator[bytes]:
                for delay_s, item in reply.stream or ():
                    self._wait(request, delay_s)
                    yield item
                if reply.cut is not None:
                    raise reply.cut("connection dropped", request=request)

            headers = {"content-type": "text/event-stream", **reply.headers}
            return httpx.Response(reply.status, headers=headers, content=body())
        if reply.raw is not None:
            return httpx.Response(reply.status, headers=reply.headers, content=reply.raw)
        return httpx.Response(reply.status, headers=reply.headers, json=reply.json_body)

    def transport(self) -> httpx.MockTransport:
        transport = httpx.MockTransport(self.handler)
        transport.openrouter_compatible = self.openrouter_compatible  # type: ignore[attr-defined]
        return transport

    # -- async ---------------------------------------------------------------------------

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        self.sent_at.append(anyio.current_time())
        reply = self._next(request)
        if reply.delay_s > 0:
            await anyio.sleep(reply.delay_s)
        if reply.exception is not None:
            raise reply.exception("scripted transport failure", request=request)
        if reply.stream is not None:

            async def body() -> AsyncIterator[bytes]:
                for delay_s, item in reply.stream or ():
                    if delay_s > 0:
                        await anyio.sleep(delay_s)
                    yield item
                if reply.cut is not None:
                    raise reply.cut("connection dropped", request=request)

            headers = {"content-type": "text/event-stream", **reply.headers}
            return httpx.Response(reply.status, headers=headers, content=body())
        if reply.raw is not None:
            return httpx.Response(reply.status, headers=reply.headers, content=reply.raw)
        return httpx.Response(reply.status, headers=reply.headers, json=reply.json_body)

    def async_transport(self) -> httpx.MockTransport:
        transport = httpx.MockTransport(self.ahandler)
        transport.openrouter_compatible = self.openrouter_compatible  # type: ignore[attr-defined]
        return transport
