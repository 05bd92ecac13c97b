"""One self-contained HTML page per drill or folder run: verdict, incident timeline, figures.

The timeline is inline SVG: x is simulated time, one lane per model@provider, one
mark per attempt (OpenRouter's internal failover hops included) coloured by what
happened next, and every fault's window shaded and labelled. Hovering a mark shows
the request's attempt chain; clicking pins it below the chart.

Large drills stay light: a lane whose marks would overlap is drawn as stacked
counts per time bucket (a handful of paths, whatever the volume), individual marks
are capped at MAX_MARKS, and the embedded per-request data keeps only the requests a
mark points at plus a bounded sample of failed and degraded ones. Everything is a
pure function of the records (no clock, no randomness, sorted keys), so equal
records give byte-identical pages. Every piece of text from a scenario, policy or
catalog is escaped; the JSON data blocks escape ``<``, ``>`` and ``&`` as well.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

from orcli.drill.chain import answered_by
from orcli.drill.metrics import LatencyPercentiles, drill_metrics, workflow_metrics
from orcli.drill.records import DrillResult, Outcome, RequestRecord
from orcli.reports.common import (
    OUTCOME_LABELS,
    SEVERITY,
    Report,
    as_results,
    attempt_chain,
    failed_expectation_count,
    fired_counts,
    fired_text,
    outcome_counts,
    percent,
    request_number,
    time_kind,
    usd_text,
    workflow_order,
)
from orcli.reports.html_assets import SCRIPT, STYLE
from orcli.reports.timeline import (
    UNKNOWN_PROVIDER,
    UNKNOWN_PROVIDER_LABEL,
    Lane,
    StepKind,
    build_lanes,
    request_steps,
    ticks,
    time_span_s,
)

# Timeline geometry, in SVG user units (the drawing scales to the page width).
LABEL_W = 300  # lane labels
PLOT_W = 1000  # the time axis
RIGHT_PAD = 20
AXIS_H = 26
FAULT_ROW_H = 30  # a label line above the window bar and its firing ticks
LANE_GAP = 6
LANE_H = 32
MARK_W = 3.0
MARK_H = 5.0
MARK_ROWS = 4  # marks close in time stack into rows before a lane counts as crowded
MARK_PITCH = 6.5
BUCKET_PX = 4  # a crowded lane's time bucket
BUCKETS = PLOT_W // BUCKET_PX

# Bounds that keep a 100,000-request report quick to open.
MAX_MARKS = 2000  # individual attempt marks in one timeline
MAX_SAMPLED_REQUESTS = 600  # failed/degraded requests embedded for crowded lanes and the table
SAMPLES_PER_BUCKET = 4
NOTABLE_ROWS = 100
OUTCOME_BUCKETS = 60
STACK_ORDER = (StepKind.FAILED, StepKind.FELL_BACK, StepKind.RETRIED, StepKind.OK)  # worst on the baseline

SERVED_OUTCOMES = frozenset({Outcome.SERVED})


def render(report: Report) -> str:
    """The registry's writer: one drill, or a folder run with a summary on top."""
    return to_html(as_results(report))


