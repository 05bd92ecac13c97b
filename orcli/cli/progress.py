"""A progress bar for long drills on a terminal: scenario, requests done of planned.

It appears only once a drill has run for about a second (a short one finishes before a bar
would be worth drawing), on stderr, and never in a pipe, in CI (``CI`` set) or under
``--quiet``: logs stay free of redraws. rich is imported only when a bar is drawn.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

SHOW_AFTER_S = 1.0


def wanted(quiet: bool) -> bool:
    """Whether a bar may be drawn at all."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()


@contextmanager
def drill_progress(
    label: str,
    *,
    enabled: bool,
    clock: Callable[[], float] = time.monotonic,
    console: Console | None = None,
) -> Iterator[Callable[[int, int], None]]:
    """A callback ``(done, total)`` for :func:`orcli.drill.runner.run_drill`; the bar it
    draws (if any, on ``console``, by default stderr) is removed when the block ends."""
    started = clock()
    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if not enabled:
            return
        if not bar:
            if clock() - started < SHOW_AFTER_S or done >= total:
                return
            bar["progress"], bar["task"] = _start(label, total, console)
        progress: Progress = bar["progress"]
        progress.update(bar["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if bar:
            bar["progress"].stop()


def _start(label: str, total: int, console: Console | None) -> tuple[Progress, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    progress = Progress(*columns, console=console or Console(stderr=True), transient=True)
    task = progress.add_task(label, total=total)
    progress.start()
    return progress, task
