"""``orcli rehearse``: the parity run for any scenario, from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orcli.cli.app import app

runner = CliRunner()
LIBRARY = Path(__file__).parents[2] / "scenarios"


def test_parity_holds_and_exits_0() -> None:
    result = runner.invoke(app, ["rehearse", str(LIBRARY / "provider-outage-coding-agent.yaml")])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Rehearsal provider-outage-coding-agent: parity holds"
    assert any(line.split()[:3] == ["outcomes", "pass", "FAIL"] and "not compared" in line for line in lines)
    assert lines[-1].endswith("live path 120/0/0/0 (not compared: a provider fault)")


def test_a_difference_is_shown_and_exits_1() -> None:
    result = runner.invoke(app, ["rehearse", str(LIBRARY / "rate-limit-storm-general-chat.yaml")])
    assert result.exit_code == 1
    assert "Rehearsal rate-limit-storm-general-chat: parity DIFFERS" in result.stdout
    assert "  differs: success_rate: mock pass, live path FAIL" in result.stdout.splitlines()
    assert result.stderr == "rehearse: the live path differs from the mock for rate-limit-storm-general-chat\n"


def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npolicy: nowhere.yaml\ntraffic: {requests: 1}\nexpect: [{kind: success_rate, min: 1}]\n")
    result = runner.invoke(app, ["rehearse", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:2:")
