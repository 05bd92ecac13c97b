"""The client's OpenTelemetry spans and metrics, read back through the SDK's in-memory exporters."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from orcli import AsyncClient, Client
from orcli.catalog.load import default_catalog
from orcli.client.hops import FallbackHop
from orcli.client.otel import OtelObserver
from orcli.errors import BudgetExceeded
from orcli.policy.model import Workflow
from orcli.testing import OrcliMock

PRIMARY = "openai/gpt-4o-mini"
FALLBACK = "google/gemini-2.5-flash"
MESSAGES = [{"role": "user", "content": "What changed in the last release?"}]


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metrics])
        self.observer = OtelObserver(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def request_span(self) -> ReadableSpan:
        (span,) = [s for s in self.finished() if s.kind is SpanKind.CLIENT]
        return span

    def attempt_spans(self) -> list[ReadableSpan]:
        return sorted((s for s in self.finished() if s.name.startswith("attempt ")), key=lambda s: s.start_time or 0)

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    t = Telemetry()
    yield t
    t.tracer_provider.shutdown()
    t.meter_provider.shutdown()


class Recording(httpx.BaseTransport):
    """The network edge, recording each body sent (to see the ``trace`` field)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.bodies: list[dict[str, Any]] = []
        self.openrouter_compatible = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.read()))
        return self.inner.handle_request(request)


def workflow(**extra: Any) -> Workflow:
    # No quick same-route retry: a 502 is one failed attempt, then the fallback.
    fields = {"models": {"primary": PRIMARY, "fallbacks": [FALLBACK]}, "retry": {"same_route": 0}, **extra}
    return Workflow.model_validate(fields)


def client(mock: OrcliMock, telemetry: Telemetry, transport: httpx.BaseTransport | None = None, **kw: Any) -> Client:
    return Client(
        kw.pop("policy", workflow()),
        api_key="sk-or-test",
        transport=transport or mock.transport(),
        clock=mock.clock,
        workflow_name="support",
        telemetry=telemetry.observer,
        **kw,
    )


def test_a_fallback_is_one_client_span_with_a_child_per_attempt(orcli_mock: OrcliMock, telemetry: Telemetry) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, status=502)
    result = client(orcli_mock, telemetry, fallback_mode="client").chat(MESSAGES)
    assert result.ok and len(result.attempts) == 2

    span = telemetry.request_span()
    assert span.name == f"chat {PRIMARY}"
    served = result.attempts[-1]
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": PRIMARY,
        "gen_ai.request.stream": False,
        "server.address": "openrouter.ai",
        "gen_ai.response.model": FALLBACK,
        "gen_ai.response.id": served.generation_id,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": served.prompt_tokens,
        "gen_ai.usage.output_tokens": served.completion_tokens,
        "orcli.served_provider": served.provider,
        "orcli.fallback_depth": 1,
        "orcli.workflow": "support",
        "orcli.outcome": "served",
        "orcli.attempts": 2,
        "orcli.retries": 0,
        "orcli.fallbacks": 1,
        "orcli.cost_usd": float(result.cost_usd),
        "orcli.fallback_mode": "client",
        "orcli.stop_reason": "served",
    }
    assert span.status.status_code is StatusCode.UNSET
    assert served.generation_id and served.generation_id.startswith("gen-")

    failed, ok = telemetry.attempt_spans()
    for child in (failed, ok):
        assert child.parent is not None and child.parent.span_id == span.context.span_id
        assert child.context.trace_id == span.context.trace_id
    assert failed.name == f"attempt 1 {PRIMARY}" and ok.name == f"attempt 2 {FALLBACK}"
    first = result.attempts[0]
    assert failed.attributes is not None and ok.attributes is not None
    assert failed.attributes["error.type"] == "provider_failure"
    assert failed.attributes["http.response.status_code"] == 502
    assert failed.attributes["orcli.attempt.index"] == 1
    assert failed.attributes["orcli.next_hop"] == str(first.next_hop) and first.next_hop == FallbackHop(FALLBACK)
    assert failed.status.status_code is StatusCode.ERROR
    assert ok.attributes["gen_ai.response.model"] == FALLBACK and "error.type" not in ok.attributes
    # Each child lasts what the ledger says the attempt lasted, on the client's clock.
    assert (failed.end_time or 0) - (failed.start_time or 0) == pytest.approx(first.latency_s * 1e9, abs=2)
    assert (ok.start_time or 0) - (span.start_time or 0) == pytest.approx(served.started_at * 1e9, abs=2)


def test_the_trace_field_nests_openrouters_spans_under_the_apps_span(
    orcli_mock: OrcliMock, telemetry: Telemetry
) -> None:
    recording = Recording(orcli_mock.transport())
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle ticket") as app_span:
        client(orcli_mock, telemetry, recording).chat(MESSAGES)

    span = telemetry.request_span()
    assert span.parent is not None and span.parent.span_id == app_span.get_span_context().span_id
    (body,) = recording.bodies
    assert body["trace"] == {
        "trace_id": format(span.context.trace_id, "032x"),
        "parent_span_id": format(span.context.span_id, "016x"),
    }


