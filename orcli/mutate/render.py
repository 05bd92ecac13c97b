"""A mutation run as a terminal table and as JSON (schema ``orcli.mutate/1``)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orcli.mutate.engine import MutantResult, MutationReport
from orcli.mutate.observe import REASONS

SCHEMA = "orcli.mutate/1"
STYLES = {"killed": "green", "survived": "bold red", "equivalent": "yellow"}


def outcome_text(result: MutantResult) -> str:
    """Why the mutant ended as it did: what killed it, or why it is equivalent."""
    if result.kill is not None:
        return f"{result.kill.by}: {result.kill.check}"
    if result.equivalence is not None:
        return f"{result.equivalence.reason.value}: {result.equivalence.text}"
    return "nothing noticed (see below)"


def summary_line(report: MutationReport) -> str:
    killed, survived, equivalent = (report.count(s) for s in ("killed", "survived", "equivalent"))
    return (
        f"mutation score {report.score:.1%}: {killed} killed, {survived} survived, {equivalent} equivalent "
        f"of {len(report.results)} mutants ({len(report.policies)} policy file(s), "
        f"{len(report.scenarios)} scenario(s), {report.elapsed_s:.1f} s, {report.jobs} process(es))"
    )


def render_table(report: MutationReport, console: Console) -> None:
    """One row per mutant; then each survivor with what would catch it, one line each."""
    table = Table(title="Mutants", title_justify="left")
    table.add_column("workflow", no_wrap=True)
    table.add_column("mutant")
    table.add_column("line", justify="right")
    table.add_column("result", no_wrap=True)
    table.add_column("killed by / why equivalent", overflow="fold")  # scenario names stay whole
    for r in report.results:
        table.add_row(
            r.mutant.workflow,
            escape(r.mutant.change),
            str(r.line),
            f"[{STYLES[r.status]}]{r.status}[/]",
            escape(outcome_text(r)),
        )
    console.print(table)
    survivors = [r for r in report.results if r.status == "survived"]
    if survivors:
        console.print(f"Survivors ({len(survivors)}):", markup=False)
    for r in survivors:
        console.print(f"  {r.path}:{r.line}: {r.mutant.workflow}: {r.suggestion}", markup=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    console.print(summary_line(report), markup=False)


def _result_json(r: MutantResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.mutant.id,
        "workflow": r.mutant.workflow,
        "mutant": r.mutant.key,
        "operator": r.mutant.operator,
        "change": r.mutant.change,
        "path": r.path,
        "line": r.line,
        "status": r.status,
        "drills_run": r.drills_run,
    }
    if r.kill is not None:
        out["killed_by"] = {"by": r.kill.by, "check": r.kill.check, "detail": r.kill.detail}
    if r.equivalence is not None:
        out["equivalent"] = {"reason": r.equivalence.reason.value, "text": r.equivalence.text}
    if r.suggestion is not None:
        out["suggestion"] = r.suggestion
    return out


def render_json(report: MutationReport) -> str:
    data = {
        "schema": SCHEMA,
        "score": round(report.score, 4),
        "counts": {s: report.count(s) for s in ("killed", "survived", "equivalent")},
        "total": len(report.results),
        "elapsed_s": report.elapsed_s,
        "processes": report.jobs,
        "policies": list(report.policies),
        "scenarios": list(report.scenarios),
        "equivalence_reasons": {reason.value: text for reason, text in REASONS.items()},
        "notes": list(report.notes),
        "mutants": [_result_json(r) for r in report.results],
    }
    return json.dumps(data, indent=2) + "\n"
