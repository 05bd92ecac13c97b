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
from orcli.client import http, wire
from orcli.client.classify import classify_exception
from orcli.client.core import AttemptPlan, Engine, FallbackChoice
from orcli.client.ledger import ChatResult
from orcli.client.settings import build_settings
from orcli.client.stream import SseAssembler, SseLineSplitter, take_lines
from orcli.policy.model import Workflow


class AsyncClient:
    """Async twin of :class:`~orcli.client.Client` (same arguments, ``chat`` is awaited)."""

    def __init__(
        self,
        policy_workflow: Workflow,
        *,
        api_key: str | None = None,
        base_url: str = wire.DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int = 0,
        fallback_mode: FallbackChoice | None = None,
        workflow_name: str = "default",
        catalog: Catalog | None = None,
        app_url: str | None = None,
        app_title: str | None = wire.DEFAULT_APP_TITLE,
        wall_now: Callable[[], float] | None = None,
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
        self._url = httpx.URL(settings.chat_url)  # parsed once: httpx would re-parse a str per request
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
    ) -> ChatResult:
        """See :meth:`orcli.client.Client.chat`."""
        run = self._engine.start(
            anyio.current_time(),
            messages,
            tools=tools,
            tool_choice=tool_choice,
            response_format=response_format,
            stream=stream,
            max_tokens=max_tokens,
            idempotency_key=idempotency_key,
        )
        while not run.finished:
            wait = run.wait_before_next(anyio.current_time())
            if wait > 0:
                await anyio.sleep(wait)
            plan = run.plan(anyio.current_time())
            if plan is None:
                continue
            run.record(plan, await self._send(plan))
        return run.result()

    async def _send(self, plan: AttemptPlan) -> wire.Outcome:
        request = http.build_request(self._url, plan.body, plan.headers, plan.timeout())
        limit_s = plan.limit_at - plan.started_at
        response: httpx.Response | None = None
        try:
            with anyio.CancelScope(deadline=plan.headers_due_at()) as scope:
                response = await self._transport.handle_async_request(request)
                response.request = request
            if response is None or scope.cancelled_caught:
                return wire.Outcome(None, None, plan.headers_late(), anyio.current_time(), None)
        except httpx.HTTPError as exc:
            failure = classify_exception(exc, streaming_started=False)
            return wire.Outcome(None, None, failure, anyio.current_time(), None)
        status = response.status_code
        try:
            headers_at = anyio.current_time()
            if not (plan.stream and status < 300 and wire.is_event_stream(response.headers.get("content-type"))):
                raw = b""
                with anyio.CancelScope(deadline=plan.limit_at) as scope:
                    raw = await response.aread()
                ended = anyio.current_time()
                if scope.cancelled_caught:
                    failure = wire.late_failure(limit_s, "complete response")
                    return wire.Outcome(status, None, failure, ended, headers_at)
                wall_now = self._engine.settings.wall_now
                return wire.interpret(
                    status, response.headers, raw, wall_now=wall_now, ended_at=ended, first_token_at=headers_at
                )
            return await self._read_stream(plan, response)
        except httpx.HTTPError as exc:
            return wire.Outcome(
                status, None, classify_exception(exc, streaming_started=False), anyio.current_time(), None
            )
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()

    async def _read_stream(self, plan: AttemptPlan, response: httpx.Response) -> wire.Outcome:
        assembler = SseAssembler()
        watch = plan.watch()
        splitter = SseLineSplitter()
        pieces = response.aiter_bytes()
        status = response.status_code
        try:
            # One cancel scope for the whole stream, its deadline moved as events arrive:
            # the same limits as a scope per read, without entering one per read.
            with anyio.CancelScope(deadline=watch.next_limit_at()) as scope:
                async for data in pieces:
                    if take_lines(splitter.feed(data), anyio.current_time(), assembler, watch):
                        break
                    limit = watch.next_limit_at()
                    if limit != scope.deadline:
                        scope.deadline = limit
                else:
                    take_lines(splitter.flush(), anyio.current_time(), assembler, watch)
            if scope.cancelled_caught:
                return wire.stream_outcome(status, assembler, watch, anyio.current_time(), watch.timed_out())
        except httpx.HTTPError as exc:
            failure = wire.stream_exception_failure(exc, assembler, watch)
            return wire.stream_outcome(status, assembler, watch, anyio.current_time(), failure)
        finally:
            with anyio.CancelScope(shield=True):
                await pieces.aclose()  # type: ignore[attr-defined]
        return wire.stream_outcome(status, assembler, watch, anyio.current_time())
