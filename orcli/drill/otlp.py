"""A drill as OpenTelemetry traces, written as OTLP/JSON (``orcli drill --otlp-json FILE``).

Each drill request is one trace, with the spans the client reports in production (the same
names and GenAI attributes, from :mod:`orcli.client.genai`):

    chat {model}                 CLIENT: the logical request, as judged by the drill
      attempt {n} {model}        one per HTTP request the client sent
        upstream {provider}      one per provider attempt inside the simulated OpenRouter,
                                 as OpenRouter's Broadcast nests them under a request

Times are simulated: 2026-01-01T00:00:00Z is the drill's start, so the same seed writes the
same file. Injected faults are marked with ``orcli.fault.id`` (on the upstream attempt they
hit and on the client attempt that saw them) and a ``fault`` event at the moment they fired.
Trace and span ids are derived from the scenario, seed and request number.

The file is one OTLP/HTTP JSON export request: POST it to any OTLP/HTTP receiver's
``/v1/traces`` (Jaeger, Grafana Tempo, an OpenTelemetry Collector).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orcli import __version__
from orcli.client import genai
from orcli.client.ledger import Attempt
from orcli.drill.records import DrillResult, RequestRecord
from orcli.upstream.faults import Firing
from orcli.upstream.records import AttemptRecord, ChatRequestRecord
from orcli.upstream.simulator import EPOCH_S

SERVER_ADDRESS = "openrouter.ai"  # the simulator stands in for it
KIND_INTERNAL = 1
KIND_CLIENT = 3
STATUS_ERROR = 2

Json = dict[str, Any]


@dataclass(frozen=True)
class UpstreamRecords:
    """What the simulator remembered of one drill (kept only when traces are asked for)."""

    requests: tuple[ChatRequestRecord, ...]
    attempts: tuple[AttemptRecord, ...]
    firings: tuple[Firing, ...]


def write_otlp_json(drills: Sequence[tuple[DrillResult, UpstreamRecords | None]], path: Path) -> None:
    document = {"resourceSpans": [resource_spans(result, upstream) for result, upstream in drills]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


def resource_spans(result: DrillResult, upstream: UpstreamRecords | None) -> Json:
    builder = _Builder(result, upstream)
    spans = [span for record in result.requests for span in builder.request(record)]
    resource: genai.Attributes = {
        "service.name": "orcli-drill",
        "service.version": __version__,
        "orcli.scenario": result.scenario,
        "orcli.seed": result.seed,
        "orcli.policy": result.policy_path,
    }
    return {
        "resource": {"attributes": attributes(resource)},
        "scopeSpans": [{"scope": {"name": "orcli", "version": __version__}, "spans": spans}],
    }


class _Builder:
    def __init__(self, result: DrillResult, upstream: UpstreamRecords | None) -> None:
        self.result = result
        self.origin_s = _origin(result)
        self._by_generation: dict[str, ChatRequestRecord] = {}
        self._by_start: dict[tuple[float, tuple[str, ...]], deque[ChatRequestRecord]] = defaultdict(deque)
        self._attempts: dict[int, list[AttemptRecord]] = defaultdict(list)
        self._firings: dict[int, list[Firing]] = defaultdict(list)
        if upstream is not None:
            for request in upstream.requests:
                if request.generation_id:
                    self._by_generation[request.generation_id] = request
                self._by_start[(round(request.at_s, 6), request.models)].append(request)
            for attempt in upstream.attempts:
                self._attempts[attempt.request_index].append(attempt)
            for firing in upstream.firings:
                self._firings[firing.request_index].append(firing)

    def _id(self, size: int, *parts: object) -> str:
        seed = "|".join(str(p) for p in (self.result.scenario, self.result.seed, *parts))
        return hashlib.blake2b(seed.encode(), digest_size=size).hexdigest()

    def _upstream(self, attempt: Attempt) -> ChatRequestRecord | None:
        """The simulator's record of the HTTP request behind a client attempt: by generation id
        when the client saw one, else the request that arrived at the same instant with the
        same models (in-process, sending and arriving are the same moment)."""
        if attempt.generation_id and attempt.generation_id in self._by_generation:
            found = self._by_generation[attempt.generation_id]
            waiting = self._by_start.get((round(found.at_s, 6), found.models))
            if waiting and found in waiting:
                waiting.remove(found)
            return found
        waiting = self._by_start.get((round(attempt.started_at, 6), attempt.models))
        return waiting.popleft() if waiting else None

    def request(self, record: RequestRecord) -> list[Json]:
        result = record.result
        trace_id = self._id(16, record.index)
        request_id = self._id(8, record.index, "request")
        end_s = max([record.at_s, *(a.started_at - self.origin_s + _finite(a.latency_s) for a in result.attempts)])
        attrs = genai.request_attributes(result, stream=record.stream, server_address=SERVER_ADDRESS)
        attrs.update(
            {
                "orcli.drill.request": record.index + 1,
                "orcli.drill.kind": record.kind,
                "orcli.drill.outcome": record.outcome.value,
                "orcli.drill.reason": record.reason,
            }
        )
        model = result.chain[0] if result.chain else "unknown"
        spans = [
            span(
                trace_id,
                request_id,
                None,
                genai.request_span_name(model),
                KIND_CLIENT,
                record.at_s,
                end_s,
                attrs,
                error=None if result.ok else (result.error_message or genai.outcome(result)),
            )
        ]
        for attempt in result.attempts:
            spans.extend(self._attempt(trace_id, request_id, record, attempt))
        return spans

    def _attempt(self, trace_id: str, parent_id: str, record: RequestRecord, attempt: Attempt) -> list[Json]:
        attempt_id = self._id(8, record.index, "attempt", attempt.index)
        start_s = attempt.started_at - self.origin_s
        end_s = start_s + _finite(attempt.latency_s)
        attrs = genai.attempt_attributes(attempt, workflow=record.workflow, server_address=SERVER_ADDRESS)
        upstream = self._upstream(attempt)
        firings = self._firings.get(upstream.index, []) if upstream else []
        if firings:
            attrs["orcli.fault.id"] = firings[0].fault_id
            attrs["orcli.fault.ids"] = sorted({f.fault_id for f in firings})
        events = [
            {
                "timeUnixNano": _ns(f.at_s),
                "name": "fault",
                "attributes": attributes(
                    {"orcli.fault.id": f.fault_id, "orcli.fault.kind": f.kind}
                    | ({"orcli.fault.provider": f.provider} if f.provider else {})
                ),
            }
            for f in firings
        ]
        out = [
            span(
                trace_id,
                attempt_id,
                parent_id,
                genai.attempt_span_name(attempt),
                KIND_INTERNAL,
                start_s,
                end_s,
                attrs,
                error=None if attempt.ok else attempt.detail,
                events=events,
            )
        ]
        for hop in self._attempts.get(upstream.index, []) if upstream else []:
            hop_attrs: genai.Attributes = {
                "gen_ai.provider.name": genai.PROVIDER,
                "gen_ai.request.model": hop.model,
                "http.response.status_code": hop.status,
                "orcli.upstream.provider": hop.provider,
                "orcli.upstream.endpoint": hop.endpoint,
                "orcli.upstream.attempt": hop.attempt,
                "orcli.upstream.outcome": hop.outcome,
                "orcli.upstream.byok": hop.is_byok,
            }
            if hop.fault_id:
                hop_attrs["orcli.fault.id"] = hop.fault_id
            hop_end = min(hop.started_at_s + _finite(hop.latency_s), max(end_s, hop.started_at_s))
            out.append(
                span(
                    trace_id,
                    self._id(8, record.index, "attempt", attempt.index, "upstream", hop.attempt),
                    attempt_id,
                    f"upstream {hop.endpoint}",
                    KIND_INTERNAL,
                    hop.started_at_s,
                    hop_end,
                    hop_attrs,
                    error=None if hop.status == 200 else hop.outcome,
                )
            )
        return out


def _origin(result: DrillResult) -> float:
    """Clock time of the drill's start. A mock drill's loop starts at 0; a live drill's clock is
    the machine's, so its start is placed where the first request says it arrived."""
    if result.target == "mock":
        return 0.0
    starts = [r.result.attempts[0].started_at - r.at_s for r in result.requests if r.result.attempts]
    return min(starts, default=0.0)


