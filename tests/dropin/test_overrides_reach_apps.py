"""Route overrides reach the openai drop-in through the client, and telemetry names them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import openai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import orcli
from orcli.client.otel import OtelObserver
from orcli.overrides import OverrideAction, new_override
from orcli.overrides.feed import FixedFeed
from orcli.policy.model import Workflow
from orcli.testing import OrcliMock

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
PRIMARY = "openai/gpt-4o-mini"
FALLBACK = "google/gemini-2.5-flash"
MESSAGES: list[Any] = [{"role": "user", "content": "Hello?"}]


def test_an_on_call_override_reaches_the_sdk_and_its_span(orcli_mock: OrcliMock) -> None:
    override = new_override(
        action=OverrideAction.DISABLE,
        model=PRIMARY,
        provider=None,
        reason="incident",
        created_at=T0,
        created_by="oncall",
        expires_at=None,
    )
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    http_client = orcli.openai_http_client(
        Workflow.model_validate({"models": {"primary": PRIMARY, "fallbacks": [FALLBACK]}}),
        "support",
        transport=orcli_mock.transport(),
        clock=orcli_mock.clock,
        overrides=FixedFeed((override,)),
        wall_now=lambda: T0.timestamp(),
        telemetry=OtelObserver(tracer_provider=tracer_provider),
    )
    sdk = openai.OpenAI(base_url=orcli_mock.base_url, api_key="sk-test", http_client=http_client, max_retries=0)

    raw = sdk.chat.completions.with_raw_response.create(model=PRIMARY, messages=MESSAGES)

    assert raw.parse().model == FALLBACK
    assert all(PRIMARY not in r.models for r in orcli_mock.requests)
    result = orcli.chat_result(raw)
    assert result is not None and result.overrides == (override.id,)
    (span,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert (span.attributes or {})["orcli.override_ids"] == (override.id,)
