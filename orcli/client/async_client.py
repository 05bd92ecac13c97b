"""The asynchronous resilient client: the same decisions as :class:`~orcli.client.Client`,
with anyio doing the waiting.

Time and waits come from the injected :class:`~orcli.clock.AsyncClock`, by default the
event loop's (``anyio.current_time()``, ``anyio.sleep``); every limit is a cancel scope
with an absolute deadline, so a stalled stream is cut when its limit passes rather
than when the next chunk happens to arrive. Under trio's ``MockClock(autojump_threshold=0)``
all of it runs in virtual time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

import anyio
import httpx

from orcli.client import http, wire
from orcli.client.classify import classify_exception
from orcli.client.core import AttemptPlan
from orcli.client.ledger import ChatResult
from orcli.client.shell import ChatOptions, ClientShell
from orcli.client.stream import SseAssembler, SseLineSplitter, StreamWatch, take_lines
from orcli.clock import LOOP_CLOCK, AsyncClock


class AsyncClient(ClientShell[httpx.AsyncBaseTransport, AsyncClock]):
    """Async twin of :class:`~orcli.client.Client`: the same arguments, ``chat`` is awaited.
    ``clock`` defaults to the event loop's (:class:`~orcli.clock.LoopClock`)."""

    def _system_clock(self) -> AsyncClock:
        return LOOP_CLOCK

    def _open_transport(self, injected: httpx.AsyncBaseTransport | None, url: httpx.URL) -> httpx.AsyncBaseTransport:
        return http.async_transport(injected, url)

    def _loop_time(self, at: float) -> float:
        """A time on the client's clock as the event loop's time: cancel scopes run on the loop."""
        if self._clock is LOOP_CLOCK:
            return at
        return at - self._clock.now() + anyio.current_time()

    async def aclose(self) -> None:
        self._overrides.close()
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def chat(self, messages: Sequence[Mapping[str, Any]], **options: Unpack[ChatOptions]) -> ChatResult:
        """See :meth:`orcli.client.Client.chat`."""
        with self._request(messages, options) as request:
            while (step := request.step()) is not None:
                if isinstance(step, float):
                    await self._clock.sleep(step)
                else:
                    request.record(step, await self._send(step))
        return request.finish()

    async def _send(self, plan: AttemptPlan) -> wire.AttemptOutcome:
        now = self._clock.now
        request = self._requests.build(plan.body, plan.headers, plan.timeout())
        response: httpx.Response | None = None
        headers_at: float | None = None
        reading: tuple[SseAssembler, StreamWatch] | None = None  # set once the body is read as a stream
        try:
            # One cancel scope for the whole attempt, its deadline moved from phase to phase:
            # the response headers, then the complete body or the stream's next event.
            with anyio.CancelScope(deadline=self._loop_time(plan.headers_due_at())) as scope:
                response = await self._transport.handle_async_request(request)
                response.request = request
                headers_at = now()
                status = response.status_code
                if plan.stream and status < 300 and wire.is_event_stream(response.headers.get("content-type")):
                    reading = (SseAssembler(), plan.watch())
                    return await self._read_stream(response, scope, *reading)
                scope.deadline = self._loop_time(plan.limit_at)
                raw = await response.aread()
                wall_now = self._engine.settings.wall_now
                return wire.interpret(
                    status,
                    response.headers,
                    raw,
                    wall_now=wall_now,
                    ended_at=now(),
                    first_token_at=headers_at,
                )
        except httpx.HTTPError as exc:
            failed_at = now()
            if reading is not None and response is not None:
                failure = wire.stream_exception_failure(exc, *reading)
                return wire.stream_outcome(response.status_code, *reading, failed_at, failure)
            status_seen = response.status_code if response is not None else None
            return wire.failed(classify_exception(exc, streaming_started=False), failed_at, status_seen)
        finally:
            if response is not None:
                with anyio.CancelScope(shield=True):
                    await response.aclose()
        # Only a cancelled scope gets here: the phase that ran out names the failure.
        cut_at = now()
        if response is None:
            return wire.failed(plan.headers_late(), cut_at)
        if reading is not None:
            return wire.stream_outcome(response.status_code, *reading, cut_at, reading[1].timed_out())
        failure = wire.late_failure(plan.limit_at - plan.started_at, "complete response")
        return wire.AttemptOutcome(
            status=response.status_code, body=None, failure=failure, ended_at=cut_at, first_token_at=headers_at
        )

    async def _read_stream(
        self, response: httpx.Response, scope: anyio.CancelScope, assembler: SseAssembler, watch: StreamWatch
    ) -> wire.AttemptOutcome:
        now = self._clock.now
        splitter = SseLineSplitter()
        scope.deadline = self._loop_time(watch.next_limit_at())
        pieces = response.aiter_bytes()
        try:
            async for data in pieces:
                if take_lines(splitter.feed(data), now(), assembler, watch):
                    break
                limit = self._loop_time(watch.next_limit_at())
                if limit != scope.deadline:
                    scope.deadline = limit
            else:
                take_lines(splitter.flush(), now(), assembler, watch)
        finally:
            with anyio.CancelScope(shield=True):
                await pieces.aclose()  # type: ignore[attr-defined]
        return wire.stream_outcome(response.status_code, assembler, watch, now())
