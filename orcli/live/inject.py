"""Client-side fault injection for live drills: a transport that wraps the real one.

OpenRouter cannot be broken on purpose, so the scenario's faults are played between the
client and the network, with the simulator's fault specs, activation rules (windows,
``first``, ``every``, seeded ``probability``) and error bodies. What the client sees is
what the upstream would have sent:

- request-level faults (auth, billing, OpenRouter's own 429, a refused connection) are
  answered here and never sent;
- "the provider is down" (outage, provider-scoped 429, timeout, no endpoints aimed at a
  provider) becomes ``provider.ignore`` on the request that is sent, which is how OpenRouter
  behaves once it has failed over; when the request pins that provider (``only`` it, or
  ``order`` it with ``allow_fallbacks: false``) the provider's error comes back instead;
- the same faults aimed at a model drop it from ``model``/``models`` while another remains,
  and answer with the error when none would;
- moderation, context-length and mid-answer connection resets aimed at a provider act on
  the answers that provider actually served (known only from the response);
- response faults (invalid bodies, malformed tool calls) rewrite served non-streamed
  answers, and stream faults cut, stall, corrupt or end the real stream;
- timeouts wait for the request's read timeout on the event loop's clock (real time in
  a live drill, virtual time in tests) and raise ``httpx.ReadTimeout``.

On live a "matching event" is one HTTP request: the failover attempts inside OpenRouter
are not visible, so ``first``/``every`` count requests, not provider attempts. Each
effect is logged as an :class:`Injection` so reports can tell injected failures from
real ones.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import anyio
import httpx

from orcli.catalog.model import Catalog, Endpoint, Percentiles, Pricing
from orcli.ids import base_model, slug_of_name
from orcli.live.guarded import is_chat
from orcli.upstream import content, effects, sse
from orcli.upstream.faults.activation import Event
from orcli.upstream.faults.behaviour import Effect, Stage
from orcli.upstream.faults.engine import FaultEngine
from orcli.upstream.faults.log import Firing
from orcli.upstream.faults.spec import FaultSpec
from orcli.upstream.protocol import ApiError, ChatRequest, dumps, estimate_tokens, parse_chat
from orcli.upstream.simulator import SimulatorOptions

# Effects that slow a request down rather than fail it outright.
_SLOWING = frozenset({Effect.DELAY, Effect.SILENT, Effect.HANG})
_NO_READ_TIMEOUT_CAP_S = 600.0  # a hang with no read timeout set still ends
PROVIDER_TIMEOUT_S = SimulatorOptions().provider_timeout_s  # how long OpenRouter waits on a hung attempt
_DROPPED_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})


@dataclass(frozen=True, slots=True)
class Injection:
    """One effect of a fired fault on one HTTP request."""

    fault_id: str
    kind: str
    request_index: int  # 1-based chat request as this transport counted them
    idempotency_key: str | None
    attempt: int  # 1-based send with that idempotency key: the client's attempt index
    effect: str  # e.g. "provider.ignore += cerebras", "HTTP 502", "ReadTimeout"
    failure: bool  # True when the client saw a failure; False for a rerouted or slowed request


@dataclass(slots=True)
class _Call:
    index: int
    key: str | None
    attempt: int
    at_s: float
    chat: ChatRequest
    body: dict[str, Any]


class FaultInjectingTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        faults: Sequence[FaultSpec],
        catalog: Catalog,
        *,
        seed: int = 0,
        origin_s: float | None = None,
        wall_now: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self.catalog = catalog
        self.engine = FaultEngine(faults, seed=seed)
        self.injections: list[Injection] = []
        self.openrouter_compatible = getattr(inner, "openrouter_compatible", False) is True
        self._rng = random.Random(seed)
        self._origin_s = origin_s
        self._wall_now = wall_now
        self._count = 0
        self._sends: dict[str | None, int] = {}

    @property
    def firings(self) -> tuple[Firing, ...]:
        return self.engine.firings

    def injected_failure(self, idempotency_key: str, attempt: int) -> Injection | None:
        """The injection that made this attempt fail, if one did."""
        return next(
            (
                i
                for i in reversed(self.injections)
                if i.failure and i.idempotency_key == idempotency_key and i.attempt == attempt
            ),
            None,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()

    # -- the request ---------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_chat(request) or not self.engine.specs:
            return await self.inner.handle_async_request(request)
        raw = await request.aread()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        fallback_model = body.get("model") if isinstance(body, dict) else None
        chat = parse_chat(raw, default_model=fallback_model if isinstance(fallback_model, str) else "openrouter/auto")
        if not isinstance(body, dict) or isinstance(chat, ApiError):
            return await self.inner.handle_async_request(request)  # let the real API judge it
        now = anyio.current_time()
        if self._origin_s is None:
            self._origin_s = now
        self._count += 1
        key = request.headers.get("idempotency-key")
        self._sends[key] = self._sends.get(key, 0) + 1
        call = _Call(self._count, key, self._sends[key], now - self._origin_s, chat, body)

        for spec in self._specs(lambda s: s.stage is Stage.REQUEST):
            if self._fires(spec, call, self._endpoint_for(spec, chat.models), chat.models):
                return await self._request_fault(spec, call, request)

        models = list(chat.models)
        ignored: list[str] = []
        delay_s = 0.0
        failing: tuple[FaultSpec, Endpoint | None] | None = None
        for spec in self._specs(lambda s: s.stage in (Stage.ROUTE, Stage.ATTEMPT)):
            acts = spec.acts
            if spec.provider is not None and acts.on_answer:
                continue  # judged on the answer: only a response shows who served it
            ep = self._endpoint_for(spec, models)
            if not self._fires(spec, call, ep, models):
                continue
            if acts.effect is Effect.DELAY:
                added = spec.slowdown(self._rng).added_s
                delay_s += added
                self._log(spec, call, f"+{added:.3f}s latency", failure=False)
                continue
            if acts.effect is Effect.DISCONNECT:
                failing = (spec, ep)
                break
            if spec.provider is not None and ep is not None and not _pinned(call.body, ep):
                slug = spec.provider.lower()
                if slug not in ignored:
                    ignored.append(slug)
                if acts.effect is Effect.SILENT:
                    # OpenRouter waits out the silent attempt before it gives up on the provider.
                    delay_s += spec.attempt_error(call.chat, models[0], ep).duration_s
                self._log(spec, call, f"provider.ignore += {slug}", failure=False)
                continue
            target = _model_target(spec, models)
            if spec.provider is None and target is not None and len(models) > 1:
                # OpenRouter only fails over once the attempt is over: a silent model is waited
                # out, a hung one until OpenRouter's own provider timeout.
                if acts.effect is Effect.SILENT:
                    delay_s += spec.attempt_error(
                        call.chat, target, ep or _placeholder("OpenRouter", "openrouter")
                    ).duration_s
                elif acts.effect is Effect.HANG:
                    delay_s += PROVIDER_TIMEOUT_S
                models.remove(target)
                self._log(spec, call, f"model {target} dropped from the request", failure=False)
                continue
            failing = (spec, ep)
            break

        read_timeout_s = _read_timeout_s(request)
        if delay_s > 0:
            await self._wait(delay_s, read_timeout_s, request, call, None)
        if failing is not None:
            return await self._attempt_fault(failing[0], failing[1], call, request, read_timeout_s)
        if ignored or models != list(chat.models):
            request = _rewritten(request, _reroute(call.body, models, ignored))
        response = await self.inner.handle_async_request(request)
        if response.status_code >= 300:
            return response  # a real failure: passed on untouched
        if "text/event-stream" in response.headers.get("content-type", "").lower():
            return await self._stream(call, request, response)
        return await self._complete(call, request, response)

    def _specs(self, keep: Callable[[FaultSpec], bool]) -> list[FaultSpec]:
        return [s for s in self.engine.specs if keep(s)]

    def _fires(self, spec: FaultSpec, call: _Call, ep: Endpoint | None, models: Sequence[str]) -> bool:
        event = Event(call.index, call.at_s, tuple(models), ep, attempt=call.attempt)
        return self.engine.evaluate_one(spec, event, generation_id=None)

    def _log(self, spec: FaultSpec, call: _Call, effect: str, *, failure: bool) -> None:
        self.injections.append(
            Injection(spec.fault_id, spec.kind_name, call.index, call.key, call.attempt, effect, failure)
        )

    def _endpoint_for(self, spec: FaultSpec, models: Sequence[str]) -> Endpoint | None:
        """The catalog endpoint a fault aims at among these models (for a provider fault), or
        the first model's top endpoint (for any other). None: the provider serves none of them."""
        for model_id in models:
            model = self.catalog.get(model_id)
            if model is None:
                continue
            if spec.provider is None:
                return model.top_endpoint
            for ep in model.endpoints:
                if ep.matches(spec.provider):
                    return ep
        return None

    async def _wait(
        self, delay_s: float, read_timeout_s: float | None, request: httpx.Request, call: _Call, spec: FaultSpec | None
    ) -> None:
        """Sleep ``delay_s``, or the read timeout and raise ``httpx.ReadTimeout`` when that comes first."""
        if read_timeout_s is not None and delay_s >= read_timeout_s:
            # Logged before the wait: the client's own deadline may cancel it first.
            for fired in [spec] if spec is not None else self._delayers(call):
                self._log(fired, call, "ReadTimeout", failure=True)
            await anyio.sleep(read_timeout_s)
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        await anyio.sleep(min(delay_s, _NO_READ_TIMEOUT_CAP_S))

    def _delayers(self, call: _Call) -> list[FaultSpec]:
        """The faults that slowed this call (latency, or a provider timeout before rerouting)."""
        ids = {i.fault_id for i in self.injections if i.request_index == call.index and not i.failure}
        return [s for s in self.engine.specs if s.fault_id in ids and s.acts.effect in _SLOWING]

    # -- faults answered here ------------------------------------------------------------

    async def _request_fault(self, spec: FaultSpec, call: _Call, request: httpx.Request) -> httpx.Response:
        if spec.acts.effect is Effect.DISCONNECT:
            self._log(spec, call, "ConnectError", failure=True)
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        model = self.catalog.get(call.chat.models[0])
        max_output = model.top_endpoint.max_completion_tokens if model is not None else 4096
        error = spec.refusal(call.chat, max_output, self._wall_now())
        return self._error(spec, call, request, error)

    async def _attempt_fault(
        self,
        spec: FaultSpec,
        ep: Endpoint | None,
        call: _Call,
        request: httpx.Request,
        read_timeout_s: float | None,
    ) -> httpx.Response:
        effect = spec.acts.effect
        if effect is Effect.DISCONNECT:
            self._log(spec, call, "RemoteProtocolError", failure=True)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if effect is Effect.HANG:
            await self._wait(float("inf"), read_timeout_s, request, call, spec)
            self._log(spec, call, "no reply", failure=True)
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        # FAIL, SILENT, and DROP_ENDPOINT when the request has no model left to route to.
        endpoint = ep or _placeholder("OpenRouter", "openrouter")
        failure = spec.attempt_error(call.chat, call.chat.models[0], endpoint)
        await self._wait(failure.duration_s, read_timeout_s, request, call, spec)
        error = failure.error
        if failure.retry_after_s is not None:
            error = ApiError(
                error.status,
                error.message,
                error.metadata,
                (*error.headers, ("retry-after", effects.seconds_header(failure.retry_after_s))),
            )
        return self._error(spec, call, request, error)

    def _error(self, spec: FaultSpec, call: _Call, request: httpx.Request, error: ApiError) -> httpx.Response:
        self._log(spec, call, f"HTTP {error.status}", failure=True)
        headers = [("content-type", "application/json"), *error.headers]
        return httpx.Response(error.status, headers=headers, content=error.body(), request=request)

    # -- faults on served answers ----------------------------------------------------------

    def _served_endpoint(self, model_id: Any, provider: Any) -> Endpoint | None:
        if not isinstance(provider, str) or not provider:
            return None
        model = self.catalog.get(model_id) if isinstance(model_id, str) else None
        wanted = provider.lower()
        for ep in model.endpoints if model is not None else ():
            if ep.provider_name.lower() == wanted or ep.tag == wanted:
                return ep
        return _placeholder(provider, slug_of_name(provider) or "unknown")

    def _served_by_fault(self, call: _Call, ep: Endpoint, model_id: str) -> FaultSpec | None:
        for spec in self._specs(lambda s: s.provider is not None and s.acts.on_answer):
            if self._fires(spec, call, ep, (model_id,)):
                return spec
        return None

    def _served_by_error(
        self, spec: FaultSpec, call: _Call, request: httpx.Request, ep: Endpoint, model_id: str
    ) -> httpx.Response:
        if spec.acts.effect is Effect.DISCONNECT:
            self._log(spec, call, "RemoteProtocolError", failure=True)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return self._error(spec, call, request, spec.attempt_error(call.chat, model_id, ep).error)

    async def _complete(self, call: _Call, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        try:
            raw = await response.aread()
        finally:
            await response.aclose()
        parsed = _json(raw)
        choices = parsed.get("choices") if isinstance(parsed, dict) else None
        if not isinstance(parsed, dict) or not isinstance(choices, list) or not choices:
            return _rebuilt(response, raw, request)
        model_id = _served_model(parsed, call.chat)
        ep = self._served_endpoint(model_id, parsed.get("provider"))
        if ep is not None:
            spec = self._served_by_fault(call, ep, model_id)
            if spec is not None:
                return self._served_by_error(spec, call, request, ep, model_id)
        completion = _completion(choices[0])
        broken = False
        for spec in self._specs(lambda s: s.stage is Stage.RESPONSE and s.acts.effect is not Effect.STREAM):
            if not effects.needs_met(spec.acts.needs, call.chat, completion) or not self._fires(
                spec, call, ep, (model_id,)
            ):
                continue
            effect = spec.acts.effect
            if effect is Effect.INVALID_BODY:
                parsed.setdefault("provider", ep.provider_name if ep else "unknown")
                self._log(spec, call, spec.detail, failure=True)
                return _rebuilt(response, spec.invalid_body(parsed, call.chat), request)
            if effect is Effect.BREAK_TOOL_CALL and not broken:
                # One breakage per answer, as on the mock: a second would re-break arguments
                # that are no longer JSON.
                completion = spec.break_completion(completion, call.chat, self._rng)
                choices[0] = _with_completion(choices[0], completion)
                broken = True
                self._log(spec, call, spec.detail, failure=True)
        return _rebuilt(response, dumps(parsed), request)

    async def _break_streamed_tool_call(
        self, call: _Call, response: httpx.Response, chunks: AsyncIterator[bytes], buffered: bytes, ep: Endpoint | None
    ) -> tuple[AsyncIterator[bytes], bytes]:
        """Apply ``malformed_tool_call`` faults to a streamed answer. Whether an answer has tool
        calls is known only at its end, so a stream that could be broken is read whole first
        (its time to first token becomes its whole time), then played again with the broken
        calls in place of the real ones."""
        breakers = self._specs(lambda s: s.stage is Stage.RESPONSE and s.acts.effect is Effect.BREAK_TOOL_CALL)
        if not breakers or not call.chat.tools:
            return chunks, buffered
        whole = buffered + b"".join([chunk async for chunk in chunks])
        completion, model_id = _streamed_completion(whole, call.chat)
        broken = False
        for spec in breakers:
            if not effects.needs_met(spec.acts.needs, call.chat, completion) or not self._fires(
                spec, call, ep, (model_id,)
            ):
                continue
            if not broken:
                completion = spec.break_completion(completion, call.chat, self._rng)
                whole = _stream_with(whole, completion)
                broken = True
                self._log(spec, call, spec.detail, failure=True)
        return _chunks_of(whole), b""

    async def _stream(self, call: _Call, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        chunks = response.aiter_bytes()
        buffered = b""
        head: dict[str, Any] | None = None
        try:
            # Read up to the first event: it names the provider that serves the stream.
            while head is None:
                try:
                    buffered += await chunks.__anext__()
                except StopAsyncIteration:
                    break
                head = _first_event(buffered)
        except BaseException:
            await _close(chunks)
            await response.aclose()
            raise
        model_id = _served_model(head, call.chat)
        ep = self._served_endpoint(model_id, head.get("provider") if head else None)
        if ep is not None:
            spec = self._served_by_fault(call, ep, model_id)
            if spec is not None:
                await _close(chunks)
                await response.aclose()
                return self._served_by_error(spec, call, request, ep, model_id)
        chunks, buffered = await self._break_streamed_tool_call(call, response, chunks, buffered, ep)
        fired = [
            spec
            for spec in self._specs(lambda s: s.acts.effect is Effect.STREAM)
            if self._fires(spec, call, ep, (model_id,))
        ]
        for spec in fired:
            self._log(spec, call, spec.detail, failure=True)
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED_HEADERS]
        stream = _RewrittenStream(response, chunks, buffered, head or {}, fired, request)
        return httpx.Response(response.status_code, headers=headers, stream=stream, request=request)


_Action = Literal["stall", "malformed", "error", "cut"]


@dataclass(frozen=True, slots=True)
class _Step:
    """One change a stream fault makes, once ``after`` completion tokens have gone by."""

    after: int
    action: _Action
    shape: sse.StreamShape  # the fault's whole change to the stream: its stall time, its error


def _steps(shape: sse.StreamShape) -> list[_Step]:
    """What a stream fault's shape asks for, as steps on a real stream (``missing_done`` is not one)."""
    wanted: tuple[tuple[_Action, int | None], ...] = (
        ("stall", shape.stall_after),
        ("malformed", shape.malformed_after),
        ("error", shape.error_after),
        ("cut", shape.cut_after),
    )
    return [_Step(after, action, shape) for action, after in wanted if after is not None]


class _RewrittenStream(httpx.AsyncByteStream):
    """A real event stream with the fired stream faults applied, line by line.

    Each fault's change is the stream shape the simulator would build (``reshape``), played
    on the real events. Token counts follow the simulator's estimate (four characters a
    token) over the text and tool-call argument pieces seen so far. A fault whose threshold
    the answer never reaches acts when the content ends (finish chunk, usage chunk or ``[DONE]``)."""

    def __init__(
        self,
        response: httpx.Response,
        chunks: AsyncIterator[bytes],
        buffered: bytes,
        head: dict[str, Any],
        faults: list[FaultSpec],
        request: httpx.Request,
    ) -> None:
        self._response = response
        self._chunks = chunks
        self._buffered = buffered
        self._head = head
        self._shapes = [fault.reshape(sse.StreamShape()) for fault in faults]
        self._request = request

    async def _lines(self) -> AsyncIterator[bytes]:
        pending = self._buffered
        while True:
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                yield line + b"\n"
            try:
                pending += await self._chunks.__anext__()
            except StopAsyncIteration:
                break
        if pending:
            yield pending

    async def __aiter__(self) -> AsyncIterator[bytes]:
        tokens = 0
        pending = [step for shape in self._shapes for step in _steps(shape)]
        missing_done = any(shape.missing_done for shape in self._shapes)
        async for line in self._lines():
            text = line.decode("utf-8", "replace").strip()
            if text.startswith("data:"):
                data = text[5:].strip()
                event = _json(data.encode()) if data != "[DONE]" else None
                content_over = data == "[DONE]" or not _carries_content(event)
                for step in list(pending):
                    if tokens < step.after and not content_over:
                        continue
                    pending.remove(step)
                    async for piece in self._apply(step):
                        yield piece
                    if step.action in ("cut", "error"):
                        return
                if data == "[DONE]" and missing_done:
                    continue
                tokens += _tokens(event)
            yield line

    async def _apply(self, step: _Step) -> AsyncIterator[bytes]:
        if step.action == "cut":
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body (incomplete chunked read)",
                request=self._request,
            )
        if step.action == "stall":
            await anyio.sleep(step.shape.stall_s)
        elif step.action == "malformed":
            yield b'data: {"id":"' + str(self._head.get("id", "gen")).encode() + b'","choices":[{"delta":{"cont\n\n'
        elif step.action == "error":
            error = step.shape.error
            assert error is not None
            chunk = {
                "id": self._head.get("id"),
                "object": "chat.completion.chunk",
                "created": self._head.get("created"),
                "model": self._head.get("model"),
                "provider": self._head.get("provider"),
                "error": error.envelope()["error"],
                "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
            }
            yield b"data: " + dumps(chunk) + b"\n\n"

    async def aclose(self) -> None:
        # The reader may stop early (at [DONE], or on its own deadline): close the chunk
        # iterator here, on the loop, rather than leave it to the garbage collector.
        await _close(self._chunks)
        await self._response.aclose()


