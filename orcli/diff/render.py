"""``orcli diff`` output: text for people, JSON for tools, GitHub annotations, Markdown summaries.

Each renderer is a pure function of the report returning a string; the registry maps
a ``--format`` name to one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orcli.diff.compare import MISSING, FieldChange, WorkflowDiff
from orcli.diff.cost import DEFINITION, CostEstimate, usd
from orcli.diff.drills import ScenarioComparison, Verdict
from orcli.diff.report import Blame, DiffReport
from orcli.policy.lint import Finding

Renderer = Callable[[DiffReport], str]


def _value(value: Any) -> str:
    if value is MISSING:
        return "(unset)"
    return "none" if value is None else json.dumps(value, separators=(", ", ": "))


def _change_line(change: FieldChange) -> str:
    return f"{change.field}: {_value(change.old)} -> {_value(change.new)}"


def _chain(models: tuple[str, ...]) -> str:
    return " -> ".join(models) if models else "(none)"


def _cost(estimate: CostEstimate | None) -> str:
    if estimate is None:
        return "n/a"
    if estimate.route is None:
        return "n/a (no eligible endpoint)"
    return f"{usd(estimate.per_1k_requests_usd)} ({estimate.route})"


def _where(diff: WorkflowDiff) -> str:
    path, pos = diff.blame()
    return f"{path}:{pos.line}"


def _verdict(verdict: Verdict | None) -> str:
    return "not run" if verdict is None else verdict.label


def _flag(ok: bool | None) -> str:
    return {True: "pass", False: "fail", None: "absent"}[ok]


def _headline(report: DiffReport) -> str:
    if report.blames:
        return f"FAIL: {len(report.blames)} problem(s) the new policy introduces"
    return "OK: no new lint error, no drill turned red"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- text -----------------------------------------------------------------------------------


def render_text(report: DiffReport) -> str:
    out: list[str] = [f"orcli diff: {report.old_label} -> {report.new_label}", ""]
    out.extend(f"note: {n}" for n in report.notes)
    for diff in report.changed:
        out.extend(_text_workflow(diff))
    unchanged = [w.name for w in report.workflows if w.status == "unchanged"]
    if unchanged:
        out.append(f"unchanged: {', '.join(unchanged)}")
    if not report.workflows:
        out.append("no workflows on either side")
    out.append("")
    out.extend(_text_lint(report))
    out.extend(_text_drills(report))
    out.append(f"cost: {DEFINITION}")
    out.append("")
    out.append(_headline(report))
    out.extend(f"  {b.path}:{b.line}:{b.col}: {b.title}: {b.message}" for b in report.blames)
    out.extend(f"  allowed (--allow {b.rule}): {b.path}:{b.line}:{b.col}: {b.message}" for b in report.allowed)
    return "\n".join(out) + "\n"


def _text_workflow(diff: WorkflowDiff) -> list[str]:
    out = [f"workflow {diff.name}: {diff.status} ({_where(diff)})"]
    if diff.status in ("added", "removed"):
        chain = diff.chain_new if diff.status == "added" else diff.chain_old
        cost = diff.cost_new if diff.status == "added" else diff.cost_old
        out.append(f"  fallback chain: {_chain(chain)}")
        out.append(f"  expected cost per 1k requests: {_cost(cost)}")
        return out
    for title, section in (("request", "request"), ("client settings", "client"), ("price ceilings", "ceiling")):
        changes = diff.section(section)  # type: ignore[arg-type]
        if changes:
            out.append(f"  {title}:")
            out.extend(f"    {_change_line(c)}" for c in changes)
    if diff.chain_changed:
        out.append(f"  fallback chain: {_chain(diff.chain_old)}  =>  {_chain(diff.chain_new)}")
    if diff.endpoints:
        out.append("  eligible endpoints:")
        for change in diff.endpoints:
            parts = [f"+{t}" for t in change.added] + [f"-{t}" for t in change.removed]
            out.append(f"    {change.model}: {' '.join(parts)}")
    for flag in diff.flags:
        out.append(f"  ! data policy: {flag.model} via {flag.endpoint} is newly eligible and {flag.problem}")
    if diff.cost_changed:
        out.append(f"  expected cost per 1k requests: {_cost(diff.cost_old)} -> {_cost(diff.cost_new)}")
    return out


def _finding(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.col}: [{f.rule}] {f.field}: {f.message}"


def _text_lint(report: DiffReport) -> list[str]:
    out: list[str] = []
    out.extend(f"new lint error: {_finding(f)}" for f in report.new_errors)
    out.extend(f"new lint warning: {_finding(f)}" for f in report.new_warnings)
    out.extend(f"fixed lint error: {_finding(f)}" for f in report.fixed_errors)
    if not out:
        out.append("lint: no new findings")
    return [*out, ""]


def _text_drills(report: DiffReport) -> list[str]:
    if report.drills_note is not None:
        return [f"drills: {report.drills_note}", ""]
    changed = [c for c in report.scenarios if _verdict(c.old) != _verdict(c.new) or c.changes]
    out = [f"drills: {_plural(len(report.scenarios), 'scenario')}, {len(changed)} with a changed verdict"]
    for c in report.scenarios:
        if c.skipped is not None:
            out.append(f"  {c.scenario}: skipped: {c.skipped}")
        elif c in changed:
            out.append(f"  {c.scenario}: {_verdict(c.old)} -> {_verdict(c.new)}")
            for e in c.changes:
                out.append(f"    {e.name}: {_flag(e.old)} -> {_flag(e.new)}: {e.summary}")
        else:
            out.append(f"  {c.scenario}: {_verdict(c.new)} (unchanged)")
    return [*out, ""]


# --- JSON -----------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    return None if value is MISSING else value


def _cost_json(estimate: CostEstimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    per_1k = estimate.per_1k_requests_usd
    return {
        "prompt_tokens": estimate.prompt_tokens,
        "output_tokens": estimate.output_tokens,
        "route": estimate.route,
        "per_1k_requests_usd": None if per_1k is None else str(per_1k.normalize()),
    }


def _workflow_json(diff: WorkflowDiff) -> dict[str, Any]:
    path, pos = diff.blame()
    return {
        "workflow": diff.name,
        "status": diff.status,
        "path": path,
        "line": pos.line,
        "changes": [
            {
                "section": c.section,
                "field": c.field,
                "old": _json_value(c.old),
                "new": _json_value(c.new),
                "unset_before": c.old is MISSING,
                "unset_after": c.new is MISSING,
                "line": diff.position(c)[1].line,
            }
            for c in diff.changes
        ],
        "fallback_chain": {"old": list(diff.chain_old), "new": list(diff.chain_new)},
        "endpoints": [{"model": e.model, "added": list(e.added), "removed": list(e.removed)} for e in diff.endpoints],
        "data_policy_flags": [{"model": f.model, "endpoint": f.endpoint, "problem": f.problem} for f in diff.flags],
        "expected_cost": {"old": _cost_json(diff.cost_old), "new": _cost_json(diff.cost_new)},
    }


def _scenario_json(c: ScenarioComparison) -> dict[str, Any]:
    return {
        "scenario": c.scenario,
        "path": c.path,
        "policy": c.policy_key,
        "skipped": c.skipped,
        "old": _verdict(c.old) if c.skipped is None else None,
        "new": _verdict(c.new) if c.skipped is None else None,
        "old_error": c.old.error if c.old else None,
        "new_error": c.new.error if c.new else None,
        "turned_red": c.turned_red,
        "turned_green": c.turned_green,
        "changes": [{"expectation": e.name, "old": e.old, "new": e.new, "summary": e.summary} for e in c.changes],
    }


def _blame_json(b: Blame) -> dict[str, Any]:
    return {"path": b.path, "line": b.line, "col": b.col, "title": b.title, "message": b.message, "rule": b.rule}


def render_json(report: DiffReport) -> str:
    data = {
        "old": report.old_label,
        "new": report.new_label,
        "passed": not report.blames,
        "failures": [_blame_json(b) for b in report.blames],
        "allowed": [_blame_json(b) for b in report.allowed],
        "workflows": [_workflow_json(w) for w in report.workflows],
        "lint": {
            "new_errors": [f.to_json() for f in report.new_errors],
            "new_warnings": [f.to_json() for f in report.new_warnings],
            "fixed_errors": [f.to_json() for f in report.fixed_errors],
        },
        "drills": {"note": report.drills_note, "scenarios": [_scenario_json(c) for c in report.scenarios]},
        "notes": list(report.notes),
        "cost_definition": DEFINITION,
    }
    return json.dumps(data, indent=2) + "\n"


# --- GitHub annotations ---------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(level: str, path: str, line: int, col: int | None, title: str, message: str) -> str:
    props = [f"file={_escape_property(path)}", f"line={line}"]
    if col is not None:
        props.append(f"col={col}")
    props.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def _summary(diff: WorkflowDiff) -> str:
    if diff.status == "added":
        return f"new workflow; chain {_chain(diff.chain_new)}; cost per 1k requests {_cost(diff.cost_new)}"
    if diff.status == "removed":
        return "workflow removed"
    parts = [f"changed: {', '.join(c.field for c in diff.changes)}"] if diff.changes else []
    if diff.endpoints:
        moved = [f"{e.model} +{len(e.added)}/-{len(e.removed)}" for e in diff.endpoints]
        parts.append(f"eligible endpoints {', '.join(moved)}")
    if diff.cost_changed:
        parts.append(f"cost per 1k requests {_cost(diff.cost_old)} -> {_cost(diff.cost_new)}")
    return "; ".join(parts)


def render_github(report: DiffReport) -> str:
    out: list[str] = []
    for b in report.blames:
        out.append(_annotation("error", b.path, b.line, b.col, f"orcli diff: {b.title}", b.message))
    for b in report.allowed:
        title = f"orcli diff: {b.title} allowed (--allow {b.rule})"
        out.append(_annotation("notice", b.path, b.line, b.col, title, b.message))
    for f in report.new_warnings:
        out.append(_annotation("warning", f.path, f.line, f.col, f"orcli diff: new lint warning [{f.rule}]", f.message))
    for diff in report.changed:
        if diff.status == "removed":
            continue  # the line is gone from the new file: nowhere to annotate
        path, pos = diff.blame()
        for flag in diff.flags:
            message = f"{flag.model} via {flag.endpoint} is newly eligible and {flag.problem}"
            out.append(_annotation("warning", path, pos.line, None, f"orcli diff: data policy ({diff.name})", message))
        out.append(_annotation("notice", path, pos.line, None, f"orcli diff: {diff.name}", _summary(diff)))
    out.append(_headline(report))
    return "\n".join(out) + "\n"


# --- Markdown -------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_change(change: FieldChange) -> str:
    return f"`{change.field}`: `{_value(change.old)}` → `{_value(change.new)}`"


def render_markdown(report: DiffReport) -> str:
    icon = "❌" if report.blames else "✅"
    out = [f"## {icon} orcli diff: `{report.old_label}` → `{report.new_label}`", "", f"**{_headline(report)}**", ""]
    if report.blames:
        out.extend(f"- `{b.path}:{b.line}`: **{_cell(b.title)}**: {_cell(b.message)}" for b in report.blames)
        out.append("")
    if report.allowed:
        out.extend(
            f"- allowed with `--allow {b.rule}`: `{b.path}:{b.line}`: {_cell(b.message)}" for b in report.allowed
        )
        out.append("")
    out.extend(f"> note: {_cell(n)}" for n in report.notes)
    if report.changed:
        out += ["### Workflows", "", "| workflow | status | what changed | cost per 1k requests |", "|---|---|---|---|"]
        for diff in report.changed:
            cost = (
                f"{_cost(diff.cost_old)} → {_cost(diff.cost_new)}"
                if diff.status == "changed"
                else _cost(diff.cost_new or diff.cost_old)
            )
            out.append(f"| `{diff.name}` | {diff.status} | {_cell(_summary(diff))} | {_cell(cost)} |")
        out.append("")
        for diff in report.changed:
            if diff.status != "changed":
                continue
            out += [f"<details><summary><code>{diff.name}</code> ({_where(diff)})</summary>", ""]
            out.extend(f"- {_md_change(c)}" for c in diff.changes)
            if diff.chain_changed:
                out.append(f"- fallback chain: `{_chain(diff.chain_old)}` → `{_chain(diff.chain_new)}`")
            for e in diff.endpoints:
                parts = [f"+{t}" for t in e.added] + [f"-{t}" for t in e.removed]
                out.append(f"- eligible endpoints of `{e.model}`: {' '.join(parts)}")
            for flag in diff.flags:
                out.append(f"- ⚠️ `{flag.model}` via `{flag.endpoint}` is newly eligible and {flag.problem}")
            out += ["", "</details>", ""]
    else:
        out += ["No workflow changed.", ""]
    if report.new_errors or report.new_warnings or report.fixed_errors:
        out += ["### Lint", ""]
        out.extend(f"- new error `{f.path}:{f.line}` [{f.rule}] {_cell(f.message)}" for f in report.new_errors)
        out.extend(f"- new warning `{f.path}:{f.line}` [{f.rule}] {_cell(f.message)}" for f in report.new_warnings)
        out.extend(f"- fixed `{f.path}:{f.line}` [{f.rule}]" for f in report.fixed_errors)
        out.append("")
    out += ["### Drills", ""]
    if report.drills_note is not None:
        out.append(f"Not run: {report.drills_note}.")
    else:
        out += ["| scenario | old | new | changed expectations |", "|---|---|---|---|"]
        for c in report.scenarios:
            if c.skipped is not None:
                out.append(f"| `{c.scenario}` | skipped | skipped | {_cell(c.skipped)} |")
                continue
            changes = "; ".join(f"{e.name}: {_flag(e.old)} → {_flag(e.new)}" for e in c.changes) or "none"
            out.append(f"| `{c.scenario}` | {_verdict(c.old)} | {_verdict(c.new)} | {_cell(changes)} |")
    out += ["", f"<sub>{_cell(DEFINITION)}</sub>"]
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "markdown": render_markdown,
}
