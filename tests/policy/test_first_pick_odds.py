"""``orcli explain``'s first-pick odds against the simulator's own draws on a cold start."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.policy.compile import compile_workflow
from orcli.policy.model import Workflow
from orcli.routing.plan import PlanCache
from orcli.upstream import router
from orcli.upstream.health import HealthTracker
from orcli.upstream.protocol import ChatRequest, parse_chat

DRAWS = 10_000
# Each share is a mean of 10,000 draws: its standard error is at most 0.005, so four
# standard errors keep a correct figure inside the bound all but once in ~15,000 runs.
TOLERANCE = 0.02
LLAMA = "meta-llama/llama-3.3-70b-instruct"
runner = CliRunner()


def workflow(**provider: Any) -> dict[str, Any]:
    return {"data_class": "public", "models": {"primary": LLAMA}, "provider": provider}


def explained(tmp_path: Path, spec: dict[str, Any]) -> dict[str, float]:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "workflows": {"chat": spec}}))
    result = runner.invoke(app, ["explain", str(path), "--json"])
    assert result.exit_code == 0, result.output
    (model,) = json.loads(result.stdout)[0]["models"]
    return {e["tag"]: e["first_pick_chance"] for e in model["eligible"]}


def drawn(spec: dict[str, Any]) -> dict[str, float]:
    """First endpoints the simulator's router tries, over DRAWS fresh requests (no history)."""
    request = compile_workflow("chat", Workflow.model_validate(spec))["request"]
    chat = parse_chat(
        json.dumps({**request, "messages": [{"role": "user", "content": "hi"}]}).encode(), default_model=LLAMA
    )
    assert isinstance(chat, ChatRequest)
    catalog, cache = default_catalog(), PlanCache()
    firsts: Counter[str] = Counter()
    for i in range(DRAWS):
        health = HealthTracker().view(0.0)
        step = next(router.walk(chat, catalog, health, random.Random(i), lambda m, ep: None, cache))
        assert step.candidate is not None
        firsts[step.candidate.endpoint.tag] += 1
    return {tag: n / DRAWS for tag, n in firsts.items()}


@pytest.mark.parametrize(
    "provider",
    [
        {},  # plain load balancing: 1/price² weights
        {"preferred_max_latency": 1.0},  # Lambda (p50 1.1 s) goes to the back: it is never first
        {"preferred_min_throughput": 100},
        {"order": ["groq"]},  # the ordered provider always leads
    ],
    ids=["balanced", "max-latency", "min-throughput", "order"],
)
def test_explained_first_pick_odds_match_the_simulators_draws(tmp_path: Path, provider: dict[str, Any]) -> None:
    spec = workflow(**provider)
    odds = explained(tmp_path, spec)
    seen = drawn(spec)
    assert sum(odds.values()) == pytest.approx(1.0, abs=1e-3)  # rounded to 4 places each
    for tag, chance in odds.items():
        assert seen.get(tag, 0.0) == pytest.approx(chance, abs=TOLERANCE), tag
    assert set(seen) <= {tag for tag, chance in odds.items() if chance > 0}


def test_an_endpoint_moved_back_by_a_preference_has_no_first_pick_chance(tmp_path: Path) -> None:
    odds = explained(tmp_path, workflow(preferred_max_latency=1.0))
    assert odds["lambda"] == 0.0
    text = tmp_path / "policy.yaml"
    shown = runner.invoke(app, ["explain", str(text)]).stdout
    assert "first pick 0%" in shown
