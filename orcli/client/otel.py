"""OpenTelemetry for the resilient client: a CLIENT span per request, a child per attempt,
and the GenAI metrics, all derived from the request's ledger once it is finished.

Only ``opentelemetry-api`` is imported, and only here, lazily: without it (the
``orcli[otel]`` extra) :func:`auto_observer` returns None and the client reports nothing.
With the API but no SDK configured, spans are non-recording and no ``trace`` field is sent.

The request span starts when the request does, so that its id can go to OpenRouter in the
``trace`` field (``trace_id``, ``parent_span_id``) and Broadcast's spans nest under it. The
attempt spans are written when the ledger is complete, each with its own start and end
time taken from the ledger (the client's clock, placed on the wall clock at the start).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orcli.client import genai
from orcli.client.ledger import ChatResult
from orcli.client.observe import AUTO, Observer, ObserverChoice, RequestStart
from orcli.version import __version__

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, TracerProvider

INSTRUMENTATION = "orcli"
_AUTO: list[OtelObserver | None] = []  # resolved once per process


def resolve(choice: ObserverChoice) -> Observer | None:
    """A client's observer: ``AUTO`` becomes the OpenTelemetry observer when the API is installed."""
    if choice != AUTO:
        return choice
    return auto_observer()


def auto_observer() -> OtelObserver | None:
    """An observer on the global tracer and meter providers, or None without the API."""
    if not _AUTO:
        try:
            import opentelemetry.metrics
            import opentelemetry.trace  # noqa: F401
        except ImportError:
            _AUTO.append(None)
        else:
            _AUTO.append(OtelObserver())
    return _AUTO[0]


class OtelObserver:
    """Spans and metrics through the OpenTelemetry API (the global providers by default)."""

    def __init__(
        self, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
    ) -> None:
        from opentelemetry import metrics, trace

        self._tracer = trace.get_tracer(INSTRUMENTATION, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(INSTRUMENTATION, __version__, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration"
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Input and output tokens used"
        )
        self.attempts = meter.create_counter(
            "orcli.client.attempts", unit="{attempt}", description="HTTP attempts sent, by workflow, provider, result"
        )
        self.fallbacks = meter.create_counter(
            "orcli.client.fallbacks", unit="{fallback}", description="Moves to the next model of a workflow's chain"
        )
        self.requests = meter.create_counter(
            "orcli.client.requests", unit="{request}", description="Logical requests, by workflow and outcome"
        )

    def start(self, request: RequestStart) -> _OtelWatch:
        from opentelemetry.trace import SpanKind

        wall_ns = time.time_ns()
        attributes = genai.common(model=request.model, stream=request.stream, server_address=request.server_address)
        attributes["orcli.workflow"] = request.workflow
        span = self._tracer.start_span(
            genai.request_span_name(request.model),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=wall_ns,
        )
        return _OtelWatch(self, span, request, wall_ns)


class _OtelWatch:
    def __init__(self, observer: OtelObserver, span: Span, request: RequestStart, wall_ns: int) -> None:
        self._observer = observer
        self._span = span
        self._request = request
        self._wall_ns = wall_ns

    def _ns(self, at: float) -> int:
        """A time on the client's clock, on the wall clock."""
        return self._wall_ns + max(0, round((at - self._request.started_at) * 1e9))

    def body_fields(self) -> Mapping[str, Any]:
        context = self._span.get_span_context()
        if not (context.is_valid and self._span.is_recording()):
            return {}  # a span nobody records: OpenRouter's spans would have no parent to nest under
        return {
            "trace": {"trace_id": format(context.trace_id, "032x"), "parent_span_id": format(context.span_id, "016x")}
        }

    def finish(self, result: ChatResult, now: float) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        request = self._request
        span = self._span
        end_ns = self._ns(now)
        if not span.is_recording():
            # No SDK, or sampled out: no span to fill in, but the metrics still count.
            span.end(end_time=end_ns)
            self._measure(result, (end_ns - self._wall_ns) / 1e9)
            return
        parent = trace.set_span_in_context(span)
        for attempt in result.attempts:
            child = self._observer._tracer.start_span(
                genai.attempt_span_name(attempt),
                context=parent,
                kind=SpanKind.INTERNAL,
                attributes=genai.attempt_attributes(
                    attempt, workflow=result.workflow, server_address=request.server_address
                ),
                start_time=self._ns(attempt.started_at),
            )
            if not attempt.ok:
                child.set_status(Status(StatusCode.ERROR, attempt.detail))
            child.end(end_time=self._ns(attempt.started_at + attempt.latency_s))
        span.set_attributes(
            genai.request_attributes(result, stream=request.stream, server_address=request.server_address)
        )
        if not result.ok:
            span.set_status(Status(StatusCode.ERROR, result.error_message or genai.outcome(result)))
        span.end(end_time=end_ns)
        self._measure(result, (end_ns - self._wall_ns) / 1e9)

    def abandon(self, error: BaseException, now: float) -> None:
        from opentelemetry.trace import Status, StatusCode

        kind = "budget_exceeded" if type(error).__name__ == "BudgetExceeded" else type(error).__qualname__
        self._span.set_attribute("error.type", kind)
        self._span.set_status(Status(StatusCode.ERROR, kind))
        self._span.end(end_time=self._ns(now))

    def _measure(self, result: ChatResult, duration_s: float) -> None:
        observer = self._observer
        attributes = genai.metric_attributes(result, server_address=self._request.server_address)
        observer.duration.record(duration_s, attributes)
        last = result.attempts[-1] if result.ok and result.attempts else None
        if last is not None:
            observer.tokens.record(last.prompt_tokens, {**attributes, "gen_ai.token.type": "input"})
            observer.tokens.record(last.completion_tokens, {**attributes, "gen_ai.token.type": "output"})
        for attempt in result.attempts:
            observer.attempts.add(
                1,
                {
                    "orcli.workflow": result.workflow,
                    "orcli.served_provider": attempt.provider or "none",
                    "orcli.result": attempt.error_class.value if attempt.error_class else "ok",
                },
            )
        if result.fallbacks:
            observer.fallbacks.add(result.fallbacks, {"orcli.workflow": result.workflow})
        observer.requests.add(
            1,
            {
                "orcli.workflow": result.workflow,
                "orcli.outcome": genai.outcome(result),
                "orcli.served_provider": result.served_provider or "none",
            },
        )
