"""``orcli mutate``: mutation testing of routing policies (see :mod:`orcli.mutate`)."""

from __future__ import annotations

from pathlib import Path

from orcli.catalog.load import load_catalog
from orcli.cli.boundary import ExitCode, UsageError
from orcli.cli.output import stdout_console
from orcli.mutate import render_json, render_table, run_mutation

DEFAULT_POLICIES = (Path("policies"),)
DEFAULT_SCENARIOS = Path("scenarios")


def mutate_cmd(
    paths: list[Path],
    *,
    scenarios: Path | None,
    json_path: Path | None,
    min_score: float | None,
    jobs: int | None,
    catalog_path: Path | None,
) -> ExitCode:
    if min_score is not None and not 0 <= min_score <= 1:
        raise UsageError(f"--min-score: expected a number from 0 to 1, got {min_score:g}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs: expected at least 1, got {jobs}")
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    if scenarios is not None and not scenarios.exists():
        raise UsageError(f"--scenarios: {scenarios}: no such file or folder")
    folder = scenarios if scenarios is not None else (DEFAULT_SCENARIOS if DEFAULT_SCENARIOS.is_dir() else None)
    report = run_mutation(paths or list(DEFAULT_POLICIES), folder, load_catalog(catalog_path), jobs=jobs)
    render_table(report, stdout_console())
    if json_path is not None:
        try:
            json_path.write_text(render_json(report), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--json: {json_path}: cannot write: {exc.strerror or exc}") from None
    if min_score is not None and report.score < min_score:
        print(f"FAIL: mutation score {report.score:.1%} is below --min-score {min_score:.1%}")
        return ExitCode.CHECK_FAILED
    return ExitCode.OK
