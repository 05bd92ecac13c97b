"""``orcli catalog pull`` and ``orcli doctor``: the live API, read-only."""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from orcli.catalog.load import load_catalog
from orcli.cli.boundary import UsageError
from orcli.cli.drill_cmd import checked_base_url
from orcli.cli.output import stdout_console
from orcli.errors import CheckFailed, InputError

_MARKS = {
    "ok": ("ok", "green"),
    "warn": ("warn", "yellow"),
    "fail": ("FAIL", "bold red"),
    "skip": ("not checked", "dim"),
}
_MARK_WIDTH = max(len(mark) for mark, _ in _MARKS.values())


def pull_cmd(output: Path | None, base_url: str, patterns: list[str], limit: int | None, force: bool) -> None:
    from orcli.client.keys import resolve_api_key
    from orcli.live.api import ApiReader
    from orcli.live.pull import pull_catalog

    if limit is not None and limit < 1:
        raise UsageError(f"--limit: must be at least 1, got {limit}")
    if output is not None and output.exists() and not force:
        raise UsageError(f"--output: {output} exists; pass --force to replace it")
    url = checked_base_url(base_url)
    stderr = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        ApiReader(url, resolve_api_key(None)) as reader,
        Progress(*columns, console=stderr, disable=not stderr.is_terminal, transient=True) as progress,
    ):
        task = progress.add_task("endpoints", total=None)
        result = pull_catalog(
            reader,
            patterns=patterns,
            limit=limit,
            now=datetime.now(UTC),
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    text = result.catalog.model_dump_json(indent=2) + "\n"
    for line in (*result.warnings, *(f"skipped {s}" for s in result.skipped)):
        stderr.print(Text(f"catalog pull: {line}"))
    if output is None:
        print(text, end="")
    else:
        write_atomically(output, text, replace=force)
    stderr.print(
        Text(
            f"catalog pull: {len(result.catalog.models)} models from {url}"
            + (f" written to {output}" if output else "")
            + f" ({result.calls} requests)"
        )
    )


def write_atomically(path: Path, text: str, *, replace: bool) -> None:
    """Write the whole file next to ``path`` first, then move it into place: a reader never
    sees half a catalog, and a failed write leaves the old file (or none) behind."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"--output: folder {folder} does not exist")
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and not replace:
            raise UsageError(f"--output: {path} appeared meanwhile; pass --force to replace it")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def doctor_cmd(base_url: str, catalog_path: Path | None) -> int:
    from orcli.client.keys import resolve_api_key
    from orcli.live.doctor import run_doctor

    catalog = load_catalog(catalog_path)
    checks = run_doctor(checked_base_url(base_url), resolve_api_key(None), catalog)
    console = stdout_console()
    for check in checks:
        mark, style = _MARKS[check.status]
        line = Text(f"{mark:<{_MARK_WIDTH}}", style=style)
        line.append(f" {check.name:<10} ")
        line.append(check.detail)
        console.print(line)
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        console.print(Text(f"doctor: {len(failed)} check(s) failed: {', '.join(failed)}"))
        return 1
    return 0


def rehearse_cmd(paths: list[Path], catalog_path: Path | None, seed: int | None) -> int:
    """Each scenario on the mock and through the live code path against the in-process
    simulator; exit 1 when their verdicts (or comparable outcome counts) differ."""
    from orcli.drill.parity import compare, rehearse
    from orcli.drill.runner import prepare, run_mock
    from orcli.drill.scenario import load_scenario, scenario_files

    catalog = load_catalog(catalog_path)
    console = stdout_console()
    differing: list[str] = []
    for file in scenario_files(paths):
        inputs = prepare(load_scenario(file), catalog, seed=seed)
        parity = compare(inputs, run_mock(inputs), rehearse(inputs))
        verdict = "parity holds" if parity.holds else "parity DIFFERS"
        console.print(Text(f"Rehearsal {parity.scenario}: {verdict}"))
        width = max(len(v.name) for v in parity.verdicts)
        console.print(Text(f"  {'expectation':<{width}}  in-process  live path"))
        for v in parity.verdicts:
            note = "" if v.compared else "  (not compared: a provider fault)"
            console.print(Text(f"  {v.name:<{width}}  {_word(v.mock):<10}  {_word(v.live)}{note}"))
        shown = "compared" if parity.counts_compared else "not compared: a provider fault"
        console.print(
            Text(
                f"  outcomes served/degraded/failed_safe/failed: in-process {_counts(parity.mock_counts)}, "
                f"live path {_counts(parity.live_counts)} ({shown})"
            )
        )
        for mismatch in parity.mismatches():
            console.print(Text(f"  differs: {mismatch}"))
        if not parity.holds:
            differing.append(parity.scenario)
    if differing:
        raise CheckFailed(f"rehearse: the live path differs from the mock for {', '.join(differing)}")
    return 0


def _word(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _counts(counts: dict[str, int]) -> str:
    return "/".join(str(counts[o]) for o in ("served", "degraded", "failed_safe", "failed"))
