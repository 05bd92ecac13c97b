"""``orcli validate``: schema and lint findings as text, JSON or GitHub annotations."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from orcli.catalog.load import load_catalog
from orcli.cli.boundary import ExitCode, UsageError
from orcli.drill.validate import validate_inputs
from orcli.overrides.location import read_overrides
from orcli.policy.validate import PolicyCheck, ValidationReport

Renderer = Callable[[ValidationReport, TextIO, TextIO], None]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(report: ValidationReport) -> str:
    files = _plural(report.files, "file")
    if report.scenarios:
        files += f" ({_plural(report.scenarios, 'scenario')})"
    line = (
        f"{files}, {_plural(report.workflows, 'workflow')}: "
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    )
    if report.load_failures:
        line += f"; {_plural(len(report.load_failures), 'input')} could not be loaded"
    return line


def render_text(report: ValidationReport, out: TextIO, err: TextIO) -> None:
    # Load failures are bad input: the same one line every command prints, on stderr.
    for failure in report.load_failures:
        print(failure.message, file=err)
    for f in report.findings:
        print(f"{f.path}:{f.line}:{f.col}: {f.severity} [{f.rule}] {f.field}: {f.message}", file=out)
    print(summary_line(report), file=out)


def render_json(report: ValidationReport, out: TextIO, err: TextIO) -> None:
    items = [failure.to_json() for failure in report.load_failures] + [f.to_json() for f in report.findings]
    out.write(json.dumps(items, indent=2) + "\n")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(severity: str, path: str, line: int | None, col: int | None, title: str, message: str) -> str:
    props = [f"file={_escape_property(path)}"]
    if line is not None:
        props.append(f"line={line}")
    if col is not None:
        props.append(f"col={col}")
    props.append(f"title={_escape_property(title)}")
    return f"::{severity} {','.join(props)}::{_escape_data(message)}"


def render_github(report: ValidationReport, out: TextIO, err: TextIO) -> None:
    """GitHub Actions workflow commands: each problem becomes an annotation on its line."""
    for failure in report.load_failures:
        text = f"{failure.field}: {failure.problem}" if failure.field else failure.problem
        print(_annotation("error", failure.path, failure.line, failure.col, "orcli load", text), file=out)
    for f in report.findings:
        print(_annotation(f.severity, f.path, f.line, f.col, f"orcli {f.rule}", f"{f.field}: {f.message}"), file=out)
    print(summary_line(report), file=out)


def default_paths() -> list[Path]:
    """What a bare ``orcli validate`` checks: ``policies/`` and ``scenarios/`` of the project
    root (see :mod:`orcli.project`), whichever exist, shown relative to here when they can be."""
    from orcli.project import project_root

    root = project_root()
    found = [root / name for name in ("policies", "scenarios") if (root / name).is_dir()]
    if not found:
        raise UsageError(f"no policies/ or scenarios/ folder in {root}; name the files to check")
    here = Path.cwd()
    return [p.relative_to(here) if p.is_relative_to(here) else p for p in found]


RENDERERS: dict[str, Renderer] = {"text": render_text, "json": render_json, "github": render_github}


def run(
    paths: list[Path], catalog_path: Path | None, strict: bool, output_format: str, overrides_path: str | None = None
) -> ExitCode:
    renderer = RENDERERS.get(output_format)
    if renderer is None:
        raise UsageError(f"--format: expected one of {', '.join(RENDERERS)}, got '{output_format}'")
    catalog = load_catalog(catalog_path)
    overrides = read_overrides(overrides_path).overrides
    checks: list[PolicyCheck] = []
    if overrides:
        from orcli.overrides.checks import stranding_check

        checks.append(stranding_check(overrides, catalog, datetime.now(UTC)))
    report = validate_inputs(paths, catalog, checks=checks, overrides_path=overrides_path)
    renderer(report, sys.stdout, sys.stderr)
    # The worst outcome decides: bad input, then failed checks.
    if report.load_failures:
        return ExitCode.BAD_INPUT
    return ExitCode.CHECK_FAILED if report.failed(strict=strict) else ExitCode.OK
