"""The one exception tree of orcli, and the exit codes it maps to.

    OrcliError                      exit 3  (internal: a bug, or an unexpected state)
    ├── UsageError                  exit 2  bad command-line usage or flag value
    ├── InputError                  exit 2  a file the user wrote is wrong
    │   └── SourceError                     ... at a known file:line:col and field
    ├── CheckFailed                 exit 1  a policy lint error or a failed drill expectation
    │   └── BudgetExceeded                  a call refused before sending: it could break a spending cap
    └── UpstreamError               exit 3  an upstream call failed in a way the caller must see
        (the resilient client classifies upstream failures itself; see orcli.client)

Foreign exceptions (YAML, pydantic, httpx, OSError) are translated into this tree
once, at the edge that met them; the CLI's error boundary (``orcli.cli.app``) is the
only place that turns an exception into an exit code. No exception here ever carries
an API key: messages are built from file names, fields and upstream metadata only.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    INTERNAL = 3
    INTERRUPTED = 130


class OrcliError(Exception):
    """Base of every error orcli raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(OrcliError):
    """A command-line flag or argument is wrong."""

    exit_code = ExitCode.BAD_INPUT


class InputError(OrcliError):
    """A file the user supplied cannot be used (missing, unreadable, invalid)."""

    exit_code = ExitCode.BAD_INPUT


class SourceError(InputError):
    """An input error at a precise place: ``path:line:col: field: message``.

    ``line`` and ``col`` are 1-based, as editors show them.
    """

    def __init__(
        self,
        path: str | Path,
        line: int,
        col: int,
        field: str,
        problem: str,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.col = col
        self.field = field
        self.problem = problem
        where = f"{self.path}:{line}:{col}"
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


class CheckFailed(OrcliError):
    """A check ran and found problems (lint errors, failed expectations)."""

    exit_code = ExitCode.CHECK_FAILED


class UpstreamError(OrcliError):
    """An upstream (mock or live) could not be used at all, e.g. unreachable."""

    exit_code = ExitCode.INTERNAL


class BudgetExceeded(CheckFailed):
    """The client refused to send a request whose worst-case cost would break a cap.

    ``scope`` is ``"request"`` (the workflow's per-request cap) or ``"client"`` (the cap
    over the client's lifetime). Nothing was sent for the refused attempt.
    """

    stop_reason = "budget"  # how a drill records the refusal

    def __init__(self, message: str, *, scope: str, estimate_usd: Decimal, cap_usd: Decimal) -> None:
        super().__init__(message)
        self.scope = scope
        self.estimate_usd = estimate_usd
        self.cap_usd = cap_usd
