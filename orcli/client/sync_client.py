"""The synchronous resilient client: a thin I/O loop around :mod:`orcli.client.core`.

Time comes from the injected :class:`~orcli.clock.Clock`. With a
:class:`~orcli.clock.VirtualClock`, a transport that advances the clock stands in for
latency; the client checks every limit against the clock after each response and each
stream line, so a late answer counts as late even though nothing really waited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

import httpx

from orcli.client import http, wire
from orcli.client.classify import classify_exception
from orcli.client.core import AttemptPlan
from orcli.client.ledger import ChatResult
from orcli.client.shell import ChatOptions, ClientShell
from orcli.client.stream import SseAssembler, SseLineSplitter, take_lines
from orcli.clock import Clock, SystemClock


class Client(ClientShell[httpx.BaseTransport, Clock]):
    """Applies one workflow's policy to chat-completion calls; the arguments are
    :class:`~orcli.client.shell.ClientShell`'s (``clock`` defaults to the system clock)."""

    def _system_clock(self) -> Clock:
        return SystemClock()

    def _open_transport(self, injected: httpx.BaseTransport | None, url: httpx.URL) -> httpx.BaseTransport:
        return http.sync_transport(injected, url)

    def close(self) -> None:
        self._overrides.close()
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def chat(self, messages: Sequence[Mapping[str, Any]], **options: Unpack[ChatOptions]) -> ChatResult:
        """One logical request, with every retry and fallback the policy allows; the options
        are :class:`~orcli.client.shell.ChatOptions`.

        Raises :class:`orcli.errors.BudgetExceeded` (nothing sent) when the first attempt's
        worst-case cost would break a cap, and :class:`orcli.errors.ClientPolicyError` for a
        model outside the workflow's chain; every other failure is in the returned result.
        """
        with self._request(messages, options) as request:
            while (step := request.step()) is not None:
                if isinstance(step, float):
                    self._clock.sleep(step)
                else:
                    request.record(step, self._send(step))
        return request.finish()

    def _send(self, plan: AttemptPlan) -> wire.AttemptOutcome:
        clock = self._clock
        request = self._requests.build(plan.body, plan.headers, plan.timeout())
        try:
            response = self._transport.handle_request(request)
            response.request = request
        except httpx.HTTPError as exc:
            return wire.failed(classify_exception(exc, streaming_started=False), clock.now())
        status = response.status_code
        try:
            headers_at = clock.now()
            if headers_at > plan.headers_due_at():
                # A real transport would have timed out before these headers: record no response.
                return wire.failed(plan.headers_late(), headers_at)
            if not (plan.stream and status < 300 and wire.is_event_stream(response.headers.get("content-type"))):
                raw = response.read()
                ended = clock.now()
                if ended > plan.limit_at:
                    failure = wire.late_failure(plan.limit_at - plan.started_at, "complete response")
                    return wire.AttemptOutcome(
                        status=status, body=None, failure=failure, ended_at=ended, first_token_at=headers_at
                    )
                wall_now = self._engine.settings.wall_now
                return wire.interpret(
                    status, response.headers, raw, wall_now=wall_now, ended_at=ended, first_token_at=headers_at
                )
            return self._read_stream(plan, response)
        except httpx.HTTPError as exc:
            return wire.failed(classify_exception(exc, streaming_started=False), clock.now(), status)
        finally:
            response.close()

    def _read_stream(self, plan: AttemptPlan, response: httpx.Response) -> wire.AttemptOutcome:
        clock = self._clock
        assembler = SseAssembler()
        watch = plan.watch()
        splitter = SseLineSplitter()
        try:
            for data in response.iter_bytes():
                now = clock.now()
                late = watch.expired(now)
                if late is not None:
                    return wire.stream_outcome(response.status_code, assembler, watch, now, late)
                if take_lines(splitter.feed(data), now, assembler, watch):
                    break
            else:
                take_lines(splitter.flush(), clock.now(), assembler, watch)
        except httpx.HTTPError as exc:
            failure = wire.stream_exception_failure(exc, assembler, watch)
            return wire.stream_outcome(response.status_code, assembler, watch, clock.now(), failure)
        return wire.stream_outcome(response.status_code, assembler, watch, clock.now())
