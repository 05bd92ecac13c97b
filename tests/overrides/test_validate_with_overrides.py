"""validate reports a workflow that the route overrides in force leave without a route."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orcli.cli.app import app

runner = CliRunner()
POLICY = Path(__file__).resolve().parents[2] / "policies" / "legal-review.yaml"


def disable(store: Path, provider: str) -> None:
    result = runner.invoke(
        app,
        [
            *("route", "disable", "--provider", provider, "--reason", "incident 42", "--ttl", "2h"),
            *("--policy", str(POLICY), "--overrides", str(store), "--force"),
        ],
    )
    assert result.exit_code == 0, result.output


def test_an_override_that_strands_a_workflow_fails_validate(tmp_path: Path) -> None:
    store = tmp_path / "overrides.yaml"
    disable(store, "anthropic")
    ok = runner.invoke(app, ["validate", str(POLICY), "--overrides", str(store)])
    assert ok.exit_code == 0, ok.output  # amazon-bedrock still serves
    disable(store, "amazon-bedrock")
    result = runner.invoke(app, ["validate", str(POLICY), "--overrides", str(store)])
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if "override-strands-workflow" in x)
    assert line.startswith(
        f"{POLICY}:5:3: error [override-strands-workflow] workflows.legal-review: route override(s) "
    )
    assert "orcli route enable ID" in line


def test_without_overrides_the_same_policy_is_clean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(POLICY), "--overrides", str(tmp_path / "none.yaml")])
    assert result.exit_code == 0
    assert "0 errors" in result.stdout
