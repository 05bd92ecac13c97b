"""``orcli drill --otlp-json``: a drill as OTLP/JSON traces on simulated time, faults marked."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.upstream.simulator import EPOCH_S

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "model-outage-general-chat.yaml"


def drill(tmp_path: Path, *extra: str) -> Any:
    result = CliRunner().invoke(app, ["drill", str(SCENARIO), "-q", *extra])
    assert result.exit_code == 0, result.output
    return result


def attrs(span: dict[str, Any]) -> dict[str, Any]:
    def plain(value: dict[str, Any]) -> Any:
        (kind, raw), *_ = value.items()
        if kind == "intValue":
            return int(raw)
        if kind == "arrayValue":
            return [plain(v) for v in raw["values"]]
        return raw

    return {a["key"]: plain(a["value"]) for a in span["attributes"]}


def test_each_request_is_a_trace_of_request_attempt_and_upstream_spans(tmp_path: Path) -> None:
    out = tmp_path / "drill.otlp.json"
    drill(tmp_path, "--otlp-json", str(out), "--json", str(tmp_path / "report.json"))
    document = json.loads(out.read_text(encoding="utf-8"))
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))

    (resource,) = document["resourceSpans"]
    resource_attrs = attrs(resource["resource"])
    assert resource_attrs["service.name"] == "orcli-drill"
    assert resource_attrs["orcli.scenario"] == "model-outage-general-chat"
    (scope,) = resource["scopeSpans"]
    assert scope["scope"]["name"] == "orcli"
    spans = scope["spans"]
    by_id = {s["spanId"]: s for s in spans}
    requests = [s for s in spans if s["kind"] == 3]
    assert len(requests) == len(report["requests"])
    assert len({s["traceId"] for s in requests}) == len(requests)  # one trace per request

    for span in spans:
        assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
        assert int(span["startTimeUnixNano"]) >= EPOCH_S * 10**9  # simulated time, from 2026-01-01
        assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"])
        parent = by_id.get(span.get("parentSpanId", ""))
        if span["kind"] == 3:
            assert "parentSpanId" not in span and span["name"] == "chat openai/gpt-4o-mini"
        elif span["name"].startswith("attempt "):
            assert parent is not None and parent["kind"] == 3 and parent["traceId"] == span["traceId"]
        else:
            assert span["name"].startswith("upstream ")
            assert parent is not None and parent["name"].startswith("attempt ")

    first = attrs(requests[0])
    assert first["gen_ai.operation.name"] == "chat" and first["gen_ai.provider.name"] == "openrouter"
    assert first["orcli.workflow"] == "general-chat" and first["orcli.drill.request"] == 1
    outcomes = Counter(attrs(s)["orcli.drill.outcome"] for s in requests)
    assert outcomes == Counter(r["outcome"] for r in report["requests"])


def test_injected_faults_are_marked_where_they_hit(tmp_path: Path) -> None:
    out = tmp_path / "drill.otlp.json"
    drill(tmp_path, "--otlp-json", str(out), "--json", str(tmp_path / "report.json"))
    spans = json.loads(out.read_text(encoding="utf-8"))["resourceSpans"][0]["scopeSpans"][0]["spans"]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    declared = {f["id"] for f in report["faults"]["declared"]}

    upstream_hit = [s for s in spans if s["name"].startswith("upstream ") and "orcli.fault.id" in attrs(s)]
    events = [e for s in spans for e in s.get("events", []) if e["name"] == "fault"]
    assert upstream_hit and {attrs(s)["orcli.fault.id"] for s in upstream_hit} <= declared
    for span in upstream_hit:
        assert span["status"]["code"] == 2 and attrs(span)["orcli.upstream.outcome"] == "outage"
    # Every firing of the drill is an event on the client attempt that saw it.
    assert len(events) == len(report["faults"]["fired"])
    marked = [s for s in spans if s["name"].startswith("attempt ") and "orcli.fault.id" in attrs(s)]
    assert {attrs(s)["orcli.fault.id"] for s in marked} <= declared
    assert sum(len(s.get("events", [])) for s in marked) == len(events)


def test_the_export_is_deterministic_and_changes_no_report(tmp_path: Path) -> None:
    drill(tmp_path, "--otlp-json", str(tmp_path / "a.json"), "--json", str(tmp_path / "with.json"))
    drill(tmp_path, "--otlp-json", str(tmp_path / "b.json"))
    drill(tmp_path, "--json", str(tmp_path / "without.json"))
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "with.json").read_bytes() == (tmp_path / "without.json").read_bytes()
