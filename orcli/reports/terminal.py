"""The drill report for people at a terminal, rendered onto a rich Console.

Every figure comes from the records; the console is passed in so tests render into
a string. Record text is always wrapped in ``Text`` so a bracket in a name or a
reason is shown as written, never read as rich markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from orcli.drill.metrics import LatencyPercentiles, WorkflowMetrics, drill_metrics, workflow_metrics
from orcli.drill.records import DeclaredFault, DrillResult, Outcome, RequestRecord
from orcli.reports.common import (
    OUTCOME_LABELS,
    SEVERITY,
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
from orcli.reports.layout import Role, fit

OUTCOME_STYLES: dict[Outcome, str] = {
    Outcome.SERVED: "green",
    Outcome.DEGRADED: "yellow",
    Outcome.FAILED_SAFE: "cyan",
    Outcome.FAILED: "bold red",
}
# One plain character per outcome, so the timeline reads in a log without colour.
TIMELINE_MARKS: dict[Outcome, str] = {
    Outcome.SERVED: ".",
    Outcome.DEGRADED: "~",
    Outcome.FAILED_SAFE: "s",
    Outcome.FAILED: "x",
}
TIMELINE_WIDTH = 60  # marks at most; the window size grows to fit the drill
_NICE_WINDOWS_S = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
TOP_ROUTES = 5  # provider selection lists this many routes, then a count of the rest


def render_drill(result: DrillResult, console: Console, *, max_rows: int = 50) -> None:
    """Header, requests (condensed past ``max_rows``), faults, metrics, expectations, verdict."""
    _header(result, console)
    _requests(result.requests, console, max_rows, result)
    _faults(result, console)
    for name in workflow_order(result):
        _workflow_summary(workflow_metrics(name, result.requests), console)
    _expectations(result, console)
    console.print(_verdict(result))


def render_verdict(result: DrillResult, console: Console) -> None:
    """The drill's one verdict line (what ``--quiet`` prints for each drill)."""
    console.print(_verdict(result))


# Which scenario and its verdict always; the failures before the other counts.
SUMMARY_ROLES: dict[str, Role] = {
    "scenario": "key",
    "verdict": "key",
    "expectations": "optional",
    **{label: "optional" for label in OUTCOME_LABELS.values()},
    "requests": "optional",
    "duration": "optional",
    "cost": "optional",
}
SUMMARY_DROP_FIRST = ("duration", "cost", "requests", "served", "degraded", "failed safe", "expectations")


def render_summary(results: Sequence[DrillResult], console: Console) -> None:
    """A folder run: one line per scenario, then the totals."""
    table = Table(title="Drills", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("scenario", "verdict", "requests", *OUTCOME_LABELS.values(), "expectations", "duration", "cost"):
        numeric = column not in ("scenario", "verdict")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != "scenario")
    for result in results:
        counts = outcome_counts(result.requests)
        met = len(result.expectations) - failed_expectation_count(result)
        table.add_row(
            Text(result.scenario),
            _pass_fail(result.passed),
            str(len(result.requests)),
            *(_count(counts[o], o) for o in OUTCOME_LABELS),
            f"{met}/{len(result.expectations)}",
            f"{result.duration_s:.1f}s",
            usd_text(result.total_cost_usd),
        )
    console.print(fit(table, console.width, SUMMARY_ROLES, SUMMARY_DROP_FIRST))
    passed = sum(r.passed for r in results)
    every = [record for r in results for record in r.requests]
    counts = outcome_counts(every)
    line = Text()
    line.append("PASS" if passed == len(results) else "FAIL", style=_verdict_style(passed == len(results)))
    total_cost = sum((r.total_cost_usd for r in results), Decimal(0))
    line.append(
        f": {passed} of {len(results)} scenarios passed; {len(every)} requests ("
        + ", ".join(f"{counts[o]} {label}" for o, label in OUTCOME_LABELS.items())
        + f"), {usd_text(total_cost)}"
    )
    console.print(line)


# -- header ---------------------------------------------------------------------------------


def _header(result: DrillResult, console: Console) -> None:
    title = Text("Drill ", style="bold")
    title.append(result.scenario, style="bold")
    if result.description:
        title.append(f": {result.description}")
    console.print(title)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    grid.add_row("scenario", Text(result.scenario_path))
    grid.add_row("seed", str(result.seed))
    grid.add_row("target", Text(result.target))
    grid.add_row("policy", Text(result.policy_path))
    grid.add_row("workflows", Text(", ".join(workflow_order(result)) or "none"))
    grid.add_row(
        "duration",
        f"{result.duration_s:.2f}s {time_kind(result)}, {len(result.requests)} requests, "
        f"{usd_text(result.total_cost_usd)}",
    )
    grid.add_row("overrides", Text("; ".join(result.overrides) or "none"))
    for note in result.notes:
        grid.add_row("note", Text(note))
    console.print(grid)
    console.print()


# -- requests -------------------------------------------------------------------------------