# -- helpers ---------------------------------------------------------------------------------


def _read_timeout_s(request: httpx.Request) -> float | None:
    timeout: dict[str, Any] = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _served_model(body: dict[str, Any] | None, chat: ChatRequest) -> str:
    model = body.get("model") if body else None
    return model if isinstance(model, str) else chat.models[0]


def _placeholder(provider_name: str, tag: str) -> Endpoint:
    """An endpoint the catalog does not list: enough to aim faults and word error bodies."""
    zero = Percentiles(p50=0, p75=0, p90=0, p99=0)
    return Endpoint(
        provider_name=provider_name,
        tag=tag,
        context_length=1,
        max_completion_tokens=1,
        pricing=Pricing(prompt=Decimal(0), completion=Decimal(0)),
        latency_last_30m=zero,
        throughput_last_30m=zero,
    )


def _pinned(body: dict[str, Any], ep: Endpoint) -> bool:
    """Whether the request allows no provider but this one, so OpenRouter returns its error."""
    provider = body.get("provider")
    if not isinstance(provider, dict):
        return False
    only = provider.get("only")
    if isinstance(only, list) and only and all(isinstance(s, str) and ep.matches(s) for s in only):
        return True
    order = provider.get("order")
    return (
        provider.get("allow_fallbacks") is False
        and isinstance(order, list)
        and bool(order)
        and all(isinstance(s, str) and ep.matches(s) for s in order)
    )


