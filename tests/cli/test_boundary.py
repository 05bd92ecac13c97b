"""The error boundary: exceptions become exit codes and one line, never a traceback or a secret.

There is no honest way to make a shipped command fail internally (every bug found that
way was fixed), so most tests here run small commands of their own under the same
``Boundary`` group orcli's app uses. The last tests walk orcli's real command tree and
check that every command, present and future, is dispatched through the boundary.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from decimal import Decimal

import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from orcli.cli.app import app as orcli_app
from orcli.cli.boundary import EXIT_CODES, Boundary, ExitCode, UsageError, exit_code_of
from orcli.errors import (
    BudgetExceeded,
    CheckFailed,
    ClientConfigError,
    ClientError,
    InputError,
    InvalidValue,
    OrcliError,
    SourceError,
    UpstreamError,
)

FAKE_KEY = "sk-or-v1-" + "ab" * 32
runner = CliRunner()


def app_raising(exc: BaseException) -> typer.Typer:
    app = typer.Typer(cls=Boundary, pretty_exceptions_show_locals=False)

    @app.command()
    def boom() -> int:
        api_key = FAKE_KEY  # a local that Typer's default traceback would print
        assert api_key
        raise exc

    @app.command()
    def other() -> int:  # two commands, so `boom` is dispatched as a subcommand like orcli's
        return 0

    return app


def app_returning(code: int) -> typer.Typer:
    app = typer.Typer(cls=Boundary)

    @app.command()
    def done() -> int:
        return code

    @app.command()
    def other() -> int:
        return 0

    return app


def test_internal_error_is_exit_3_one_line_without_the_message() -> None:
    result = runner.invoke(app_raising(RuntimeError(f"upstream said: bad key {FAKE_KEY}")), ["boom"])
    assert result.exit_code == 3
    assert result.stderr == "orcli: internal error (RuntimeError); set ORCLI_DEBUG=1 for a traceback\n"
    assert FAKE_KEY not in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_but_never_locals() -> None:
    result = runner.invoke(app_raising(ValueError("boom")), ["boom"], env={"ORCLI_DEBUG": "1"})
    assert result.exit_code == 3
    assert "Traceback" in result.stderr
    assert FAKE_KEY not in result.output


BUDGET = BudgetExceeded("budget: too dear", scope="request", estimate_usd=Decimal(1), cap_usd=Decimal("0.5"))


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (CheckFailed("1 failed"), 1),
        (InputError("p.yaml: bad"), 2),
        (SourceError("p.yaml", 3, 5, "models.primary", "unknown model"), 2),
        (InvalidValue("--ttl: expected a duration"), 2),
        (UsageError("--format: expected text"), 2),
        (ClientConfigError("no OpenRouter API key"), 2),
        (OrcliError("an unexpected state"), 3),
        (ClientError("the client refused"), 3),
        (UpstreamError("catalog pull: unreachable"), 4),
        (BUDGET, 5),
    ],
)
def test_the_table_maps_each_error_to_its_code_and_prints_its_line(exc: OrcliError, code: int) -> None:
    result = runner.invoke(app_raising(exc), ["boom"])
    assert (result.exit_code, result.stderr) == (code, f"{exc.message}\n")
    assert exit_code_of(exc) == code


def test_the_table_ends_with_the_base_class_so_every_orcli_error_has_a_code() -> None:
    assert EXIT_CODES[-1] == (OrcliError, ExitCode.INTERNAL)
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 5, 130]


def test_interrupt_is_130() -> None:
    result = runner.invoke(app_raising(KeyboardInterrupt()), ["boom"])
    assert result.exit_code == 130
    assert result.stderr == "orcli: interrupted\n"


@pytest.mark.parametrize("code", [0, 1, 2])
def test_a_command_returns_its_exit_code(code: int) -> None:
    result = runner.invoke(app_returning(code), ["done"])
    assert (result.exit_code, result.output) == (code, "")


def test_typer_usage_errors_pass_through_unchanged() -> None:
    result = runner.invoke(app_returning(0), ["done", "--no-such-flag"])
    assert result.exit_code == 2
    assert "No such option" in result.output


# --- every orcli command runs inside the boundary ---------------------------------------


def leaves(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], typer.core.TyperCommand]]:
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from leaves(command, (*path, name))
        else:
            assert isinstance(command, typer.core.TyperCommand)
            yield (*path, name), command


def command_paths() -> list[tuple[str, ...]]:
    root = typer.main.get_command(orcli_app)
    assert isinstance(root, TyperGroup)
    return [path for path, _ in leaves(root)]


def test_the_tree_has_every_command() -> None:
    # A floor, not a census: a new command is welcome and covered by the tests below.
    assert len(command_paths()) >= 18
    assert ("route", "preview", "force") in command_paths()


def test_the_root_group_is_the_boundary() -> None:
    assert isinstance(typer.main.get_command(orcli_app), Boundary)


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_runs_inside_the_boundary(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    # Build orcli's command tree afresh, make this one command fail as a bug would, and
    # dispatch it the way the shell does: the boundary must turn the failure into exit 3.
    root = typer.main.get_command(orcli_app)
    assert isinstance(root, TyperGroup)
    command = dict(leaves(root))[path]

    def broken(**_: object) -> int:
        raise RuntimeError(FAKE_KEY)

    command.callback = broken
    command.params = []  # no required flags to satisfy: the command body is what matters
    code = root.main(args=[*path], prog_name="orcli", standalone_mode=False)
    captured = capsys.readouterr()
    assert code == 3, (path, captured)
    assert captured.err == "orcli: internal error (RuntimeError); set ORCLI_DEBUG=1 for a traceback\n"


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_returns_an_int(path: tuple[str, ...]) -> None:
    root = typer.main.get_command(orcli_app)
    assert isinstance(root, TyperGroup)
    callback = dict(leaves(root))[path].callback
    assert callback is not None
    assert inspect.signature(callback).return_annotation in (int, "int")
