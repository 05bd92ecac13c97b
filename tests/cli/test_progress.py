"""The drill progress bar: only on a terminal, only after about a second, never under
--quiet, in CI or in a pipe."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.cli.progress import SHOW_AFTER_S, drill_progress, wanted

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=80, color_system=None), out


def test_a_long_drill_shows_scenario_and_requests_done_of_total() -> None:
    console, out = terminal()
    clock = Clock()
    with drill_progress("drill storm", enabled=True, clock=clock, console=console) as update:
        update(1, 20_000)  # too early: nothing yet
        assert out.getvalue() == ""
        clock.now = SHOW_AFTER_S + 0.1
        update(5_000, 20_000)
        update(12_000, 20_000)
    shown = out.getvalue()
    assert "drill storm" in shown
    assert "12000/20000" in shown


def test_a_short_drill_draws_nothing() -> None:
    console, out = terminal()
    clock = Clock()
    with drill_progress("drill quick", enabled=True, clock=clock, console=console) as update:
        for done in range(1, 11):
            update(done, 10)
    assert out.getvalue() == ""


def test_disabled_draws_nothing_however_long() -> None:
    console, out = terminal()
    clock = Clock()
    with drill_progress("drill storm", enabled=False, clock=clock, console=console) as update:
        clock.now = 60.0
        update(10, 100)
    assert out.getvalue() == ""


def test_never_under_quiet_in_ci_or_in_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert not wanted(quiet=False)  # pytest's stderr is not a terminal
    assert not wanted(quiet=True)
    monkeypatch.setenv("CI", "true")
    assert not wanted(quiet=False)


def test_a_piped_drill_prints_no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["drill", "scenarios/rate-limit-storm-general-chat.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
