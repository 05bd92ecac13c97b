"""What a live drill may count as evidence: no cached answers, and a spent budget stops it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.drill.records import Outcome
from orcli.live.guard import LiveLimits

from .conftest import API, CANARY_KEY, CHAT, completion, error, ok, write_scenario
from .test_live_drill import run

runner = CliRunner()
KEY_BUDGET = "API key budget limit exceeded (monthly limit)"


def test_every_request_asks_for_no_cached_answer(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    run(write_scenario(tmp_path, requests=3))
    assert [c.request.headers["x-openrouter-cache"] for c in route.calls] == ["false"] * 3


def test_a_cache_hit_is_never_counted_as_served(tmp_path: Path, api: respx.MockRouter) -> None:
    hit = httpx.Response(200, json=completion(cost=0), headers={"X-OpenRouter-Cache-Status": "HIT"})
    api.post(CHAT).mock(side_effect=[ok(), hit, ok()])
    result = run(write_scenario(tmp_path, requests=3, concurrency=1))
    outcomes = [r.outcome for r in result.requests]
    assert outcomes == [Outcome.SERVED, Outcome.FAILED, Outcome.SERVED]
    assert "response cache" in result.requests[1].reason and "invalid evidence" in result.requests[1].reason
    assert any(n.startswith("1 answers came from OpenRouter's response cache") for n in result.notes)


def test_the_simulator_answers_a_live_drill_without_its_cache(tmp_path: Path) -> None:
    """Against the simulator, which caches when asked to: identical requests are all fresh."""
    from orcli.catalog.load import default_catalog
    from orcli.client.keys import ApiKey
    from orcli.drill.live import LiveRun, drill_live
    from orcli.drill.runner import prepare
    from orcli.drill.scenario import load_scenario
    from orcli.upstream import Simulator
    from orcli.upstream.transport import AsyncSimulatorTransport
    from orcli.vtime import run_virtual

    simulator = Simulator(default_catalog(), seed=1)
    inputs = prepare(load_scenario(write_scenario(tmp_path, requests=4, concurrency=1)), default_catalog())
    live = LiveRun(key=ApiKey(CANARY_KEY), transport=AsyncSimulatorTransport(simulator))
    result = run_virtual(drill_live, inputs, live)
    assert [r.outcome for r in result.requests] == [Outcome.SERVED] * 4
    assert not any("response cache" in n for n in result.notes)


def _key(limit: float | None, remaining: float | None) -> httpx.Response:
    data = {"label": "sk-or-v1-abc...", "limit": limit, "limit_remaining": remaining, "limit_reset": "monthly"}
    return httpx.Response(200, json={"data": data})


def test_a_budget_403_stops_the_drill_with_the_key_limit(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(side_effect=[ok(), error(403, KEY_BUDGET)] + [ok()] * 10)
    key = api.get(f"{API}/key").mock(return_value=_key(5.0, 0.0))
    result = run(write_scenario(tmp_path, requests=8, concurrency=1), limits=LiveLimits(abort_min_requests=100))
    assert route.call_count == 2  # no retry, no fallback, nothing after
    assert key.call_count == 1
    assert result.abort is not None and result.abort.spend_limit
    assert result.abort.reason == (
        f"spend limit reached on OpenRouter: {KEY_BUDGET} (GET /key: limit $5.00, $0 remaining, resets monthly)"
    )
    assert result.abort.not_started == 6


def test_a_workspace_budget_says_the_key_has_no_limit(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(return_value=error(403, "Workspace monthly budget of $500.00 exceeded"))
    api.get(f"{API}/key").mock(return_value=_key(None, None))
    result = run(write_scenario(tmp_path, requests=3, concurrency=1))
    assert result.abort is not None and result.abort.spend_limit
    assert "Workspace monthly budget of $500.00 exceeded" in result.abort.reason
    assert "the key has no limit of its own" in result.abort.reason


def test_an_injected_budget_fault_does_not_stop_the_drill(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    faults = "  - kind: budget\n    scope: key\n    first: 1\n"
    result = run(write_scenario(tmp_path, requests=3, concurrency=1, faults=faults))
    assert result.abort is None
    assert route.call_count == 2  # the first was refused client-side, as a drill of the app's handling


def test_a_spend_limit_exits_5(tmp_path: Path, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    api.post(CHAT).mock(return_value=error(403, KEY_BUDGET))
    api.get(f"{API}/key").mock(return_value=_key(5.0, 0.0))
    result = runner.invoke(app, ["drill", str(write_scenario(tmp_path, requests=3)), "--yes-live", "-q"])
    assert result.exit_code == 5
    assert result.stderr.splitlines()[-1].startswith(
        f"drill stopped by a spend limit: live-check: ABORTED: spend limit reached on OpenRouter: {KEY_BUDGET}"
    )
    assert CANARY_KEY not in result.stdout + result.stderr


def test_generation_look_ups_count_against_the_request_cap(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(side_effect=[ok(gen_id=f"gen-1-{i}") for i in range(3)])
    generation = api.get(f"{API}/generation").mock(
        return_value=httpx.Response(404, json={"error": {"code": 404, "message": "Generation not found"}})
    )
    result = run(write_scenario(tmp_path, requests=3, concurrency=1), trail=True, limits=LiveLimits(max_requests=5))
    # Three completions leave two sends for look-ups, however many the trail wanted.
    assert generation.call_count == 2
    assert result.notes[0].startswith("live: https://openrouter.ai/api/v1; 5 requests sent (cap 5)")
    assert any("--max-requests 5 reached" in n for n in result.notes)
    assert "attempt trail from /generation: 0 of 3 generations" in result.notes