def test_a_request_no_route_answers_is_an_error_span(orcli_mock: OrcliMock, telemetry: Telemetry) -> None:
    orcli_mock.fault(kind="outage", status=503)
    policy = workflow(degradation={"mode": "fail_safe", "user_message": "Try again later."})
    result = client(orcli_mock, telemetry, policy=policy).chat(MESSAGES)
    assert not result.ok

    span = telemetry.request_span()
    attributes = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "provider_failure"
    assert attributes["orcli.outcome"] == "failed_safe"
    assert "gen_ai.response.model" not in attributes
    assert len(telemetry.attempt_spans()) == len(result.attempts)


def test_a_budget_refusal_ends_the_span_with_its_error_type(orcli_mock: OrcliMock, telemetry: Telemetry) -> None:
    policy = workflow(budget={"max_cost_per_request_usd": 0.0000001})
    with pytest.raises(BudgetExceeded):
        client(orcli_mock, telemetry, policy=policy, catalog=default_catalog()).chat(MESSAGES)

    span = telemetry.request_span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "budget_exceeded"
    assert telemetry.attempt_spans() == []


def test_metrics_count_duration_tokens_attempts_fallbacks_and_outcomes(
    orcli_mock: OrcliMock, telemetry: Telemetry
) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, status=502)
    sdk_client = client(orcli_mock, telemetry, fallback_mode="client")
    first = sdk_client.chat(MESSAGES)
    second = sdk_client.chat(MESSAGES)
    served = first.attempts[-1]

    (duration, *others) = telemetry.points("gen_ai.client.operation.duration")
    assert others == [] and duration.count == 2
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": PRIMARY,
        "gen_ai.response.model": FALLBACK,
        "server.address": "openrouter.ai",
        "orcli.workflow": "support",
    }
    assert duration.sum == pytest.approx(first.latency_s + second.latency_s, rel=1e-6)
    tokens = {p.attributes["gen_ai.token.type"]: p for p in telemetry.points("gen_ai.client.token.usage")}
    assert tokens["input"].sum == served.prompt_tokens + second.attempts[-1].prompt_tokens
    assert tokens["output"].count == 2
    attempts = {p.attributes["orcli.result"]: p.value for p in telemetry.points("orcli.client.attempts")}
    assert attempts == {"provider_failure": 2, "ok": 2}
    (fallbacks,) = telemetry.points("orcli.client.fallbacks")
    assert fallbacks.value == 2 and dict(fallbacks.attributes) == {"orcli.workflow": "support"}
    (requests,) = telemetry.points("orcli.client.requests")
    assert requests.value == 2 and requests.attributes["orcli.outcome"] == "served"
    assert requests.attributes["orcli.served_provider"] == served.provider


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_client_reports_the_same_spans(orcli_mock: OrcliMock, telemetry: Telemetry) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, status=502)
    async with AsyncClient(
        workflow(),
        api_key="sk-or-test",
        transport=orcli_mock.async_transport(),
        workflow_name="support",
        telemetry=telemetry.observer,
        fallback_mode="client",
    ) as async_client:
        result = await async_client.chat(MESSAGES, stream=True)

    span = telemetry.request_span()
    assert result.ok and (span.attributes or {})["gen_ai.request.stream"] is True
    assert (span.attributes or {})["gen_ai.response.model"] == FALLBACK
    assert [s.name for s in telemetry.attempt_spans()] == [f"attempt 1 {PRIMARY}", f"attempt 2 {FALLBACK}"]


def test_without_a_configured_sdk_no_trace_field_is_sent(orcli_mock: OrcliMock) -> None:
    recording = Recording(orcli_mock.transport())
    Client(workflow(), api_key="k", transport=recording, clock=orcli_mock.clock).chat(MESSAGES)
    assert "trace" not in recording.bodies[0]


def test_without_opentelemetry_installed_the_client_reports_nothing() -> None:
    program = """
import sys
sys.modules["opentelemetry"] = None  # as if the orcli[otel] extra were not installed
from orcli import Client
from orcli.client.otel import auto_observer
from orcli.policy.model import Workflow
from orcli.testing import OrcliMock

mock = OrcliMock()
client = Client(Workflow.model_validate({"models": {"primary": "openai/gpt-4o-mini"}}), api_key="k",
                transport=mock.transport(), clock=mock.clock)
assert client.chat([{"role": "user", "content": "hi"}]).ok
assert auto_observer() is None
print("quiet")
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "quiet"


def test_sampled_out_requests_write_no_spans_but_still_count(orcli_mock: OrcliMock) -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    telemetry = Telemetry()
    telemetry.tracer_provider = TracerProvider(sampler=ALWAYS_OFF)
    telemetry.tracer_provider.add_span_processor(SimpleSpanProcessor(telemetry.spans))
    telemetry.observer = OtelObserver(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    recording = Recording(orcli_mock.transport())

    assert client(orcli_mock, telemetry, recording).chat(MESSAGES).ok

    assert telemetry.finished() == []
    assert "trace" not in recording.bodies[0]
    (requests,) = telemetry.points("orcli.client.requests")
    assert requests.value == 1
