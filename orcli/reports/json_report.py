"""The drill report as JSON: a versioned schema, stable key order, byte-identical for equal records.

Decimals become exact strings in one canonical form, floats are rounded to
FLOAT_PLACES, and nothing depends on the wall clock or the machine, so the same
scenario and seed give the same bytes. No header, key, prompt or answer body is
ever written: the idempotency key and the response body are left out on purpose.

Layout of one drill (``orcli.drill/4``)::

    schema, passed, scenario{name, path, description, seed, target, policy_path, workflows,
    overrides, override_ids, notes}, duration_s, totals{...metrics over every request}, metrics{workflow: ...},
    faults{declared[...with fired count], fired[...]}, expectations[...], requests[...with attempts]

A folder run (``orcli.drill-suite/4``) is ``schema, passed, totals, drills[<one drill each>]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from importlib import resources
from typing import Any

from orcli.client.ledger import Attempt, UpstreamHop
from orcli.drill.metrics import LatencyPercentiles, WorkflowMetrics, drill_metrics, workflow_metrics
from orcli.drill.records import (
    DeclaredFault,
    DrillResult,
    ExpectationResult,
    FiredFault,
    Outcome,
    RequestRecord,
)
from orcli.reports.common import Report, as_results, attempt_chain, decimal_json, fired_counts, workflow_order

# 2: scenario.override_ids. 3: each request has "number", 1-based as people and
# from_request count ("index" stays 0-based). 4: requests name their served_endpoint by
# routing tag; metrics add handled_rate, byok_answers/shared_answers, truncated_answers and
# truncation_rate; faults show matched and applied counts.
DRILL_SCHEMA = "orcli.drill/4"
SUITE_SCHEMA = "orcli.drill-suite/4"  # its drills are orcli.drill/4
FLOAT_PLACES = 6
SCHEMA_RESOURCE = "drill_report.schema.json"

Json = dict[str, Any]


def drill_to_json(result: DrillResult) -> Json:
    """One drill as plain JSON data, keys in a fixed order."""
    return {**_drill_head(result), "requests": [_request(r) for r in result.requests]}


def _drill_head(result: DrillResult) -> Json:
    """Everything but the requests, which come last (an empty list here)."""
    fired = fired_counts(result)
    applied = fired_counts(result, applied=True)
    return {
        "schema": DRILL_SCHEMA,
        "passed": result.passed,
        "scenario": {
            "name": result.scenario,
            "path": result.scenario_path,
            "description": result.description,
            "seed": result.seed,
            "target": result.target,
            "policy_path": result.policy_path,
            "workflows": list(result.workflows),
            "overrides": list(result.overrides),
            "override_ids": list(result.override_ids),
            "notes": list(result.notes),
        },
        "duration_s": _float(result.duration_s),
        "totals": _metrics(drill_metrics(result.requests)),
        "metrics": {name: _metrics(workflow_metrics(name, result.requests)) for name in workflow_order(result)},
        "faults": {
            "declared": [_declared(f, fired[f.fault_id], applied[f.fault_id]) for f in result.declared_faults],
            "fired": [_fired(f) for f in result.fired],
        },
        "expectations": [_expectation(e) for e in result.expectations],
        "requests": [],
    }


def suite_to_json(results: Sequence[DrillResult]) -> Json:
    """A folder run: every drill's report, and the totals across them."""
    return {**_suite_head(results), "drills": [drill_to_json(r) for r in results]}


def _suite_head(results: Sequence[DrillResult]) -> Json:
    every_request = [record for r in results for record in r.requests]
    return {
        "schema": SUITE_SCHEMA,
        "passed": all(r.passed for r in results),
        "totals": {
            "scenarios": len(results),
            "scenarios_passed": sum(r.passed for r in results),
            "scenarios_failed": sum(not r.passed for r in results),
            "expectations": sum(len(r.expectations) for r in results),
            "expectations_failed": sum(not e.passed for r in results for e in r.expectations),
            "requests": len(every_request),
            "outcomes": _outcomes(every_request),
            "cost_usd": decimal_json(sum((r.total_cost_usd for r in results), Decimal(0))),
        },
        "drills": [],
    }


def pieces(report: Report) -> Iterator[str]:
    """The report's text, one request at a time: the bytes of ``json.dumps(..., indent=2)``
    of the whole document, without ever holding it. A 100,000-request report built whole
    took more than a gigabyte (every request as dicts, then the encoder's pieces)."""
    if isinstance(report, DrillResult):
        yield from _drill_pieces(report, "")
    else:
        results = as_results(report)
        yield from _fill(_suite_head(results), "drills", (_drill_pieces(r, "    ") for r in results), "")
    yield "\n"


def _drill_pieces(result: DrillResult, pad: str) -> Iterator[str]:
    inner = pad + "    "
    requests = ((_indent(_json(_request(r)), inner),) for r in result.requests)
    yield from _fill(_drill_head(result), "requests", requests, pad)


def _fill(data: Json, key: str, items: Iterable[Iterable[str]], pad: str) -> Iterator[str]:
    """``data`` (whose last key is ``key``, an empty list) as indented JSON at ``pad``, with
    the list filled by ``items``, each already rendered at its own depth."""
    text = _indent(_json(data), pad)
    head, marker, tail = text.rpartition(f'"{key}": []')
    assert marker and not tail.strip(" \n}"), f"'{key}' must be the last key"
    started = False
    for item in items:
        yield f'{head}"{key}": [\n' if not started else ",\n"
        started = True
        yield from item
    yield f"\n{pad}  ]{tail}" if started else text