def _model_target(spec: FaultSpec, models: Sequence[str]) -> str | None:
    if spec.model is None:
        return None
    wanted = base_model(spec.model)
    return next((m for m in models if base_model(m) == wanted), None)


def _reroute(body: dict[str, Any], models: list[str], ignored: list[str]) -> dict[str, Any]:
    out = dict(body)
    out["model"] = models[0]
    if len(models) > 1:
        out["models"] = models[1:]
    else:
        out.pop("models", None)
    if ignored:
        provider = dict(out.get("provider") or {})
        existing = [s for s in provider.get("ignore") or [] if isinstance(s, str)]
        provider["ignore"] = [*existing, *(s for s in ignored if s not in existing)]
        out["provider"] = provider
    return out


def _rewritten(request: httpx.Request, body: dict[str, Any]) -> httpx.Request:
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Request(
        request.method, request.url, headers=headers, content=dumps(body), extensions=request.extensions
    )


def _rebuilt(response: httpx.Response, raw: bytes, request: httpx.Request) -> httpx.Response:
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=raw, request=request)


def _completion(choice: Any) -> content.Completion:
    message = choice.get("message") if isinstance(choice, dict) else None
    message = message if isinstance(message, dict) else {}
    calls: list[content.ToolCall] = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            arguments = function.get("arguments")
            calls.append(
                content.ToolCall(
                    str(call.get("id") or ""), function["name"], arguments if isinstance(arguments, str) else "{}"
                )
            )
    text = message.get("content") if isinstance(message.get("content"), str) else None
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return content.Completion(text, tuple(calls), finish if isinstance(finish, str) else "stop", 0)


