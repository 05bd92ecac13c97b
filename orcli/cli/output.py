"""Consoles for command output. Reporters take a Console so tests can render to a string."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from rich.console import Console

PIPED_WIDTH = 100  # a CI log or a file: wide enough for a table's reasons, narrow enough to read


def output_width(stream: IO[str]) -> int | None:
    """The width to lay output out for: a terminal's own (None lets rich ask it, which reads
    ``COLUMNS`` too); for a pipe or a file, ``COLUMNS`` when set, else PIPED_WIDTH."""
    if stream.isatty():
        return None
    raw = os.environ.get("COLUMNS", "")
    return int(raw) if raw.isdigit() and int(raw) >= 20 else PIPED_WIDTH


def stdout_console() -> Console:
    stream = sys.stdout
    width = output_width(stream)
    if width is None:
        return Console(soft_wrap=False, highlight=False)
    # Tables pad every cell to the column's width; in a log or a file that is only trailing spaces.
    trimmed = cast(IO[str], TrimmedLines(stream))  # a TextIOBase is a text stream, as rich needs
    # Tables are laid out for the width; a line of text is not broken (a verdict or a finding
    # stays one line to grep for).
    return Console(file=trimmed, soft_wrap=True, highlight=False, width=width)


class TrimmedLines(io.TextIOBase):
    """A text stream that writes each line to ``target`` without its trailing whitespace."""

    def __init__(self, target: IO[str]) -> None:
        super().__init__()
        self._target = target
        self._pending = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            with reader_gone_is_fine(self._target):
                self._target.write("".join(line.rstrip() + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        # An unfinished line stays pending: its trailing spaces may be padding still to be ended.
        with reader_gone_is_fine(self._target):
            self._target.flush()

    def close(self) -> None:
        if self._pending:
            self._target.write(self._pending.rstrip())
            self._pending = ""
        self._target.flush()
        super().close()


def print_json(data: Any) -> None:
    with reader_gone_is_fine(sys.stdout):
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
        sys.stdout.flush()


@contextmanager
def reader_gone_is_fine(stream: IO[str]) -> Iterator[None]:
    """``orcli drill ... | head -1``: once the reader of ``stream`` has gone, the rest of the
    output is dropped instead of ending the command, so report files are still written and
    the exit code still says how the drill went."""
    try:
        yield
    except BrokenPipeError:
        discard(stream)


def discard(stream: IO[str]) -> None:
    """Point ``stream``'s file descriptor at the null device: later writes, and the flush at
    exit, go nowhere instead of failing again."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return  # not a real file (a test's buffer): nothing to flush at exit
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