def _finite(seconds: float) -> float:
    return seconds if math.isfinite(seconds) else 0.0


def _ns(at_s: float) -> str:
    """Simulated seconds since the drill's start as Unix nanoseconds (a string, as OTLP/JSON has int64)."""
    return str(EPOCH_S * 1_000_000_000 + round(at_s * 1e9))


def span(
    trace_id: str,
    span_id: str,
    parent_id: str | None,
    name: str,
    kind: int,
    start_s: float,
    end_s: float,
    attrs: Mapping[str, genai.AttributeValue],
    *,
    error: str | None = None,
    events: Iterable[Json] = (),
) -> Json:
    out: Json = {"traceId": trace_id, "spanId": span_id}
    if parent_id is not None:
        out["parentSpanId"] = parent_id
    out.update(
        {
            "name": name,
            "kind": kind,
            "startTimeUnixNano": _ns(start_s),
            "endTimeUnixNano": _ns(max(start_s, end_s)),
            "attributes": attributes(attrs),
        }
    )
    listed = list(events)
    if listed:
        out["events"] = listed
    if error is not None:
        out["status"] = {"code": STATUS_ERROR, "message": error}
    return out


def attributes(values: Mapping[str, genai.AttributeValue]) -> list[Json]:
    return [{"key": key, "value": any_value(value)} for key, value in values.items()]


def any_value(value: genai.AttributeValue) -> Json:
    """OTLP/JSON's AnyValue: int64 as a string, arrays of strings as arrayValue."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"arrayValue": {"values": [{"stringValue": str(item)} for item in value]}}
