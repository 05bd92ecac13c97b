"""The one place where exceptions become exit codes.

Every command is wrapped by :func:`guarded`. An ``OrcliError`` prints its one-line
message to stderr and exits with its code; an interrupt exits 130; anything else is
a bug: one line naming the exception type, exit 3, and a traceback only when
``ORCLI_DEBUG=1``. Local variables are never printed (they may hold an API key).
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from orcli.errors import ExitCode, OrcliError

P = ParamSpec("P")
R = TypeVar("R")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except OrcliError as exc:
            _stderr(exc.message)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _stderr("orcli: interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as exc:
            if os.environ.get("ORCLI_DEBUG") == "1":
                traceback.print_exc()
            _stderr(f"orcli: internal error ({type(exc).__name__}); set ORCLI_DEBUG=1 for a traceback")
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper
