"""The one place where exceptions become exit codes.

Every command runs inside :class:`Boundary`, the root command group's dispatch (as
pre-commit's ``main`` wraps its one dispatch instead of each command). A command returns
its exit code as an int; an exception is looked up in :data:`EXIT_CODES`, the table the
README documents, and prints its one-line message to stderr. An interrupt exits 130;
anything else is a bug: one line naming the exception type, exit 3, and a traceback only
when ``ORCLI_DEBUG=1``. Local variables are never printed (they may hold an API key).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from orcli.errors import (
    BudgetExceeded,
    CheckFailed,
    ClientConfigError,
    InputError,
    OrcliError,
    SpendLimitReached,
    UpstreamError,
)

if TYPE_CHECKING:
    from typer._click.core import Context  # the type Typer's group dispatch is declared with


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    INTERNAL = 3
    UPSTREAM_UNUSABLE = 4
    SPEND_LIMIT = 5
    INTERRUPTED = 130


class UsageError(InputError):
    """A command-line flag or argument is wrong. Raised by ``orcli.cli`` only: the library
    raises :class:`orcli.errors.InvalidValue` for a value it cannot use."""


# The first row whose exception class matches decides; an OrcliError no row names is
# orcli's own unexpected state, so it is internal (but its message is still shown).
EXIT_CODES: tuple[tuple[type[OrcliError], ExitCode], ...] = (
    (CheckFailed, ExitCode.CHECK_FAILED),
    (InputError, ExitCode.BAD_INPUT),  # with UsageError, SourceError and InvalidValue
    (ClientConfigError, ExitCode.BAD_INPUT),
    (UpstreamError, ExitCode.UPSTREAM_UNUSABLE),
    (BudgetExceeded, ExitCode.SPEND_LIMIT),
    (SpendLimitReached, ExitCode.SPEND_LIMIT),  # a live drill stopped by the account's own budget
    (OrcliError, ExitCode.INTERNAL),
)

# Typer's own signals: help, bad flags (it prints them and exits 2), explicit exits.
_PASSED_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)


def exit_code_of(exc: OrcliError) -> ExitCode:
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def run_guarded(command: Callable[[], object]) -> int:
    """Run ``command`` and return its exit code: what it returned (an int; None is 0),
    or the code of the exception it raised, after printing that exception's one line."""
    try:
        returned = command()
    except _PASSED_THROUGH:
        raise
    except OrcliError as exc:
        _stderr(exc.message)
        return int(exit_code_of(exc))
    except KeyboardInterrupt:
        _stderr("orcli: interrupted")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        if os.environ.get("ORCLI_DEBUG") == "1":
            traceback.print_exc()
        _stderr(f"orcli: internal error ({type(exc).__name__}); set ORCLI_DEBUG=1 for a traceback")
        return int(ExitCode.INTERNAL)
    return returned if isinstance(returned, int) else 0


class Boundary(TyperGroup):
    """The root command group: its dispatch reaches every command, so every command runs
    inside :func:`run_guarded`."""

    def invoke(self, ctx: Context) -> Any:
        code = run_guarded(lambda: super(Boundary, self).invoke(ctx))
        if code:
            raise typer.Exit(code)
        return code
