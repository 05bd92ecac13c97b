"""The drill runner on the mock: arrivals, concurrency, workflows, queueing, budgets, overrides, BYOK."""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.client.hops import HopKind
from orcli.drill.records import Outcome
from orcli.drill.runner import prepare
from orcli.drill.scenario import Traffic, load_scenario
from orcli.drill.traffic import plan_traffic

from .conftest import CHAT_WORKFLOW, POLICIES, Drill, run, write_policy, write_scenario

cli = CliRunner()

# -- determinism -----------------------------------------------------------------------------

NOISY = {
    "traffic": {
        "requests": 30,
        "rate_per_s": 2,
        "arrival": "poisson",
        "mix": [{"name": "chat"}, {"name": "stream", "stream": True}, {"name": "tools", "kind": "tools"}],
    },
    "faults": [{"kind": "outage", "provider": "azure", "probability": 0.5}, {"kind": "latency", "add_s": 1.5}],
}


def json_report(path: Path, out: Path, *args: str) -> bytes:
    result = cli.invoke(app, ["drill", str(path), "--json", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output + result.stderr
    return out.read_bytes()


def test_same_scenario_and_seed_give_a_byte_identical_json_report(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, seed=11, **NOISY)
    first = json_report(path, tmp_path / "a.json")
    second = json_report(path, tmp_path / "b.json")
    assert first == second
    other_seed = json_report(path, tmp_path / "c.json", "--seed", "12")
    assert other_seed != first
    assert json.loads(other_seed)["scenario"]["seed"] == 12


# -- arrival planning --------------------------------------------------------------------------


def test_uniform_arrivals_are_evenly_spaced() -> None:
    plan = plan_traffic(Traffic(requests=5, rate_per_s=2), ("w",), random.Random(0))
    assert [p.at_s for p in plan] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert [p.index for p in plan] == [0, 1, 2, 3, 4]


def test_a_duration_gives_duration_times_rate_requests() -> None:
    plan = plan_traffic(Traffic(duration_s=10, rate_per_s=0.75), ("w",), random.Random(0))
    assert len(plan) == math.floor(10 * 0.75)
    assert plan[-1].at_s < 10


def test_poisson_over_a_duration_stays_inside_it() -> None:
    traffic = Traffic(duration_s=60, rate_per_s=2, arrival="poisson")
    for seed in range(20):
        times = [p.at_s for p in plan_traffic(traffic, ("w",), random.Random(seed))]
        assert len(times) == 120
        assert times == sorted(times)
        assert times[0] >= 0 and times[-1] < 60
        # Spread over the whole window, not bunched at the start.
        assert sum(t >= 30 for t in times) > 30


def test_poisson_with_a_count_has_exponential_gaps_at_the_rate() -> None:
    plan = plan_traffic(Traffic(requests=4000, rate_per_s=4, arrival="poisson"), ("w",), random.Random(3))
    gaps = [b.at_s - a.at_s for a, b in itertools.pairwise(plan)]
    assert plan[0].at_s == 0.0
    assert min(gaps) >= 0
    assert sum(gaps) / len(gaps) == pytest.approx(0.25, rel=0.05)
    assert len({round(g, 3) for g in gaps}) > 500  # not evenly spaced


def test_the_plan_depends_only_on_the_seed() -> None:
    traffic = Traffic(requests=50, arrival="poisson", mix=({"name": "a"}, {"name": "b", "weight": 3}))  # type: ignore[arg-type]
    first = plan_traffic(traffic, ("w",), random.Random(5))
    assert first == plan_traffic(traffic, ("w",), random.Random(5))
    assert first != plan_traffic(traffic, ("w",), random.Random(6))
    assert {p.kind.name for p in first} == {"a", "b"}


# -- concurrency -------------------------------------------------------------------------------


def test_a_concurrency_limit_of_one_queues_requests_behind_each_other(drill: Drill) -> None:
    result = drill(
        traffic={"requests": 4, "rate_per_s": 10, "concurrency": 1},
        faults=[{"kind": "latency", "add_s": 5}],
    )
    starts = [r.result.attempts[0].started_at for r in result.requests]
    ends = [r.finished_at_s for r in result.requests]
    assert [r.at_s for r in result.requests] == [0.0, 0.1, 0.2, 0.3]
    for i in range(1, 4):
        assert starts[i] == pytest.approx(ends[i - 1])  # the next one starts when the slot frees
        assert starts[i] > result.requests[i].at_s + 4
    assert result.duration_s == pytest.approx(ends[-1])
    # What the user waited includes the wait for a free slot, not only the attempts.
    assert result.requests[0].slot_wait_s == 0
    for record, start in zip(result.requests[1:], starts[1:], strict=True):
        assert record.slot_wait_s == pytest.approx(start - record.at_s, abs=1e-6)
        assert record.latency_s == pytest.approx(record.finished_at_s - record.at_s, abs=1e-6)
        assert record.latency_s > record.result.latency_s + 4


def test_without_a_tight_limit_requests_start_on_arrival(drill: Drill) -> None:
    result = drill(
        traffic={"requests": 4, "rate_per_s": 10, "concurrency": 4},
        faults=[{"kind": "latency", "add_s": 5}],
    )
    assert [r.result.attempts[0].started_at for r in result.requests] == pytest.approx([0.0, 0.1, 0.2, 0.3])


# -- workflows ---------------------------------------------------------------------------------


def two_workflow_policy(folder: Path) -> None:
    write_policy(folder, {"alpha": CHAT_WORKFLOW, "beta": CHAT_WORKFLOW})


def test_workflows_take_turns_and_a_mix_entry_can_pin_one(tmp_path: Path) -> None:
    two_workflow_policy(tmp_path)
    path = write_scenario(
        tmp_path,
        policy="policy.yaml",
        traffic={
            "requests": 40,
            "mix": [{"name": "shared"}, {"name": "beta-only", "workflow": "beta"}],
        },
    )
    rows = run(path).requests
    pinned = [r for r in rows if r.kind == "beta-only"]
    shared = [r for r in rows if r.kind == "shared"]
    assert pinned and shared
    assert {r.workflow for r in pinned} == {"beta"}
    assert [r.workflow for r in shared] == [("alpha", "beta")[i % 2] for i in range(len(shared))]
    assert {r.result.workflow for r in rows} == {"alpha", "beta"}


def test_the_workflows_key_selects_among_the_policy_workflows(tmp_path: Path) -> None:
    two_workflow_policy(tmp_path)
    result = run(write_scenario(tmp_path, policy="policy.yaml", workflows=["beta"]))
    assert result.workflows == ("beta",)
    assert {r.workflow for r in result.requests} == {"beta"}


# -- degradation modes and budgets --------------------------------------------------------------


def test_queue_mode_completes_after_the_outage_as_degraded(drill: Drill) -> None:
    result = drill(
        policy=str(POLICIES / "batch-enrichment.yaml"),
        traffic={"requests": 2},
        faults=[{"kind": "outage", "start_s": 0, "end_s": 900}],
    )
    for row in result.requests:
        assert row.result.ok
        assert row.outcome is Outcome.DEGRADED
        assert "queueing" in row.reason
        assert row.finished_at_s > 900
        assert any(a.next_hop is not None and a.next_hop.kind is HopKind.QUEUED for a in row.result.attempts)


def test_a_budget_refusal_is_a_clean_outcome(tmp_path: Path) -> None:
    write_policy(tmp_path, {"chat": {**CHAT_WORKFLOW, "budget": {"max_cost_per_request_usd": 0.000001}}})
    result = run(write_scenario(tmp_path, policy="policy.yaml", traffic={"requests": 3}))
    assert len(result.requests) == 3
    for row in result.requests:
        assert row.outcome is Outcome.FAILED_SAFE
        assert row.reason == "budget cap: stopped before sending"
        assert row.result.attempts == ()
        assert row.result.alerts[0].startswith("budget: workflow 'chat' attempt 1 could cost up to")
        assert not row.result.alerts[0].startswith("budget: budget:")


# -- a client that raises ---------------------------------------------------------------------


class BrokenNetwork(httpx.AsyncBaseTransport):
    """Passes requests to the mock, but the second one blows up with a non-HTTP error."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("socket buffer corrupted")
        return await self.inner.handle_async_request(request)


def test_a_request_whose_client_raises_becomes_a_failed_record(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, traffic={"requests": 4})
    result = run(path, wrap_transport=BrokenNetwork)
    assert len(result.requests) == 4
    broken = result.requests[1]
    assert broken.outcome is Outcome.FAILED
    assert broken.reason == "error: the client raised RuntimeError: socket buffer corrupted"
    assert [r.outcome for i, r in enumerate(result.requests) if i != 1] == [Outcome.SERVED] * 3


# -- overrides and BYOK ---------------------------------------------------------------------------


def disable(overrides: Path, policy: Path, provider: str) -> None:
    result = cli.invoke(
        app,
        [
            "route", "disable", "--provider", provider, "--reason", "provider incident",
            "--overrides", str(overrides), "--policy", str(policy),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr


def providers(rows: object) -> set[str]:
    return {r.result.served_provider for r in rows if r.result.ok}  # type: ignore[attr-defined]


def test_overrides_from_the_store_change_who_serves_and_are_reported(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, traffic={"requests": 12})
    before = run(path)
    assert providers(before.requests) == {"OpenAI", "Azure"}
    assert before.overrides == ()

    overrides = tmp_path / "state" / "overrides.yaml"
    disable(overrides, tmp_path / "policy.yaml", "azure")
    after = run(path, overrides_path=overrides)
    assert providers(after.requests) == {"OpenAI"}
    assert len(after.overrides) == 1
    assert "(chat)" in after.overrides[0] and "azure" in after.overrides[0]
    assert "provider incident" in after.overrides[0]

    shown = cli.invoke(app, ["drill", str(path), "--overrides", str(overrides)])
    assert shown.exit_code == 0, shown.stderr
    assert "provider incident" in shown.stdout


def test_the_scenario_overrides_key_is_read_relative_to_the_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "drills"
    disable(folder / "incident.yaml", write_policy(folder, {"chat": CHAT_WORKFLOW}), "openai")
    path = write_scenario(folder, policy="policy.yaml", overrides="incident.yaml", traffic={"requests": 12})
    result = run(path)
    assert providers(result.requests) == {"Azure"}
    assert len(result.overrides) == 1 and "openai" in result.overrides[0]


@pytest.mark.parametrize(("mode", "shared_left"), [("strict", False), ("shared_fallback", True)])
def test_byok_keys_add_their_own_endpoints(tmp_path: Path, mode: str, shared_left: bool) -> None:
    workflow = {**CHAT_WORKFLOW, "byok": {"keys": {"openai": "OPENAI_BYOK_KEY"}, "mode": mode}}
    write_policy(tmp_path, {"chat": workflow})
    path = write_scenario(tmp_path, policy="policy.yaml", traffic={"requests": 12})
    inputs = prepare(load_scenario(path), default_catalog())
    model = inputs.catalog.get("openai/gpt-4o-mini")
    assert model is not None
    tags = [ep.tag for ep in model.endpoints]
    assert "openai/byok" in tags
    assert ("openai" in tags) is shared_left
    assert "azure" in tags  # no key for Azure: untouched

    result = run(path)
    served_by_openai = [r for r in result.requests if r.result.served_provider == "OpenAI"]
    assert served_by_openai
    assert all(r.result.response is not None for r in served_by_openai)
    assert all(r.result.response["usage"]["is_byok"] for r in served_by_openai)  # type: ignore[index]
    assert all(not r.violations for r in result.requests)
