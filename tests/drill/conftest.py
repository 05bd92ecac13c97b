"""Helpers for drill tests: scenario and policy files written to a temporary folder, run for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from orcli.catalog import default_catalog
from orcli.drill.records import DrillResult
from orcli.drill.run import run_drill
from orcli.drill.runner import TransportWrapper, prepare
from orcli.drill.scenario import load_scenario

ROOT = Path(__file__).parent.parent.parent
POLICIES = ROOT / "policies"

# A small policy with a known shape: one primary, one fallback model, both with several providers.
CHAT_WORKFLOW: dict[str, Any] = {
    "models": {"primary": "openai/gpt-4o-mini", "fallbacks": ["mistralai/mistral-small-3.2"]},
    "retry": {"max_attempts": 2},
}


def write_policy(folder: Path, workflows: dict[str, dict[str, Any]], name: str = "policy.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump({"version": 1, "workflows": workflows}, sort_keys=False))
    return path


def write_scenario(folder: Path, name: str = "drill", **fields: Any) -> Path:
    """A scenario file; ``policy`` defaults to a CHAT_WORKFLOW policy beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    if "policy" not in fields:
        write_policy(folder, {"chat": CHAT_WORKFLOW})
        fields["policy"] = "policy.yaml"
    fields.setdefault("traffic", {"requests": 5})
    fields.setdefault("expect", [{"kind": "within_policy"}])
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, **fields}, sort_keys=False))
    return path


def run(path: Path, *, wrap_transport: TransportWrapper | None = None, **prepare_args: Any) -> DrillResult:
    inputs = prepare(load_scenario(path), default_catalog(), **prepare_args)
    return run_drill(inputs, wrap_transport=wrap_transport)


Drill = Callable[..., DrillResult]


@pytest.fixture
def drill(tmp_path: Path) -> Drill:
    """Write a scenario (``write_scenario`` arguments) in a fresh folder and run it."""
    count = 0

    def go(**fields: Any) -> DrillResult:
        nonlocal count
        count += 1
        return run(write_scenario(tmp_path / f"s{count}", **fields))

    return go
