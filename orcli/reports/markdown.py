"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

Short whatever the drill's size: no request is listed, only figures per workflow
and the evidence of failed expectations (which the expectations already cap). A
passing scenario's details are folded into ``<details>``; a failing one is open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from orcli.drill.metrics import WorkflowMetrics, workflow_metrics
from orcli.drill.records import DrillResult, Outcome
from orcli.reports.common import (
    OUTCOME_LABELS,
    Report,
    as_results,
    failed_expectation_count,
    outcome_counts,
    percent,
    time_kind,
    usd_text,
    workflow_order,
)

TOP_ROUTES = 3  # routes named per workflow in the selection summary
PASS_MARK = "✅"
FAIL_MARK = "❌"


def to_markdown(results: Sequence[DrillResult]) -> str:
    lines: list[str] = []
    if len(results) > 1:
        passed = sum(r.passed for r in results)
        mark = PASS_MARK if passed == len(results) else FAIL_MARK
        lines += [f"## {mark} orcli drill: {passed} of {len(results)} scenarios passed", ""]
        lines += _suite_table(results)
        lines.append("")
    for result in results:
        lines += _scenario(result, heading="###" if len(results) > 1 else "##")
    return "\n".join(lines).rstrip("\n") + "\n"


def render(report: Report) -> str:
    return to_markdown(as_results(report))


def verdict_line(result: DrillResult) -> str:
    total = len(result.expectations)
    failed = failed_expectation_count(result)
    if result.passed:
        met = f"all {total} expectations met" if total else "no expectations declared"
        return f"{PASS_MARK} **{_inline(result.scenario)}** passed: {met}"
    return f"{FAIL_MARK} **{_inline(result.scenario)}** failed: {failed} of {total} expectations failed"


def _suite_table(results: Sequence[DrillResult]) -> list[str]:
    rows = ["| | scenario | requests | " + " | ".join(OUTCOME_LABELS.values()) + " | expectations |"]
    rows.append("|---|---|---:|" + "---:|" * len(OUTCOME_LABELS) + "---:|")
    for r in results:
        counts = outcome_counts(r.requests)
        met = len(r.expectations) - failed_expectation_count(r)
        rows.append(
            f"| {PASS_MARK if r.passed else FAIL_MARK} | {_cell(r.scenario)} | {len(r.requests)} | "
            + " | ".join(str(counts[o]) for o in OUTCOME_LABELS)
            + f" | {met}/{len(r.expectations)} |"
        )
    return rows


def _scenario(result: DrillResult, heading: str) -> list[str]:
    lines = [f"{heading} {verdict_line(result)}", ""]
    meta = f"seed {result.seed}, target {_inline(result.target)}, {result.duration_s:.1f}s {time_kind(result)}"
    lines += [f"{_inline(result.description)} ({meta})" if result.description else meta, ""]
    failures = [e for e in result.expectations if not e.passed]
    for e in failures:
        lines.append(f"- {FAIL_MARK} **{_inline(e.name)}**: {_inline(e.summary)}")
        if e.evidence:
            lines += _indented_block(e.evidence)
    if failures:
        lines.append("")
    metrics = [workflow_metrics(name, result.requests) for name in workflow_order(result)]
    details = [*_workflow_table(metrics), "", *_selection(metrics)]
    if result.passed:
        # A passing scenario folds its figures away so a folder run stays one screen.
        lines += ["<details><summary>Outcomes per workflow</summary>", "", *details, "", "</details>", ""]
    else:
        lines += [*details, ""]
    return lines


def _workflow_table(metrics: Sequence[WorkflowMetrics]) -> list[str]:
    labels = list(OUTCOME_LABELS.items())
    rows = ["| workflow | requests | " + " | ".join(label for _, label in labels) + " | answered | fallback | cost |"]
    rows.append("|---|---:|" + "---:|" * len(labels) + "---:|---:|---:|")
    for m in metrics:
        rows.append(
            f"| {_cell(m.workflow)} | {m.requests} | "
            + " | ".join(str(m.outcomes[o.value]) for o, _ in labels)
            + f" | {percent(m.user_facing_success_rate)} | {percent(m.fallback_frequency)} | {usd_text(m.cost_usd)} |"
        )
    return rows


def _selection(metrics: Sequence[WorkflowMetrics]) -> list[str]:
    lines = []
    for m in metrics:
        total = sum(m.provider_selection.values())
        routes = list(m.provider_selection.items())
        named = ", ".join(f"`{route}` {percent(n / total)}" for route, n in routes[:TOP_ROUTES])
        if len(routes) > TOP_ROUTES:
            named += f", {len(routes) - TOP_ROUTES} more"
        errors = ", ".join(f"{name} {n}" for name, n in list(m.error_distribution.items())[:TOP_ROUTES])
        served = named or "nothing answered"
        extra = ""
        if m.byok_answers:
            extra += f"{m.byok_answers} on own BYOK keys, {m.answered - m.byok_answers} on shared capacity; "
        if m.truncated_answers:
            extra += f"{m.truncated_answers} cut at the length limit; "
        lines.append(
            f"- **{_inline(m.workflow)}**: served by {served}; "
            f"{m.outcomes[Outcome.DEGRADED.value]} of {total} answers from a fallback; "
            f"{extra}errors: {errors or 'none'}"
        )
    return lines


def _indented_block(evidence: Sequence[str]) -> list[str]:
    # Evidence is quoted verbatim in a fence longer than any backtick run it holds.
    longest = max((len(run) for line in evidence for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["  " + fence + "text", *("  " + line for line in evidence), "  " + fence]


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _inline(text: str) -> str:
    # One line, and no raw HTML: names and summaries come from user files.
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
