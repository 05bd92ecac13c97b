"""The error boundary: exceptions become exit codes and one line, never a traceback or a secret.

There is no honest way to make a shipped command fail internally (every bug found that
way was fixed), so these tests wrap small commands of their own with the public
``guarded`` decorator, exactly as orcli's commands are wrapped.
"""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from orcli.cli.boundary import guarded
from orcli.errors import CheckFailed, InputError

FAKE_KEY = "sk-or-v1-" + "ab" * 32
runner = CliRunner()


def app_raising(exc: BaseException) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_show_locals=False)

    @app.command()
    @guarded
    def boom() -> None:
        api_key = FAKE_KEY  # a local that Typer's default traceback would print
        assert api_key
        raise exc

    return app


def test_internal_error_is_exit_3_one_line_without_the_message() -> None:
    result = runner.invoke(app_raising(RuntimeError(f"upstream said: bad key {FAKE_KEY}")), [])
    assert result.exit_code == 3
    assert result.stderr == "orcli: internal error (RuntimeError); set ORCLI_DEBUG=1 for a traceback\n"
    assert FAKE_KEY not in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_but_never_locals() -> None:
    result = runner.invoke(app_raising(ValueError("boom")), [], env={"ORCLI_DEBUG": "1"})
    assert result.exit_code == 3
    assert "Traceback" in result.stderr
    assert FAKE_KEY not in result.output


def test_orcli_errors_keep_their_codes() -> None:
    assert runner.invoke(app_raising(InputError("p.yaml: bad")), []).stderr == "p.yaml: bad\n"
    assert runner.invoke(app_raising(InputError("p.yaml: bad")), []).exit_code == 2
    assert runner.invoke(app_raising(CheckFailed("1 failed")), []).exit_code == 1


def test_interrupt_is_130() -> None:
    result = runner.invoke(app_raising(KeyboardInterrupt()), [])
    assert result.exit_code == 130
    assert result.stderr == "orcli: interrupted\n"
