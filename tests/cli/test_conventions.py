"""Command-line conventions: --version, -h, completion, flags shown without a value type,
a bare ``orcli validate``, and a closed pipe that ends neither the drill nor its reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli import __version__
from orcli.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
TWO_DRILLS = ("scenarios/auth-failure-general-chat.yaml", "scenarios/rate-limit-storm-general-chat.yaml")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"orcli {__version__}\n"


@pytest.mark.parametrize("args", [["-h"], ["drill", "-h"], ["route", "disable", "-h"]])
def test_short_help(args: list[str]) -> None:
    short = runner.invoke(app, args)
    long = runner.invoke(app, [*args[:-1], "--help"])
    assert short.exit_code == 0 and short.stdout == long.stdout
    assert short.stdout.startswith("Usage: orcli")


def test_boolean_flags_render_without_a_value() -> None:
    out = runner.invoke(app, ["drill", "-h"]).stdout
    assert "<bool>" not in out
    assert "-q, --quiet" in out


def test_shell_completion_is_offered_and_documented() -> None:
    out = runner.invoke(app, ["-h"]).stdout
    assert "--install-completion" in out and "--show-completion" in out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "orcli --install-completion" in readme


def test_bare_validate_checks_the_project_from_any_folder_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "src" / "app").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "app")
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "3 files (2 scenarios), 1 workflow: 0 errors, 0 warnings"


def test_bare_validate_outside_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert result.stderr == f"no policies/ or scenarios/ folder in {tmp_path}; name the files to check\n"


def test_a_closed_pipe_keeps_the_reports_and_the_exit_code(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    drill = subprocess.Popen(
        # Two drills: the second one's report is printed after the reader has gone.
        [sys.executable, "-m", "orcli", "drill", *TWO_DRILLS, "--json", str(report)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert drill.stdout is not None and drill.stderr is not None
    first = drill.stdout.readline()  # what `| head -1` reads before it goes away
    drill.stdout.close()
    errors = drill.stderr.read().decode()
    assert drill.wait(timeout=120) == 0, errors
    assert first.startswith(b"Drill auth-failure-general-chat")
    assert report.is_file() and report.stat().st_size > 1000
    assert "Traceback" not in errors and "BrokenPipe" not in errors


def test_quiet_prints_one_verdict_line_per_drill(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    one = runner.invoke(app, ["drill", TWO_DRILLS[0], "-q"])
    assert one.exit_code == 0, one.output
    assert one.stdout.splitlines() == [
        "PASS: auth-failure-general-chat: all 5 expectations met; 60 requests, 66.7% answered"
    ]
    two = runner.invoke(app, ["drill", *TWO_DRILLS, "-q"])
    verdicts = [line for line in two.stdout.splitlines() if line.startswith(("PASS: ", "FAIL: "))]
    assert [v.split(":")[1].strip() for v in verdicts[:2]] == [
        "auth-failure-general-chat",
        "rate-limit-storm-general-chat",
    ]
    assert verdicts[2].startswith("PASS: 2 of 2 scenarios passed")  # and the run's total