def _with_completion(choice: dict[str, Any], completion: content.Completion) -> dict[str, Any]:
    message = dict(choice.get("message") or {})
    message["content"] = completion.content
    if completion.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in completion.tool_calls
        ]
    else:
        message.pop("tool_calls", None)
    return {**choice, "message": message, "finish_reason": completion.finish_reason}


async def _close(chunks: AsyncIterator[bytes]) -> None:
    closing = getattr(chunks, "aclose", None)
    if closing is not None:
        await closing()


async def _chunks_of(whole: bytes) -> AsyncIterator[bytes]:
    yield whole


def _data_events(raw: bytes) -> list[Any]:
    """The JSON of every ``data:`` line of an event stream (None for ``[DONE]`` and broken ones)."""
    events: list[Any] = []
    for raw_line in raw.split(b"\n"):
        line = raw_line.strip()
        if line.startswith(b"data:"):
            data = line[5:].strip()
            events.append(None if data == b"[DONE]" else _json(data))
    return events


def _streamed_completion(raw: bytes, chat: ChatRequest) -> tuple[content.Completion, str]:
    """The answer a whole event stream carries: its text, its tool calls assembled by index,
    its finish reason; and the model that served it."""
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    finish = "stop"
    model: Any = None
    for event in _data_events(raw):
        if not isinstance(event, dict):
            continue
        model = model or event.get("model")
        delta = _delta(event)
        if isinstance(delta.get("content"), str):
            text.append(delta["content"])
        for piece in delta.get("tool_calls") or []:
            if not isinstance(piece, dict):
                continue
            index = piece.get("index")
            slot = calls.setdefault(index if isinstance(index, int) else len(calls), {"id": "", "name": "", "args": ""})
            found = piece.get("function")
            function: dict[str, Any] = found if isinstance(found, dict) else {}
            if isinstance(piece.get("id"), str):
                slot["id"] = piece["id"]
            if isinstance(function.get("name"), str):
                slot["name"] += function["name"]
            if isinstance(function.get("arguments"), str):
                slot["args"] += function["arguments"]
        choices = event.get("choices")
        first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        if isinstance(first.get("finish_reason"), str):
            finish = first["finish_reason"]
    tool_calls = tuple(content.ToolCall(c["id"], c["name"], c["args"]) for _, c in sorted(calls.items()))
    answer = content.Completion("".join(text) or None, tool_calls, finish, 0)
    return answer, model if isinstance(model, str) else chat.models[0]


