"""The asynchronous resilient client: the same decisions as :class:`~orcli.client.Client`,
with anyio doing the waiting.

Time is ``anyio.current_time()`` and waits are ``anyio.sleep``; every limit is a cancel
scope with an absolute deadline, so a stalled stream is cut when its limit passes rather
than when the next chunk happens to arrive. Under trio's ``MockClock(autojump_threshold=0)``
all of it runs in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from orcli.catalog.model import Catalog
from orcli.client import http, observe, otel, wire
from orcli.client.classify import classify_exception
from orcli.client.core import AttemptPlan, Engine, FallbackChoice
from orcli.client.ledger import ChatResult
from orcli.client.observe import AUTO, ObserverChoice
from orcli.client.settings import build_settings
from orcli.client.stream import SseAssembler, SseLineSplitter, StreamWatch, take_lines
from orcli.openrouter import BASE_URL
from orcli.policy.model import Workflow


class AsyncClient:
    """Async twin of :class:`~orcli.client.Client` (same arguments, ``chat`` is awaited)."""

    def __init__(
        self,
        policy_workflow: Workflow,
        *,
        api_key: str | None = None,
        base_url: str = BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int = 0,
        fallback_mode: FallbackChoice | None = None,
        workflow_name: str = "default",
        catalog: Catalog | None = None,
        app_url: str | None = None,
        app_title: str | None = wire.DEFAULT_APP_TITLE,
        wall_now: Callable[[], float] | None = None,
        telemetry: ObserverChoice = AUTO,
    ) -> None:
        settings = build_settings(
            policy_workflow,
            api_key=api_key,
            base_url=base_url,
            transport=transport,
            fallback_mode=fallback_mode,
            workflow_name=workflow_name,
            catalog=catalog,
            app_url=app_url,
            app_title=app_title,
            wall_now=wall_now,
        )
        self._engine = Engine(settings, seed)
        self._observer = otel.resolve(telemetry)
        self._url = httpx.URL(settings.chat_url)  # parsed once: httpx would re-parse a str per request
        self._requests = http.RequestBuilder(self._url)
        self._transport = http.async_transport(transport, self._url)

    @classmethod
    def from_policy(cls, path: str | Path, workflow: str, **kwargs: Any) -> AsyncClient:
        from orcli.policy.load import load_policy

        loaded = load_policy(path)
        return cls(loaded.workflow(workflow), workflow_name=workflow, **kwargs)

    @property
    def fallback_mode(self) -> str:
        return self._engine.settings.mode

    @property
    def spent_usd(self) -> Any:
        return self._engine.spend.spent_usd

    def __repr__(self) -> str:
        settings = self._engine.settings
        return f"AsyncClient(workflow={settings.workflow_name!r}, url={settings.chat_url!r}, mode={settings.mode!r})"

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: Any = None,
        response_format: Mapping[str, Any] | None = None,
        stream: bool | None = None,
        max_tokens: int | None = None,
        idempotency_key: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ChatResult:
        """See :meth:`orcli.client.Client.chat`."""
        watch, trace_fields = observe.begin(self._observer, self._engine.settings, stream, anyio.current_time())
        try:
            result = await self._chat(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                response_format=response_format,
                stream=stream,
                max_tokens=max_tokens,
                idempotency_key=idempotency_key,
                extra_body=observe.merged(extra_body, trace_fields),
            )
        except BaseException as exc:
            if watch is not None:
                watch.abandon(exc, anyio.current_time())
            raise
        if watch is not None:
            watch.finish(result, anyio.current_time())
        return result

    async def _chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None,
        tool_choice: Any,
        response_format: Mapping[str, Any] | None,
        stream: bool | None,
        max_tokens: int | None,
        idempotency_key: str | None,
        extra_body: Mapping[str, Any] | None,
    ) -> ChatResult:
        run = self._engine.start(
            anyio.current_time(),
            messages,
            tools=tools,
            tool_choice=tool_choice,
            response_format=response_format,
            stream=stream,
            max_tokens=max_tokens,
            idempotency_key=idempotency_key,
            extra_body=extra_body,
        )
        while not run.finished:
            wait = run.wait_before_next(anyio.current_time())
            if wait > 0:
                await anyio.sleep(wait)
            plan = run.next_attempt(anyio.current_time())
            if plan is None:
                continue
            run.record(plan, await self._send(plan))
        return run.result()

    async def _send(self, plan: AttemptPlan) -> wire.AttemptOutcome:
        request = self._requests.build(plan.body, plan.headers, plan.timeout())
        response: httpx.Response | None = None
        headers_at: float | None = None
        reading: tuple[SseAssembler, StreamWatch] | None = None  # set once the body is read as a stream
        try:
            # One cancel scope for the whole attempt, its deadline moved from phase to phase:
            # the response headers, then the complete body or the stream's next event.
            with anyio.CancelScope(deadline=plan.headers_due_at()) as scope:
                response = await self._transport.handle_async_request(request)
                response.request = request
                headers_at = anyio.current_time()
                status = response.status_code
                if plan.stream and status < 300 and wire.is_event_stream(response.headers.get("content-type")):
                    reading = (SseAssembler(), plan.watch())
                    return await self._read_stream(response, scope, *reading)
                scope.deadline = plan.limit_at
                raw = await response.aread()
                wall_now = self._engine.settings.wall_now
                return wire.interpret(
                    status,
                    response.headers,
                    raw,
                    wall_now=wall_now,
                    ended_at=anyio.current_time(),
                    first_token_at=headers_at,
                )
        except httpx.HTTPError as exc:
            now = anyio.current_time()
            if reading is not None and response is not None:
                failure = wire.stream_exception_failure(exc, *reading)
                return wire.stream_outcome(response.status_code, *reading, now, failure)
            status_seen = response.status_code if response is not None else None
            return wire.AttemptOutcome(
                status=status_seen,
                body=None,
                failure=classify_exception(exc, streaming_started=False),
                ended_at=now,
                first_token_at=None,
            )
        finally:
            if response is not None:
                with anyio.CancelScope(shield=True):
                    await response.aclose()
        # Only a cancelled scope gets here: the phase that ran out names the failure.
        now = anyio.current_time()
        if response is None:
            return wire.AttemptOutcome(
                status=None, body=None, failure=plan.headers_late(), ended_at=now, first_token_at=None
            )
        if reading is not None:
            return wire.stream_outcome(response.status_code, *reading, now, reading[1].timed_out())
        failure = wire.late_failure(plan.limit_at - plan.started_at, "complete response")
        return wire.AttemptOutcome(
            status=response.status_code, body=None, failure=failure, ended_at=now, first_token_at=headers_at
        )

    async def _read_stream(
        self, response: httpx.Response, scope: anyio.CancelScope, assembler: SseAssembler, watch: StreamWatch
    ) -> wire.AttemptOutcome:
        splitter = SseLineSplitter()
        scope.deadline = watch.next_limit_at()
        pieces = response.aiter_bytes()
        try:
            async for data in pieces:
                if take_lines(splitter.feed(data), anyio.current_time(), assembler, watch):
                    break
                limit = watch.next_limit_at()
                if limit != scope.deadline:
                    scope.deadline = limit
            else:
                take_lines(splitter.flush(), anyio.current_time(), assembler, watch)
        finally:
            with anyio.CancelScope(shield=True):
                await pieces.aclose()  # type: ignore[attr-defined]
        return wire.stream_outcome(response.status_code, assembler, watch, anyio.current_time())