def to_html(results: Sequence[DrillResult]) -> str:
    title = results[0].scenario if len(results) == 1 else f"{len(results)} scenarios"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>orcli drill: {escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
    ]
    if len(results) > 1:
        parts.append(_suite_summary(results))
    for number, result in enumerate(results):
        parts.append(_drill_section(result, number))
    parts += ['<div id="tip" role="tooltip"></div>', f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


# ---- page sections -------------------------------------------------------------------------


def _suite_summary(results: Sequence[DrillResult]) -> str:
    passed = sum(r.passed for r in results)
    rows = []
    for number, r in enumerate(results):
        counts = outcome_counts(r.requests)
        cells = "".join(f'<td class="num">{counts[o]}</td>' for o in OUTCOME_LABELS)
        met = len(r.expectations) - failed_expectation_count(r)
        rows.append(
            f'<tr><td>{_badge(r.passed)}</td><td><a href="#drill-{number}">{escape(r.scenario)}</a></td>'
            f'<td class="num">{len(r.requests)}</td>{cells}<td class="num">{met}/{len(r.expectations)}</td></tr>'
        )
    heads = "".join(f'<th class="num">{escape(label)}</th>' for label in OUTCOME_LABELS.values())
    return (
        '<div class="suite panel">'
        f"<h1>orcli drill: {passed} of {len(results)} scenarios passed {_badge(passed == len(results))}</h1>"
        f'<table><thead><tr><th></th><th>scenario</th><th class="num">requests</th>{heads}'
        '<th class="num">expectations met</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _drill_section(result: DrillResult, number: int) -> str:
    timeline = _Timeline.of(result)
    details = _embedded_requests(result, timeline)
    data = {
        "bucket_px": BUCKET_PX,
        "bucket_s": _round(timeline.span_s / BUCKETS),
        "lanes": timeline.lane_data(details.keys()),
        "plot_x": LABEL_W,
        "requests": {str(index): _request_data(record) for index, record in sorted(details.items())},
    }
    source = f"drill-data-{number}"
    return "\n".join(
        [
            f'<section class="drill" id="drill-{number}" data-source="{source}">',
            _header(result),
            '<div class="panel">',
            "<h2>Timeline: every attempt, by model@provider</h2>",
            timeline.svg(),
            _legend(timeline),
            '<div class="inspector"><span class="hint">Hover a mark for its request\'s attempt chain; '
            "click to pin it here. On a bucketed lane, click a column for its counts.</span></div>",
            "</div>",
            '<div class="grid">',
            _panel("Expectations", _expectations(result)),
            _panel("Outcomes per workflow over time", _outcomes_over_time(result, timeline.span_s)),
            _panel("Latency per provider (per attempt)", _latency_table(result)),
            _panel("Cost per workflow", _cost_table(result)),
            _panel("Faults", _faults_table(result)),
            "</div>",
            '<div class="panel notable">',
            "<h2>Requests that need a look</h2>",
            _notable_table(result),
            "</div>",
            f'<script type="application/json" id="{source}">{_json_for_script(data)}</script>',
            "</section>",
        ]
    )


def _header(result: DrillResult) -> str:
    failed = [e for e in result.expectations if not e.passed]
    if result.passed:
        total = len(result.expectations)
        verdict = f"All {total} expectations met." if total else "No expectations declared."
    else:
        names = ", ".join(e.name for e in failed)
        verdict = f"{len(failed)} of {len(result.expectations)} expectations failed: {names}"
    counts = outcome_counts(result.requests)
    total = len(result.requests)
    tiles = "".join(
        f'<div class="tile {o.value}"><b>{counts[o]:,}</b><span>{escape(OUTCOME_LABELS[o])}'
        f"{f' ({percent(counts[o] / total)})' if total else ''}</span></div>"
        for o in (Outcome.SERVED, Outcome.DEGRADED, Outcome.FAILED_SAFE, Outcome.FAILED)
    )
    tiles += f'<div class="tile cost"><b>{escape(usd_text(result.total_cost_usd))}</b><span>total cost</span></div>'
    meta = [
        ("scenario", result.scenario_path),
        ("policy", result.policy_path),
        ("seed", str(result.seed)),
        ("target", result.target),
        ("workflows", ", ".join(result.workflows)),
        (time_kind(result), f"{result.duration_s:.2f} s, {total:,} requests"),
        ("overrides", "; ".join(result.overrides) or "none"),
    ]
    meta += [("note", note) for note in result.notes]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in meta)
    description = f'<p class="desc">{escape(result.description)}</p>' if result.description else ""
    state = "pass" if result.passed else "fail"
    return (
        f"<h1>Drill <span>{escape(result.scenario)}</span> {_badge(result.passed)}</h1>"
        f'{description}<p class="verdict {state}">{escape(verdict)}</p>'
        f'<dl class="meta">{rows}</dl><div class="tiles">{tiles}</div>'
    )


def _badge(passed: bool) -> str:
    return '<span class="badge pass">PASSED</span>' if passed else '<span class="badge fail">FAILED</span>'


def _panel(title: str, body: str) -> str:
    return f'<div class="panel"><h2>{escape(title)}</h2>{body}</div>'


def _legend(timeline: _Timeline) -> str:
    items = "".join(f'<span><i class="sw k-{k.value}"></i>{escape(k.label)}</span>' for k in StepKind)
    items += '<span><i class="sw fault"></i>fault window, with firings as ticks</span>'
    crowded = sum(not lane.individual for lane in timeline.lanes)
    note = ""
    if crowded:
        bucket = timeline.span_s / BUCKETS
        note = (
            f'<p class="note">{crowded} busy lane(s) are drawn as stacked counts per {bucket:.3g} s bucket '
            "(worst results at the bottom; each lane scaled to its busiest bucket).</p>"
        )
    return f'<div class="legend">{items}</div>{note}'


def _expectations(result: DrillResult) -> str:
    if not result.expectations:
        return '<p class="note">No expectations declared.</p>'
    items = []
    for e in result.expectations:
        mark = '<span class="mark pass">PASS</span>' if e.passed else '<span class="mark fail">FAIL</span>'
        evidence = "".join(f"<li><code>{escape(line)}</code></li>" for line in e.evidence)
        items.append(
            f"<li>{mark}<b>{escape(e.name)}</b>: {escape(e.summary)}{f'<ul>{evidence}</ul>' if evidence else ''}</li>"
        )
    return f'<ul class="exp">{"".join(items)}</ul>'


def _outcomes_over_time(result: DrillResult, span_s: float) -> str:
    order = (Outcome.FAILED, Outcome.FAILED_SAFE, Outcome.DEGRADED, Outcome.SERVED)
    width, height, left, plot_h = 520, 96, 40, 72
    bucket_w = (width - left - 8) / OUTCOME_BUCKETS
    bucket_s = span_s / OUTCOME_BUCKETS
    charts = []
    for workflow in workflow_order(result):
        counts: dict[int, dict[Outcome, int]] = {}
        for record in result.requests:
            if record.workflow == workflow:
                b = min(int(record.at_s / bucket_s), OUTCOME_BUCKETS - 1) if bucket_s > 0 else 0
                counts.setdefault(b, dict.fromkeys(Outcome, 0))[record.outcome] += 1
        peak = max((sum(c.values()) for c in counts.values()), default=0)
        body = [
            f'<line class="grid-line" x1="{left}" y1="{plot_h + 4}" x2="{width - 8}" y2="{plot_h + 4}"/>',
            f'<text class="small" x="{left - 4}" y="12" text-anchor="end">{peak}</text>',
            f'<text class="small" x="{left - 4}" y="{plot_h + 4}" text-anchor="end">0</text>',
            f'<text class="small" x="{left}" y="{height - 4}">0 s</text>',
            f'<text class="small" x="{width - 8}" y="{height - 4}" text-anchor="end">{span_s:.1f} s</text>',
        ]
        for b, c in sorted(counts.items()):
            x = left + b * bucket_w
            y = plot_h + 4.0
            rects = []
            for outcome in order:
                if c[outcome]:
                    h = max(1.0, c[outcome] / peak * (plot_h - 8))
                    y -= h
                    rects.append(
                        f'<rect class="o-{outcome.value}" x="{_n(x)}" y="{_n(y)}" '
                        f'width="{_n(bucket_w - 0.8)}" height="{_n(h)}"/>'
                    )
            tally = ", ".join(f"{c[o]} {OUTCOME_LABELS[o]}" for o in reversed(order) if c[o])
            title = f"{b * bucket_s:.1f}-{(b + 1) * bucket_s:.1f} s: {tally}"
            body.append(f"<g><title>{escape(title)}</title>{''.join(rects)}</g>")
        charts.append(
            f'<div class="wf-chart"><h3>{escape(workflow)}</h3>'
            f'<svg class="outcomes" data-workflow="{escape(workflow)}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img">{"".join(body)}</svg></div>'
        )
    legend = "".join(f'<span><i class="sw o-{o.value}"></i>{escape(OUTCOME_LABELS[o])}</span>' for o in reversed(order))
    note = f'<p class="note">Requests by arrival time, {span_s / OUTCOME_BUCKETS:.3g} s per bar.</p>'
    return "".join(charts) + f'<div class="legend">{legend}</div>{note}'


def _latency_table(result: DrillResult) -> str:
    by_provider = drill_metrics(result.requests).latency_by_provider
    if not by_provider:
        return '<p class="note">No attempts.</p>'
    attempts: dict[str, int] = {}
    for record in result.requests:
        for attempt in record.result.attempts:
            key = answered_by(attempt)
            attempts[key] = attempts.get(key, 0) + 1
    scale = max((p.p99 for p in by_provider.values()), default=0.0) or 1.0
    rows = "".join(
        f'<tr><td>{escape(name)}</td><td class="num">{attempts.get(name, 0)}</td>'
        f'<td class="num">{p.p50:.2f} s</td><td class="num">{p.p95:.2f} s</td><td class="num">{p.p99:.2f} s</td>'
        f"<td>{_latency_bar(p, scale)}</td></tr>"
        for name, p in by_provider.items()
    )
    return (
        '<table><thead><tr><th>provider</th><th class="num">attempts</th><th class="num">p50</th>'
        '<th class="num">p95</th><th class="num">p99</th><th></th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        '<p class="note">Nearest-rank percentiles of every attempt, failed ones included; '
        "bars share one scale (dark p50, middle p95, light p99).</p>"
    )


def _latency_bar(p: LatencyPercentiles, scale: float) -> str:
    spans = "".join(
        f'<span class="{name}" style="width:{value / scale * 100:.1f}%"></span>'
        for name, value in (("p99", p.p99), ("p95", p.p95), ("p50", p.p50))
    )
    return f'<div class="bar">{spans}</div>'


def _cost_table(result: DrillResult) -> str:
    metrics = [workflow_metrics(name, result.requests) for name in workflow_order(result)]
    top = max((m.cost_usd for m in metrics), default=Decimal(0)) or Decimal(1)
    rows = []
    for m in metrics:
        per_request = (m.cost_usd / m.requests).quantize(Decimal("1e-8")) if m.requests else Decimal(0)
        share = float(m.cost_usd / top) * 100
        rows.append(
            f'<tr><td>{escape(m.workflow)}</td><td class="num">{m.requests}</td>'
            f'<td class="num">{escape(usd_text(m.cost_usd))}</td>'
            f'<td class="num">{escape(usd_text(per_request))}</td>'
            f'<td class="num">{percent(m.fallback_frequency)}</td>'
            f'<td><div class="bar"><span class="cost" style="width:{share:.1f}%"></span></div></td></tr>'
        )
    return (
        '<table><thead><tr><th>workflow</th><th class="num">requests</th><th class="num">cost</th>'
        '<th class="num">per request</th><th class="num">fallback</th><th></th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="note">Total {escape(usd_text(result.total_cost_usd))}, every attempt that was billed included.</p>'
    )


def _faults_table(result: DrillResult) -> str:
    fired = fired_counts(result)
    applied = fired_counts(result, applied=True)
    declared = {f.fault_id: f for f in result.declared_faults}
    if not fired:
        return '<p class="note">No faults declared.</p>'
    rows = []
    for fault_id, count in fired.items():
        fault = declared.get(fault_id)
        kind, target, window = (fault.kind, fault.target, fault.window) if fault else ("?", "?", "undeclared")
        rows.append(
            f"<tr><td><code>{escape(fault_id)}</code></td><td>{escape(kind)}</td><td>{escape(target)}</td>"
            f'<td>{escape(window)}</td><td class="num">{escape(fired_text(count, applied[fault_id]))}</td></tr>'
        )
    return (
        '<table><thead><tr><th>fault</th><th>kind</th><th>target</th><th>when</th><th class="num">fired</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _notable_table(result: DrillResult) -> str:
    notable = _notable(result.requests)
    if not notable:
        return '<p class="note">Every request was served by its primary route.</p>'
    rows = "".join(
        f'<tr data-r="{r.index}"><td class="num">#{request_number(r)}</td><td class="num">{r.at_s:.2f} s</td>'
        f"<td>{escape(r.workflow)}</td>"
        f'<td><span class="outcome {r.outcome.value}">{escape(OUTCOME_LABELS[r.outcome])}</span></td>'
        f'<td class="mono">{escape(attempt_chain(r))}</td></tr>'
        for r in notable[:NOTABLE_ROWS]
    )
    more = len([r for r in result.requests if r.outcome not in SERVED_OUTCOMES]) - min(len(notable), NOTABLE_ROWS)
    note = f'<p class="note">{more} more not shown; the JSON report lists every request.</p>' if more > 0 else ""
    return (
        '<p class="note">Worst first; click a row for its attempts.</p>'
        '<div class="scroll"><table><thead><tr><th class="num">#</th><th class="num">t</th><th>workflow</th>'
        f"<th>outcome</th><th>attempts</th></tr></thead><tbody>{rows}</tbody></table></div>{note}"
    )


def _notable(records: Sequence[RequestRecord]) -> list[RequestRecord]:
    rank = {outcome: position for position, outcome in enumerate(SEVERITY)}
    chosen = [r for r in records if r.outcome not in SERVED_OUTCOMES]
    return sorted(chosen, key=lambda r: (rank[r.outcome], r.index))


# ---- the timeline --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timeline:
    result: DrillResult
    span_s: float
    lanes: tuple[_PlacedLaneView, ...]

    @classmethod
    def of(cls, result: DrillResult) -> _Timeline:
        span_s = time_span_s(result)
        budget = MAX_MARKS
        placed: list[_PlacedLaneView] = []
        for lane in build_lanes(result.requests):
            rows = _pack(lane, lambda t: _x(t, span_s)) if len(lane.marks) <= budget else None
            if rows is not None:
                budget -= len(rows)
            placed.append(_PlacedLaneView(lane, rows, {} if rows is not None else _bucket_table(lane, span_s)))
        return cls(result, span_s, tuple(placed))

    def lane_data(self, embedded: Iterable[int]) -> list[dict[str, Any]]:
        known = set(embedded)
        data: list[dict[str, Any]] = []
        for view in self.lanes:
            entry: dict[str, Any] = {"route": view.lane.route, "marks": len(view.lane.marks)}
            if not view.individual:
                entry["buckets"] = [
                    [b, *(counts[k] for k in StepKind), [r for r in samples if r in known]]
                    for b, (counts, samples) in sorted(view.buckets.items())
                ]
            data.append(entry)
        return data

    def fault_rows(self) -> list[tuple[str, str, str, float | None, float | None, bool]]:
        """(id, kind, label, start, end, declared) for every declared fault, then undeclared firings."""
        rows: list[tuple[str, str, str, float | None, float | None, bool]] = []
        for f in self.result.declared_faults:
            rows.append((f.fault_id, f.kind, f"{f.kind} · {f.target} · {f.window}", f.start_s, f.end_s, True))
        seen = {f.fault_id for f in self.result.declared_faults}
        for firing in self.result.fired:
            if firing.fault_id not in seen:
                seen.add(firing.fault_id)
                rows.append((firing.fault_id, firing.kind, f"{firing.kind} (undeclared)", None, None, False))
        return rows

    def svg(self) -> str:
        span = self.span_s
        faults = self.fault_rows()
        lanes_top = AXIS_H + len(faults) * FAULT_ROW_H + LANE_GAP
        height = lanes_top + max(1, len(self.lanes)) * LANE_H + 8
        width = LABEL_W + PLOT_W + RIGHT_PAD
        out = [
            f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="attempt timeline" '
            f'data-span-s="{_n(span)}">'
        ]
        # Lane backgrounds first, then grid lines, fault shading and marks on top.
        for number in range(len(self.lanes)):
            y = lanes_top + number * LANE_H
            parity = " odd" if number % 2 else ""
            out.append(f'<rect class="lane-bg{parity}" x="0" y="{y}" width="{LABEL_W + PLOT_W}" height="{LANE_H}"/>')
        for tick in ticks(span):
            x = LABEL_W + _x(tick, span)
            out.append(f'<line class="grid-line" x1="{_n(x)}" y1="{AXIS_H - 4}" x2="{_n(x)}" y2="{height - 8}"/>')
            out.append(f'<text class="axis" x="{_n(x)}" y="{AXIS_H - 8}" text-anchor="middle">{tick:g} s</text>')
        out.append(f'<text class="axis" x="8" y="{AXIS_H - 8}">simulated time</text>')
        out += self._faults_svg(faults, lanes_top, height - 8)
        for number, view in enumerate(self.lanes):
            out += self._lane_svg(number, view, lanes_top + number * LANE_H)
        if not self.lanes:
            out.append(f'<text class="axis" x="{LABEL_W + 8}" y="{lanes_top + 20}">no attempt was sent</text>')
        out.append("</svg>")
        return "".join(out)

    def _faults_svg(
        self, faults: list[tuple[str, str, str, float | None, float | None, bool]], lanes_top: int, bottom: int
    ) -> list[str]:
        span = self.span_s
        out: list[str] = []
        firings: dict[str, dict[int, int]] = {}
        for firing in self.result.fired:
            column = min(int(_x(firing.at_s, span)), PLOT_W - 1)
            per_fault = firings.setdefault(firing.fault_id, {})
            per_fault[column] = per_fault.get(column, 0) + 1
        for number, (fault_id, kind, label, start, end, _declared) in enumerate(faults):
            y = AXIS_H + number * FAULT_ROW_H
            fired = sum(firings.get(fault_id, {}).values())
            out.append(
                f'<g class="fault" data-fault="{escape(fault_id)}" data-kind="{escape(kind)}" data-fired="{fired}">'
            )
            out.append(f'<text x="8" y="{y + 12}" font-weight="600">{escape(_clip(fault_id, 40))}</text>')
            out.append(f'<text class="small" x="8" y="{y + 24}">{escape(_clip(kind, 24))}, fired {fired}x</text>')
            has_window = start is not None or end is not None
            if has_window:
                x1 = _x(start or 0.0, span)
                x2 = _x(end if end is not None else span, span)
                w = max(1.5, x2 - x1)
                out.append(
                    f'<rect class="fw" x="{_n(LABEL_W + x1)}" y="{y + 15}" width="{_n(w)}" height="{FAULT_ROW_H - 18}">'
                    f"<title>{escape(fault_id)}: {escape(label)}</title></rect>"
                )
                out.append(
                    f'<rect class="fshade" x="{_n(LABEL_W + x1)}" y="{lanes_top}" width="{_n(w)}" '
                    f'height="{bottom - lanes_top}"/>'
                )
                if x1 > PLOT_W * 0.55:
                    anchor, tx = "end", LABEL_W + x1 + w
                else:
                    anchor, tx = "start", LABEL_W + x1
            else:
                anchor, tx = "start", float(LABEL_W)
            for column, count in sorted(firings.get(fault_id, {}).items()):
                out.append(
                    f'<rect class="fire" x="{LABEL_W + column}" y="{y + 16}" width="1.5" height="{FAULT_ROW_H - 20}" '
                    f'data-n="{count}"/>'
                )
            text = label if has_window else f"{label} (fires at the ticks)"
            out.append(
                f'<text class="flabel" x="{_n(tx)}" y="{y + 11}" text-anchor="{anchor}">{escape(_clip(text, 110))}'
                "</text></g>"
            )
        return out

    def _lane_svg(self, number: int, view: _PlacedLaneView, top: int) -> list[str]:
        lane = view.lane
        counts = lane.counts()
        provider = UNKNOWN_PROVIDER_LABEL if lane.provider == UNKNOWN_PROVIDER else lane.provider
        hops = sum(m.internal for m in lane.marks)
        summary = f"{len(lane.marks) - hops:,} attempts"
        if hops:
            summary += f", {hops:,} OpenRouter hops"
        if counts[StepKind.FAILED]:
            summary += f", {counts[StepKind.FAILED]:,} failed"
        mode = "marks" if view.individual else "buckets"
        out = [
            f'<g class="lane" data-lane-index="{number}" data-route="{escape(lane.route)}" data-mode="{mode}" '
            f'data-count="{len(lane.marks)}">',
            f"<title>{escape(lane.route)}</title>",
            f'<text x="8" y="{top + 14}">{escape(_clip(lane.model, 34))}'
            f'<tspan font-weight="600">@{escape(_clip(provider, 18))}</tspan></text>',
            f'<text class="small" x="8" y="{top + 26}">{escape(summary)}</text>',
        ]
        if view.rows is not None:
            for mark, row in zip(lane.marks, view.rows, strict=True):
                x = LABEL_W + _x(mark.at_s, self.span_s) - MARK_W / 2
                y = top + 3 + row * MARK_PITCH + 1
                out.append(
                    f'<rect class="m k-{mark.kind.value}" x="{_n(x)}" y="{_n(y)}" width="{_n(MARK_W)}" '
                    f'height="{_n(MARK_H)}" data-r="{mark.request}"/>'
                )
        else:
            out += _bucket_paths(number, view, top)
        out.append("</g>")
        return out


@dataclass(frozen=True)
class _PlacedLaneView:
    lane: Lane
    rows: tuple[int, ...] | None  # each mark's row when drawn one by one; None when bucketed

    buckets: dict[int, tuple[dict[StepKind, int], list[int]]]  # bucket -> counts per kind, sampled requests

    @property
    def individual(self) -> bool:
        return self.rows is not None


def _bucket_table(lane: Lane, span_s: float) -> dict[int, tuple[dict[StepKind, int], list[int]]]:
    table: dict[int, tuple[dict[StepKind, int], list[int]]] = {}
    for mark in lane.marks:
        b = min(int(_x(mark.at_s, span_s) / BUCKET_PX), BUCKETS - 1)
        counts, samples = table.setdefault(b, (dict.fromkeys(StepKind, 0), []))
        counts[mark.kind] += 1
        if mark.kind is not StepKind.OK and len(samples) < SAMPLES_PER_BUCKET and mark.request not in samples:
            samples.append(mark.request)
    return table


def _bucket_paths(number: int, view: _PlacedLaneView, top: int) -> list[str]:
    table = view.buckets
    peak = max((sum(counts.values()) for counts, _ in table.values()), default=1)
    inner = LANE_H - 6
    paths: dict[StepKind, list[str]] = {k: [] for k in StepKind}
    totals = dict.fromkeys(StepKind, 0)
    for b, (counts, _samples) in sorted(table.items()):
        x = LABEL_W + b * BUCKET_PX
        y = float(top + LANE_H - 3)
        room = float(inner)
        for kind in STACK_ORDER:
            if counts[kind] and room > 0:
                # A lone failure among thousands of answers still gets a visible sliver.
                h = min(room, max(1.5, counts[kind] / peak * inner))
                y -= h
                room -= h
                paths[kind].append(f"M{_n(x)} {_n(y)}h{BUCKET_PX - 0.6:g}v{_n(h)}h-{BUCKET_PX - 0.6:g}z")
            totals[kind] += counts[kind]
    out = [
        f'<path class="b k-{kind.value}" data-count="{totals[kind]}" d="{"".join(paths[kind])}"/>'
        for kind in StepKind
        if totals[kind]
    ]
    out.append(f'<rect class="hit" data-lane="{number}" x="{LABEL_W}" y="{top}" width="{PLOT_W}" height="{LANE_H}"/>')
    return out


def _pack(lane: Lane, x_of: Callable[[float], float]) -> tuple[int, ...] | None:
    """Give each mark the first row where it clears the previous mark; None if some mark finds none."""
    last = [-math.inf] * MARK_ROWS
    rows: list[int] = []
    for mark in lane.marks:
        x = x_of(mark.at_s)
        for row in range(MARK_ROWS):
            if x - last[row] >= MARK_W + 1:
                last[row] = x
                rows.append(row)
                break
        else:
            return None
    return tuple(rows)


def _x(t: float, span: float) -> float:
    return max(0.0, min(float(PLOT_W), t / span * PLOT_W))


# ---- embedded request data -----------------------------------------------------------------


def _embedded_requests(result: DrillResult, timeline: _Timeline) -> dict[int, RequestRecord]:
    """Requests a drawn mark points at, then failed and degraded ones (worst first) up to a bound."""
    by_index = {r.index: r for r in result.requests}
    chosen: dict[int, RequestRecord] = {}
    for view in timeline.lanes:
        if view.individual:
            for mark in view.lane.marks:
                chosen.setdefault(mark.request, by_index[mark.request])
    budget = MAX_SAMPLED_REQUESTS
    wanted: list[int] = [r.index for r in _notable(result.requests)[:NOTABLE_ROWS]]
    for view in timeline.lanes:
        if not view.individual:
            for _b, (_counts, samples) in sorted(view.buckets.items()):
                wanted.extend(samples)
    for index in wanted:
        if budget <= 0:
            break
        if index not in chosen:
            chosen[index] = by_index[index]
            budget -= 1
    return chosen


def _request_data(record: RequestRecord) -> dict[str, Any]:
    steps = [
        [
            step.route,
            step.token,
            step.kind.value,
            _round(step.at_s),
            1 if step.internal else 0,
            step.detail,
            step.next_hop,
            _round(step.latency_s),
        ]
        for step in request_steps(record)
    ]
    return {
        "cost": usd_text(record.result.cost_usd),
        "i": record.index,
        "lat": _round(record.latency_s),
        "msg": record.result.fail_safe_message,
        "o": record.outcome.value,
        "ol": OUTCOME_LABELS[record.outcome],
        "steps": steps,
        "t": _round(record.at_s),
        "w": record.workflow,
        "why": record.reason,
    }


def _json_for_script(data: dict[str, Any]) -> str:
    # Inside <script>, "</script>" or "<!--" in a model id would end the block: escape the brackets.
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _round(value: float) -> float:
    number = round(float(value), 4) + 0.0
    return number if math.isfinite(number) else 0.0


def _n(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zero: short and byte-stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