def _stream_with(raw: bytes, completion: content.Completion) -> bytes:
    """The event stream with its tool-call pieces replaced by ``completion``'s calls (each whole,
    in one event, just before the finish chunk) and the finish reason set to the completion's."""
    out: list[bytes] = []
    placed = False
    for raw_line in raw.split(b"\n"):
        line = raw_line.strip()
        event = _json(line[5:].strip()) if line.startswith(b"data:") else None
        if isinstance(event, dict) and _delta(event).get("tool_calls"):
            continue  # the real pieces: replaced below
        choices = event.get("choices") if isinstance(event, dict) else None
        first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        finishing = first is not None and first.get("finish_reason") is not None
        ending = line == b"data: [DONE]" or (isinstance(event, dict) and not choices)
        if not placed and (finishing or ending):
            placed = True
            head = {k: v for k, v in (event or {}).items() if k in ("id", "object", "created", "model", "provider")}
            for index, call in enumerate(completion.tool_calls):
                piece = {"index": index, "id": call.id, "type": "function"}
                piece["function"] = {"name": call.name, "arguments": call.arguments}
                delta: dict[str, Any] = {"tool_calls": [piece]}
                chunk = {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                out += [b"data: " + dumps(chunk), b""]
            if not completion.tool_calls and completion.content:
                chunk = {**head, "choices": [{"index": 0, "delta": {"content": completion.content}}]}
                out += [b"data: " + dumps(chunk), b""]
        if finishing and isinstance(event, dict) and first is not None:
            first = {**first, "finish_reason": completion.finish_reason}
            raw_line = b"data: " + dumps({**event, "choices": [first, *choices[1:]]})  # type: ignore[index]
        out.append(raw_line)
    return b"\n".join(out)


def _first_event(buffered: bytes) -> dict[str, Any] | None:
    for raw_line in buffered.split(b"\n")[:-1]:  # complete lines only
        line = raw_line.strip()
        if line.startswith(b"data:"):
            event = _json(line[5:].strip())
            if isinstance(event, dict):
                return event
    return None


def _delta(event: Any) -> dict[str, Any]:
    choices = event.get("choices") if isinstance(event, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return {}
    delta = choices[0].get("delta")
    return delta if isinstance(delta, dict) else {}


def _pieces(event: Any) -> list[str]:
    delta = _delta(event)
    pieces = [delta["content"]] if isinstance(delta.get("content"), str) else []
    for call in delta.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            pieces.extend(v for v in (function.get("name"), function.get("arguments")) if isinstance(v, str))
    return [p for p in pieces if p]


def _carries_content(event: Any) -> bool:
    """A chunk still in the answer: it has text or tool-call pieces and no finish reason."""
    if not isinstance(event, dict):
        return False
    choices = event.get("choices")
    if not isinstance(choices, list) or not choices:
        return False
    first = choices[0] if isinstance(choices[0], dict) else {}
    return first.get("finish_reason") is None and (bool(_pieces(event)) or "role" in _delta(event))


def _tokens(event: Any) -> int:
    return sum(estimate_tokens(p) for p in _pieces(event))
