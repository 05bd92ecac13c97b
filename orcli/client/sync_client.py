"""The synchronous resilient client: a thin I/O loop around :mod:`orcli.client.core`.

Time comes from the injected :class:`~orcli.clock.Clock`. With a
:class:`~orcli.clock.VirtualClock`, a transport that advances the clock stands in for
latency; the client checks every limit against the clock after each response and each
stream line, so a late answer counts as late even though nothing really waited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from orcli.catalog.model import Catalog
from orcli.client import http, observe, otel, wire
from orcli.client.classify import classify_exception
from orcli.client.core import AttemptPlan, Engine, FallbackChoice
from orcli.client.ledger import ChatResult
from orcli.client.observe import AUTO, ObserverChoice
from orcli.client.settings import build_settings
from orcli.client.stream import SseAssembler, SseLineSplitter, take_lines
from orcli.clock import Clock, SystemClock
from orcli.openrouter import BASE_URL
from orcli.policy.model import Workflow


class Client:
    """Applies one workflow's policy to chat-completion calls.

    ``fallback_mode`` defaults to the policy's ``app_fallback.mode``; ``auto`` sends
    OpenRouter's ``models`` to openrouter.ai (or a transport whose ``openrouter_compatible``
    attribute is true) and walks the chain itself against any other base URL.
    """

    def __init__(
        self,
        policy_workflow: Workflow,
        *,
        api_key: str | None = None,
        base_url: str = BASE_URL,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
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
        self._clock: Clock = clock or SystemClock()
        # The key is added per request and never stored on the transport.
        self._transport = http.sync_transport(transport, self._url)

    @classmethod
    def from_policy(cls, path: str | Path, workflow: str, **kwargs: Any) -> Client:
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
        return f"Client(workflow={settings.workflow_name!r}, url={settings.chat_url!r}, mode={settings.mode!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def chat(
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
        """One logical request, with every retry and fallback the policy allows.

        Raises :class:`orcli.errors.BudgetExceeded` (nothing sent) when the first attempt's
        worst-case cost would break a cap; every other failure is in the returned result.
        """
        watch, trace_fields = observe.begin(self._observer, self._engine.settings, stream, self._clock.now())
        try:
            result = self._chat(
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
                watch.abandon(exc, self._clock.now())
            raise
        if watch is not None:
            watch.finish(result, self._clock.now())
        return result

    def _chat(
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
        clock = self._clock
        run = self._engine.start(
            clock.now(),
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
            wait = run.wait_before_next(clock.now())
            if wait > 0:
                clock.sleep(wait)
            plan = run.next_attempt(clock.now())
            if plan is None:
                continue
            run.record(plan, self._send(plan))
        return run.result()

    def _send(self, plan: AttemptPlan) -> wire.AttemptOutcome:
        clock = self._clock
        request = self._requests.build(plan.body, plan.headers, plan.timeout())
        try:
            response = self._transport.handle_request(request)
            response.request = request
        except httpx.HTTPError as exc:
            return wire.AttemptOutcome(
                status=None,
                body=None,
                failure=classify_exception(exc, streaming_started=False),
                ended_at=clock.now(),
                first_token_at=None,
            )
        status = response.status_code
        try:
            headers_at = clock.now()
            if headers_at > plan.headers_due_at():
                # A real transport would have timed out before these headers: record no response.
                return wire.AttemptOutcome(
                    status=None, body=None, failure=plan.headers_late(), ended_at=headers_at, first_token_at=None
                )
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
            return wire.AttemptOutcome(
                status=status,
                body=None,
                failure=classify_exception(exc, streaming_started=False),
                ended_at=clock.now(),
                first_token_at=None,
            )
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