def _requests(records: Sequence[RequestRecord], console: Console, max_rows: int, result: DrillResult) -> None:
    if len(records) <= max_rows:
        console.print(_request_table(records, "Requests", console.width))
        console.print()
        return
    # Too many to list: show the worst first, up to the limit, and fold the rest into a timeline.
    rank = {outcome: i for i, outcome in enumerate(SEVERITY)}
    notable = sorted((r for r in records if r.outcome is not Outcome.SERVED), key=lambda r: (rank[r.outcome], r.index))
    shown = notable[:max_rows]
    if shown:
        title = f"Requests: {len(shown)} of {len(records)}, failures and degraded first"
        console.print(_request_table(shown, title, console.width))
    shown_indexes = {r.index for r in shown}
    folded = outcome_counts([r for r in records if r.index not in shown_indexes])
    folded_total = sum(folded.values())
    console.print(
        Text(
            f"... {folded_total} more request rows folded ("
            + ", ".join(f"{n} {OUTCOME_LABELS[o]}" for o, n in folded.items() if n)
            + ")",
            style="dim",
        )
    )
    _timeline(records, result, console)
    console.print()


# What a reader of a request row needs whatever the width: which request, how it ended, who
# answered, and every attempt on the way. The time, latency and cost go first when it is narrow.
REQUEST_ROLES: dict[str, Role] = {
    "#": "key",
    "t (s)": "optional",
    "workflow": "drop",
    "outcome": "key",
    "served": "wrap",
    "attempts": "wrap",
    "latency": "optional",
    "cost": "optional",
}
# A drill of one workflow names it in its header: its column is the first to go.
REQUEST_DROP_FIRST = ("cost", "latency", "t (s)", "workflow")


