"""``orcli drill``: run scenarios, print the report, write report files, set the exit code."""

from __future__ import annotations

from pathlib import Path

from orcli.catalog.load import load_catalog
from orcli.cli.output import stdout_console
from orcli.drill.records import DrillResult
from orcli.drill.runner import prepare, run_drill
from orcli.drill.scenario import load_scenario, scenario_files
from orcli.errors import CheckFailed, UsageError
from orcli.reports import write_report
from orcli.reports.terminal import render_drill, render_summary


def drill_cmd(
    paths: list[Path],
    *,
    seed: int | None,
    catalog_path: Path | None,
    overrides_path: Path | None,
    json_path: Path | None,
    junit_path: Path | None,
    markdown_path: Path | None,
    html_path: Path | None = None,
    max_rows: int,
    quiet: bool,
) -> None:
    if max_rows < 1:
        raise UsageError(f"--max-rows: must be at least 1, got {max_rows}")
    files = scenario_files(paths)
    catalog = load_catalog(catalog_path)
    # Validate every scenario (and its policy) before running any: bad input fails fast.
    prepared = [prepare(load_scenario(f), catalog, seed=seed, overrides_path=overrides_path) for f in files]
    console = stdout_console()
    results: list[DrillResult] = []
    for inputs in prepared:
        result = run_drill(inputs)
        results.append(result)
        if not quiet:
            render_drill(result, console, max_rows=max_rows)
            console.print()
    single = len(paths) == 1 and paths[0].is_file()
    if len(results) > 1 or not single:
        render_summary(results, console)
    report: DrillResult | list[DrillResult] = results[0] if single else results
    for kind, path in (("json", json_path), ("junit", junit_path), ("markdown", markdown_path), ("html", html_path)):
        if path is not None:
            write_report(kind, report, path)
    failed = [r.scenario for r in results if not r.passed]
    if failed:
        raise CheckFailed(f"drill failed: {', '.join(failed)} (expectations not met)")
