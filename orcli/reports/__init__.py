"""Drill reports: terminal, JSON, JUnit XML, Markdown, HTML, plain text. Pure functions of the records.

The registry maps a format name to a writer that turns one drill or a folder run
into text; adding a format is one module and one line in FORMATS. ``write_report``
writes only the path it is given, atomically: a temporary file beside it, then
``os.replace``, so a reader never sees half a report and no other file is touched.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.console import Console

from orcli.drill.records import DrillResult
from orcli.errors import InvalidValue
from orcli.reports import html, json_report, junit, markdown
from orcli.reports.common import Report, as_results
from orcli.reports.terminal import render_drill, render_summary

Writer = Callable[[Report], str]


def render_text(report: Report, *, width: int = 120) -> str:
    """The terminal report without colour, for a file."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, soft_wrap=False, highlight=False)
    results = as_results(report)
    for result in results:
        render_drill(result, console)
    if not isinstance(report, DrillResult):
        render_summary(results, console)
    return buffer.getvalue()


FORMATS: dict[str, Writer] = {
    "html": html.render,
    "json": json_report.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "text": render_text,
}


# Formats whose text can be written piece by piece, so a large drill's report is never
# held whole in memory.
PIECEWISE: dict[str, Callable[[Report], Iterable[str]]] = {"json": json_report.pieces}


def render_report(kind: str, report: Report) -> str:
    writer = FORMATS.get(kind)
    if writer is None:
        raise InvalidValue(f"unknown report format '{kind}' (known: {', '.join(sorted(FORMATS))})")
    return writer(report)


def write_report(kind: str, results: Report, path: str | os.PathLike[str]) -> Path:
    """Render ``results`` as ``kind`` and write exactly ``path``, atomically. Returns the path written.

    One DrillResult gives a single-drill report; a sequence (a folder run) gives a suite.
    """
    pieces = PIECEWISE[kind](results) if kind in PIECEWISE else (render_report(kind, results),)
    return write_rendered(kind, pieces, path)


def write_rendered(kind: str, pieces: Iterable[str], path: str | os.PathLike[str]) -> Path:
    """Write report text rendered by the caller (e.g. JUnit with wall times and errored
    scenarios, which only the command running them knows) exactly as ``write_report`` does."""
    target = Path(path)
    if target.is_dir():
        raise InvalidValue(f"{target}: is a directory; give the {kind} report a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace_atomically(target, (piece.encode("utf-8") for piece in pieces))
    except OSError as exc:
        raise InvalidValue(f"{target}: cannot write the {kind} report: {exc.strerror or exc}") from exc
    return target


def _replace_atomically(target: Path, chunks: Iterable[bytes]) -> None:
    # O_EXCL: the temporary name is fresh, so no existing file is ever overwritten but the target.
    # Mode 0o666 lets the umask decide, as for any file the user creates.
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


__all__ = [
    "FORMATS",
    "Report",
    "Writer",
    "render_drill",
    "render_report",
    "render_summary",
    "render_text",
    "write_rendered",
    "write_report",
]
