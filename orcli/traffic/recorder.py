"""Write a traffic log from a running client.

The recorder is two small pieces that meet at the request's idempotency key:

- a transport tap (:meth:`TrafficRecorder.transport`, :meth:`TrafficRecorder.async_transport`)
  reads each chat request's body on its way out, once per idempotency key: stream flag, tools,
  response format, the conversation hash and a prompt-size estimate. It never keeps the text;
- the recorder itself is the client's observer (``telemetry=recorder``): it hears the request
  start (arrival time, workflow, the caller's ``kind``) and its finished result (answer size,
  whether it was answered), and writes one line.

Sampling keeps whole conversations: a conversation is in or out by its hash, so a replay sees
every turn of the conversations it has. Requests without one are drawn from a seeded generator.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import httpx

from orcli.client.budget import estimate_prompt_tokens
from orcli.client.ledger import ChatResult
from orcli.client.observe import RequestStart, RequestWatch
from orcli.errors import InvalidValue
from orcli.traffic.log import TrafficEntry, conversation_key

_CHAT_SUFFIX = "/chat/completions"
_MAX_PENDING = 100_000  # bodies read but never finished (a caller that bypasses the observer)


class _Shape:
    """What the tap read from one request body."""

    __slots__ = ("conversation", "prompt_tokens", "schema", "stream", "tools")

    def __init__(self, body: Mapping[str, Any]) -> None:
        messages = body.get("messages")
        messages = messages if isinstance(messages, list) else []
        tools = body.get("tools")
        response_format = body.get("response_format")
        self.stream = body.get("stream") is True
        self.tools = isinstance(tools, list) and bool(tools)
        self.schema = isinstance(response_format, Mapping) and response_format.get("type") in (
            "json_schema",
            "json_object",
        )
        self.conversation = conversation_key(messages, body)
        self.prompt_tokens = estimate_prompt_tokens(messages, tools if self.tools else None)


class TrafficRecorder:
    """A client observer that writes the traffic log. Thread-safe; close it (or use ``with``)."""

    def __init__(
        self,
        path: str | Path,
        *,
        sample: float = 1.0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if not 0 < sample <= 1:
            raise InvalidValue(f"sample: must be in (0, 1], got {sample}")
        self.sample = sample
        self.written = 0
        self._clock = clock
        self._labels = dict(labels or {})  # idempotency key -> kind, for callers that label requests so
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._shapes: dict[str, _Shape] = {}
        self._out: IO[str] = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 - open until close()

    # -- the tap ----------------------------------------------------------------------------

    def transport(self, inner: httpx.BaseTransport | None = None) -> httpx.BaseTransport:
        """A sync transport that reads request shapes on their way to ``inner`` (default: the network)."""
        return _SyncTap(self, inner or httpx.HTTPTransport())

    def async_transport(self, inner: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncBaseTransport:
        """An async transport that reads request shapes on their way to ``inner`` (default: the network)."""
        return _AsyncTap(self, inner or httpx.AsyncHTTPTransport())

    def saw(self, request: httpx.Request, body: bytes) -> None:
        if request.method != "POST" or not request.url.path.endswith(_CHAT_SUFFIX):
            return
        key = request.headers.get("idempotency-key")
        if key is None or key in self._shapes:
            return  # a retry or fallback of a request already read
        try:
            parsed = json.loads(body)
        except ValueError:
            return
        if isinstance(parsed, dict):
            with self._lock:
                if len(self._shapes) >= _MAX_PENDING:
                    self._shapes.pop(next(iter(self._shapes)))
                self._shapes[key] = _Shape(parsed)

    # -- the observer -----------------------------------------------------------------------

    def start(self, request: RequestStart) -> RequestWatch | None:
        return _Watch(self, request, self._clock())

    def write(self, start: RequestStart, at: float, result: ChatResult | None) -> None:
        with self._lock:
            shape = self._shapes.pop(result.idempotency_key, None) if result is not None else None
            if not self._kept(shape):
                return
            entry = TrafficEntry(
                t=round(at, 6),
                workflow=start.workflow,
                kind=_kind(start, result) or (self._labels.get(result.idempotency_key) if result else None),
                prompt_tokens=_usage(result, "prompt_tokens") or (shape.prompt_tokens if shape else None),
                answer_tokens=_usage(result, "completion_tokens"),
                stream=shape.stream if shape is not None else start.stream,
                tools=shape.tools if shape is not None else False,
                schema=shape.schema if shape is not None else False,
                conversation=shape.conversation if shape is not None else None,
                ok=result is not None and result.ok,
                sample=self.sample,
            )
            self._out.write(entry.line() + "\n")
            self._out.flush()
            self.written += 1

    def _kept(self, shape: _Shape | None) -> bool:
        if self.sample >= 1:
            return True
        if shape is not None and shape.conversation is not None:
            return int(shape.conversation[:8], 16) / 0xFFFFFFFF < self.sample
        return self._rng.random() < self.sample

    def close(self) -> None:
        with self._lock:
            self._out.close()

    def __enter__(self) -> TrafficRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Watch:
    def __init__(self, recorder: TrafficRecorder, start: RequestStart, at: float) -> None:
        self._recorder = recorder
        self._start = start
        self._at = at

    def body_fields(self) -> Mapping[str, Any]:
        return {}

    def finish(self, result: ChatResult, now: float) -> None:
        self._recorder.write(self._start, self._at, result)

    def abandon(self, error: BaseException, now: float) -> None:
        self._recorder.write(self._start, self._at, None)


class _SyncTap(httpx.BaseTransport):
    def __init__(self, recorder: TrafficRecorder, inner: httpx.BaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner
        self.openrouter_compatible = getattr(inner, "openrouter_compatible", False) is True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.saw(request, request.read())
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class _AsyncTap(httpx.AsyncBaseTransport):
    def __init__(self, recorder: TrafficRecorder, inner: httpx.AsyncBaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner
        self.openrouter_compatible = getattr(inner, "openrouter_compatible", False) is True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.saw(request, await request.aread())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _kind(start: RequestStart, result: ChatResult | None) -> str | None:
    # The client's per-call ``kind=`` label, wherever the client carries it.
    for holder in (start, result):
        label = getattr(holder, "kind", None)
        if isinstance(label, str) and label:
            return label
    return None


def _usage(result: ChatResult | None, field: str) -> int | None:
    response = result.response if result is not None else None
    usage = response.get("usage") if isinstance(response, dict) else None
    value = usage.get(field) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