def _indent(text: str, pad: str) -> str:
    return pad + text.replace("\n", "\n" + pad) if pad else text


def _json(data: Json) -> str:
    # allow_nan=False: a NaN would make invalid JSON; records never hold one, so it is a bug if they do.
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)


def dumps(result: DrillResult) -> str:
    return "".join(pieces(result))


def suite_dumps(results: Sequence[DrillResult]) -> str:
    return "".join(pieces(list(results)))


def render(report: Report) -> str:
    """The registry's writer: one drill gives a drill report, a folder run a suite report."""
    return "".join(pieces(report))


def report_schema() -> Json:
    """The JSON Schema (draft 2020-12) both report layouts follow."""
    text = resources.files("orcli.reports").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: Json = json.loads(text)
    return schema


def _float(value: float) -> float:
    # float() so an int and an equal float print alike; + 0.0 turns -0.0 into 0.0.
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite figure: {number}")
    return round(number, FLOAT_PLACES) + 0.0


def _optional_float(value: float | None) -> float | None:
    return None if value is None else _float(value)


def _outcomes(records: Sequence[RequestRecord]) -> dict[str, int]:
    counts = {o.value: 0 for o in Outcome}
    for record in records:
        counts[record.outcome.value] += 1
    return counts


def _percentiles(p: LatencyPercentiles) -> Json:
    return {"p50": _float(p.p50), "p95": _float(p.p95), "p99": _float(p.p99)}


def _metrics(m: WorkflowMetrics) -> Json:
    validity = m.tool_call_validity
    return {
        "requests": m.requests,
        "outcomes": dict(m.outcomes),
        "user_facing_success_rate": _float(m.user_facing_success_rate),
        "handled_rate": _float(m.handled_rate),
        "fallback_frequency": _float(m.fallback_frequency),
        "byok_answers": m.byok_answers,
        "shared_answers": m.answered - m.byok_answers,
        "truncated_answers": m.truncated_answers,
        "truncation_rate": _float(m.truncation_rate),
        "provider_selection": dict(m.provider_selection),
        "latency_s": _percentiles(m.latency_s),
        "latency_by_provider_s": {name: _percentiles(p) for name, p in m.latency_by_provider.items()},
        "cost_usd": decimal_json(m.cost_usd),
        "attempts_total": m.attempts_total,
        "max_attempts": m.max_attempts,
        "tool_calls": {
            "checked": m.tool_calls_checked,
            "malformed": m.tool_calls_malformed,
            "validity": None if validity is None else _float(validity),
        },
        "error_distribution": dict(m.error_distribution),
    }


def _declared(fault: DeclaredFault, fired: int, applied: int) -> Json:
    return {
        "id": fault.fault_id,
        "kind": fault.kind,
        "target": fault.target,
        "window": fault.window,
        "start_s": _optional_float(fault.start_s),
        "end_s": _optional_float(fault.end_s),
        "fired": fired,
        "applied": applied,
    }


def _fired(firing: FiredFault) -> Json:
    return {
        "id": firing.fault_id,
        "kind": firing.kind,
        "at_s": _float(firing.at_s),
        "provider": firing.provider,
        "model": firing.model,
        "applied": firing.applied,
    }


def _expectation(e: ExpectationResult) -> Json:
    return {"name": e.name, "kind": e.kind, "passed": e.passed, "summary": e.summary, "evidence": list(e.evidence)}


def _request(r: RequestRecord) -> Json:
    result = r.result
    return {
        "index": r.index,
        "number": r.index + 1,
        "at_s": _float(r.at_s),
        "workflow": r.workflow,
        "kind": r.kind,
        "stream": r.stream,
        "tools_offered": r.tools_offered,
        "outcome": r.outcome.value,
        "reason": r.reason,
        "violations": list(r.violations),
        "fallback_depth": r.fallback_depth,
        "ok": result.ok,
        "served_model": result.served_model,
        "served_provider": result.served_provider,
        "served_endpoint": r.endpoint,
        "error_class": None if result.error_class is None else result.error_class.value,
        "error_message": result.error_message,
        "fail_safe_message": result.fail_safe_message,
        "alerts": list(result.alerts),
        "slot_wait_s": _float(r.slot_wait_s),
        "latency_s": _float(r.latency_s),
        "cost_usd": decimal_json(result.cost_usd),
        "chain": attempt_chain(r),
        "attempts": [_attempt(a) for a in result.attempts],
    }


def _attempt(a: Attempt) -> Json:
    return {
        "index": a.index,
        "model": a.model,
        "served_model": a.served_model,
        "provider": a.provider,
        "status": a.status,
        "error_class": None if a.error_class is None else a.error_class.value,
        "detail": a.detail,
        "started_at": _float(a.started_at),
        "latency_s": _float(a.latency_s),
        "ttft_s": _optional_float(a.ttft_s),
        "prompt_tokens": a.prompt_tokens,
        "completion_tokens": a.completion_tokens,
        "cost_usd": decimal_json(a.cost_usd),
        "wait_before_s": _float(a.wait_before_s),
        "next_hop": None if a.next_hop is None else str(a.next_hop),
        "upstream_hops": [_hop(h) for h in a.upstream_hops],
        "retry_after_s": _optional_float(a.retry_after_s),
        "models": list(a.models),
        "stream": a.stream,
        "ignored_providers": list(a.ignored_providers),
        "generation_id": a.generation_id,
        "cost_estimated": a.cost_estimated,  # cost_usd is the client's estimate (no usage came back)
        "warnings": list(a.warnings),
    }


def _hop(h: UpstreamHop) -> Json:
    return {"provider": h.provider, "model": h.model, "status": h.status}
