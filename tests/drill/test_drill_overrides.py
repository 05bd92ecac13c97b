"""Drills and the on-call store: a snapshot at the start, expiry judged then, ids in the report."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.drill.run import run_drill
from orcli.drill.runner import prepare
from orcli.drill.scenario import load_scenario
from orcli.overrides import OverrideAction, new_override
from orcli.overrides.location import open_store

from .conftest import write_scenario

cli = CliRunner()


def providers(result: object) -> set[str]:
    return {r.result.served_provider for r in result.requests if r.result.ok}  # type: ignore[attr-defined]


@pytest.fixture(params=["file", "redis"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "state" / "overrides.yaml")
    return str(request.getfixturevalue("redis_url"))


def test_a_drill_picks_up_a_disable_made_by_another_process(tmp_path: Path, store_location: str) -> None:
    path = write_scenario(tmp_path, traffic={"requests": 12})
    assert providers(run_drill(prepare(load_scenario(path), default_catalog(), overrides_path=store_location))) == {
        "OpenAI",
        "Azure",
    }
    done = subprocess.run(
        [sys.executable, "-m", "orcli", "route", "disable", "--provider", "azure", "--reason", "azure incident",
         "--ttl", "1h", "--overrides", store_location, "--policy", str(tmp_path / "policy.yaml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    override_id = done.stdout.split()[1].rstrip(":")

    report = tmp_path / "report.json"
    shown = cli.invoke(app, ["drill", str(path), "--overrides", store_location, "--json", str(report)])
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(report.read_text())
    assert data["schema"] == "orcli.drill/4"
    assert data["scenario"]["override_ids"] == [override_id]
    assert data["scenario"]["overrides"][0].startswith(f"{override_id} (chat): disable provider azure")
    served = {a["provider"] for r in data["requests"] for a in r["attempts"] if a["error_class"] is None}
    assert served == {"OpenAI"}


def test_expiry_is_judged_when_the_drill_starts(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, traffic={"requests": 12})
    store = tmp_path / "overrides.yaml"
    t0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    azure = open_store(str(store), actor="oncall").add(
        new_override(
            action=OverrideAction.DISABLE,
            provider="azure",
            reason="azure incident",
            created_at=t0,
            created_by="oncall",
            expires_at=t0 + timedelta(minutes=10),
        ),
        now=t0,
    )
    before = prepare(load_scenario(path), default_catalog(), overrides_path=str(store), now=t0 + timedelta(minutes=9))
    assert before.override_ids == (azure.id,)
    # The snapshot holds for the whole drill, however long its simulated traffic runs.
    result = run_drill(before)
    assert providers(result) == {"OpenAI"}
    assert result.override_ids == (azure.id,)
    after = prepare(load_scenario(path), default_catalog(), overrides_path=str(store), now=t0 + timedelta(minutes=10))
    assert after.override_ids == ()
    assert providers(run_drill(after)) == {"OpenAI", "Azure"}