def _request_table(records: Sequence[RequestRecord], title: str, width: int) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("t (s)", justify="right", no_wrap=True)
    # A drill of one workflow names it in its header; a column repeating it on every row
    # would only take room from the attempts.
    several = len({r.workflow for r in records}) > 1
    if several:
        table.add_column("workflow", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("served", no_wrap=True)
    table.add_column("attempts", overflow="fold")
    table.add_column("latency", justify="right", no_wrap=True)
    table.add_column("cost", justify="right", no_wrap=True)
    for r in records:
        table.add_row(
            str(request_number(r)),
            f"{r.at_s:.2f}",
            *([Text(r.workflow)] if several else []),
            Text(OUTCOME_LABELS[r.outcome], style=OUTCOME_STYLES[r.outcome]),
            Text(r.served_route or "-"),
            Text(attempt_chain(r)),
            f"{r.latency_s:.2f}s",
            usd_text(r.result.cost_usd),
        )
    return fit(table, width, REQUEST_ROLES, REQUEST_DROP_FIRST)


def timeline_window_s(span_s: float) -> float:
    """The smallest round window that fits the drill into TIMELINE_WIDTH marks."""
    for window in _NICE_WINDOWS_S:
        if span_s / window <= TIMELINE_WIDTH:
            return window
    return float(math.ceil(span_s / TIMELINE_WIDTH))


def _timeline(records: Sequence[RequestRecord], result: DrillResult, console: Console) -> None:
    span_s = max([result.duration_s, *(r.at_s for r in records)])
    window = timeline_window_s(span_s)
    marks = max(1, math.ceil(span_s / window) or 1)
    worst: list[Outcome | None] = [None] * marks
    rank = {outcome: i for i, outcome in enumerate(SEVERITY)}
    for r in records:
        slot = min(int(r.at_s // window), marks - 1)
        current = worst[slot]
        if current is None or rank[r.outcome] < rank[current]:
            worst[slot] = r.outcome
    strip = Text()
    for outcome in worst:
        if outcome is None:
            strip.append(" ")
        else:
            strip.append(TIMELINE_MARKS[outcome], style=OUTCOME_STYLES[outcome])
    label_width = max([len("requests"), *(len(f.fault_id) for f in result.declared_faults)])
    console.print(Text(f"Timeline: worst outcome per {window:g}s window", style="bold"))
    line = Text(f"{'requests':<{label_width}} 0s |")
    line.append_text(strip)
    line.append(f"| {marks * window:g}s")
    console.print(line)
    for fault in result.declared_faults:
        bar = _fault_bar(fault, window, marks)
        if bar is not None:
            console.print(Text(f"{fault.fault_id:<{label_width}} 0s |{bar}| {fault.kind}"))
    legend = "  ".join(f"{TIMELINE_MARKS[o]} {OUTCOME_LABELS[o]}" for o in OUTCOME_LABELS)
    console.print(Text(f"{'':<{label_width}}    {legend}; '=' fault active", style="dim"))


def _fault_bar(fault: DeclaredFault, window: float, marks: int) -> str | None:
    if fault.start_s is None and fault.end_s is None:
        return None
    start = fault.start_s or 0.0
    end = fault.end_s if fault.end_s is not None else marks * window
    cells = []
    for slot in range(marks):
        lo, hi = slot * window, (slot + 1) * window
        cells.append("=" if lo < end and hi > start else " ")
    return "".join(cells)


# -- faults, metrics, expectations ------------------------------------------------------------


FAULT_ROLES: dict[str, Role] = {"fault": "key", "kind": "key", "target": "wrap", "window": "key", "fired": "key"}


def _faults(result: DrillResult, console: Console) -> None:
    counts = fired_counts(result)
    applied = fired_counts(result, applied=True)
    if not counts:
        console.print(Text("Faults: none declared", style="dim"))
        console.print()
        return
    table = Table(title="Faults", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("fault", "kind", "target", "window", "fired"):
        table.add_column(column, justify="right" if column == "fired" else "left", no_wrap=column != "target")
    declared = {f.fault_id: f for f in result.declared_faults}
    for fault_id, fired in counts.items():
        fault = declared.get(fault_id)
        table.add_row(
            Text(fault_id),
            Text(fault.kind if fault else "?"),
            Text(fault.target if fault else "(not declared)"),
            Text(fault.window if fault else "-"),
            Text(fired_text(fired, applied[fault_id]), style="" if applied[fault_id] else "bold red"),
        )
    console.print(fit(table, console.width, FAULT_ROLES))
    console.print()


def _workflow_summary(m: WorkflowMetrics, console: Console) -> None:
    console.print(Text(f"Workflow {m.workflow}", style="bold"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    outcomes = Text(f"{m.requests} requests: ")
    for i, outcome in enumerate(OUTCOME_LABELS):
        if i:
            outcomes.append(", ")
        outcomes.append(f"{m.outcomes[outcome.value]} {OUTCOME_LABELS[outcome]}", style=OUTCOME_STYLES[outcome])
    grid.add_row("outcomes", outcomes)
    grid.add_row("user-facing success", percent(m.user_facing_success_rate))
    if m.outcomes[Outcome.FAILED_SAFE.value]:
        grid.add_row("handled", f"{percent(m.handled_rate)} answered or failed safe")
    grid.add_row("fallback frequency", f"{percent(m.fallback_frequency)} of answers came from a fallback")
    if m.truncated_answers:
        grid.add_row(
            "truncation", f"{percent(m.truncation_rate)} of answers stopped at the length limit ({m.truncated_answers})"
        )
    grid.add_row("provider selection", Text(_selection(m.provider_selection)))
    if m.byok_answers:
        grid.add_row("BYOK", f"{m.byok_answers} answers on own keys, {m.answered - m.byok_answers} on shared capacity")
    grid.add_row("latency", f"{_percentiles(m.latency_s)} (answered requests)")
    for provider, p in m.latency_by_provider.items():
        grid.add_row("", Text(f"{provider}: {_percentiles(p)} per attempt"))
    grid.add_row("cost", usd_text(m.cost_usd))
    grid.add_row("attempts", f"{m.attempts_total} total, at most {m.max_attempts} for one request")
    validity = m.tool_call_validity
    grid.add_row(
        "tool-call validity",
        "n/a (no tool calls)"
        if validity is None
        else f"{percent(validity)} ({m.tool_calls_checked - m.tool_calls_malformed} of {m.tool_calls_checked} valid)",
    )
    errors = ", ".join(f"{name} {n}" for name, n in m.error_distribution.items()) or "none"
    grid.add_row("errors", Text(errors))
    console.print(grid)
    console.print()


def _selection(selection: dict[str, int]) -> str:
    if not selection:
        return "nothing answered"
    total = sum(selection.values())
    top = list(selection.items())[:TOP_ROUTES]
    text = ", ".join(f"{route} {n} ({percent(n / total)})" for route, n in top)
    rest = len(selection) - len(top)
    return text + (f", and {rest} more routes" if rest else "")


def _percentiles(p: LatencyPercentiles) -> str:
    return f"p50 {p.p50:.2f}s  p95 {p.p95:.2f}s  p99 {p.p99:.2f}s"


def _expectations(result: DrillResult, console: Console) -> None:
    console.print(Text("Expectations", style="bold"))
    if not result.expectations:
        console.print(Text("  none declared", style="dim"))
    for e in result.expectations:
        line = Text("  ")
        line.append_text(_pass_fail(e.passed))
        line.append(f"  {e.name}: {e.summary}")
        console.print(line)
        if not e.passed:
            for evidence in e.evidence:
                console.print(Text(f"        {evidence}"))
    console.print()


def _verdict(result: DrillResult) -> Text:
    total = len(result.expectations)
    failed = [e.name for e in result.expectations if not e.passed]
    line = _pass_fail(result.passed)
    overall = drill_metrics(result.requests)
    line.append(f": {result.scenario}: ")
    if failed:
        line.append(f"{len(failed)} of {total} expectations failed ({', '.join(failed)})")
    else:
        line.append(f"all {total} expectations met" if total else "no expectations declared")
    line.append(f"; {overall.requests} requests, {percent(overall.user_facing_success_rate)} answered")
    return line


def _pass_fail(passed: bool) -> Text:
    return Text("PASS" if passed else "FAIL", style=_verdict_style(passed))


def _verdict_style(passed: bool) -> str:
    return "bold green" if passed else "bold red"


def _count(n: int, outcome: Outcome) -> Text:
    return Text(str(n), style=OUTCOME_STYLES[outcome] if n else "dim")
