"""The scenario library passes with its policies, and loosened policies make it fail.

Each weakened policy in tests/fixtures/weakened/ undoes the one decision a drill is there
to protect; the drill has to fail with exit 1 and name the expectation and its evidence.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.drill.run import run_drill
from orcli.drill.runner import prepare
from orcli.drill.scenario import load_scenario
from orcli.policy.model import ErrorClass

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
WEAKENED = ROOT / "tests" / "fixtures" / "weakened"
LIBRARY = sorted(p for p in SCENARIOS.glob("*.yaml"))

runner = CliRunner()


def drill(*args: str) -> Any:
    return runner.invoke(app, ["drill", *args, "--max-rows", "5"])


def variant(tmp_path: Path, scenario: str, **changes: Any) -> Path:
    """A copy of a library scenario with some keys replaced, written to tmp_path."""
    data = yaml.safe_load((SCENARIOS / f"{scenario}.yaml").read_text())
    data.update(changes)
    path = tmp_path / f"{scenario}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_library_covers_the_seed_tables() -> None:
    names = {p.stem for p in LIBRARY}
    assert len(names) >= 15
    for needed in (
        "provider-outage-coding-agent",
        "model-outage-general-chat",
        "context-overflow-coding-agent",
        "rate-limit-storm-general-chat",
        "timeout-latency-spike-general-chat",
        "moderation-stop-customer-support",
        "malformed-tool-calls-coding-agent",
        "auth-failure-general-chat",
        "billing-failure-financial-analysis",
        "zdr-routing-constraint-internal-assistant",
        "byok-rate-limited-shared-fallback",
        "byok-rate-limited-strict",
        "flapping-primary-customer-support",
        "stream-cut-general-chat",
        "legal-review-fails-safe",
        "batch-queue-completes",
    ):
        assert needed in names


def test_every_scenario_passes_with_its_policy() -> None:
    result = runner.invoke(app, ["drill", str(SCENARIOS), "--quiet"])
    assert result.exit_code == 0, result.output
    for path in LIBRARY:
        name = yaml.safe_load(path.read_text())["name"]
        assert name == path.stem  # the file is named after its scenario
        assert name in result.stdout
    assert f"PASS: {len(LIBRARY)} of {len(LIBRARY)} scenarios passed" in result.stdout


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_each_scenario_is_modest_described_and_bites(path: Path) -> None:
    loaded = load_scenario(path)
    scenario = loaded.scenario
    assert 20 <= scenario.traffic.count <= 300
    assert len(scenario.description) > 80
    result = run_drill(prepare(loaded, _catalog()))
    assert result.passed, [e for e in result.expectations if not e.passed]
    fired = {f.fault_id for f in result.fired}
    assert {f.fault_id for f in result.declared_faults} <= fired  # every fault bit


# -- weakened policies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "policy", "expectation", "evidence"),
    [
        # Legal review that may reroute to any provider: Vertex answers, outside the agreement.
        (
            "legal-review-fails-safe",
            "legal-review-broad",
            "fail_safe_approved",
            "provider google-vertex is not approved (anthropic, amazon-bedrock)",
        ),
        # A coding agent pinned to one provider: the outage reaches the users.
        ("provider-outage-coding-agent", "coding-agent-single-provider", "success_rate", "success rate 50.0%"),
        # General chat without fallback models: the model outage empties whole windows.
        ("model-outage-general-chat", "general-chat-no-fallbacks", "success_rate", "window 60-90s: 0.0%"),
        # Support that hands flagged conversations to another model instead of a person.
        (
            "moderation-stop-customer-support",
            "customer-support-moderation-fallback",
            "max_fallback_depth",
            "403 -> google/gemini-2.5-flash",
        ),
        # Chat without a first-token limit: a hanging provider holds users for the whole attempt.
        # (the p99 itself, about 29 s, depends on the seed: only its verdict is checked)
        ("timeout-latency-spike-general-chat", "general-chat-no-first-token-limit", "latency", "s > 12s"),
    ],
)
def test_a_weakened_policy_fails_its_drill(
    tmp_path: Path, scenario: str, policy: str, expectation: str, evidence: str
) -> None:
    path = variant(tmp_path, scenario, policy=str(WEAKENED / f"{policy}.yaml"))
    result = drill(str(path))
    assert result.exit_code == 1, result.output
    assert f"FAIL  {expectation}" in result.stdout
    assert evidence in result.stdout
    assert f"drill failed: {scenario}" in result.stderr


def test_a_declared_fault_that_never_fires_fails_the_drill(tmp_path: Path) -> None:
    # Groq does not serve qwen3-coder: a fault aimed there can never bite.
    faults = [{"id": "wrong-target", "kind": "outage", "provider": "groq", "model": "qwen/qwen3-coder"}]
    path = variant(tmp_path, "provider-outage-coding-agent", faults=faults, expect=[{"kind": "within_policy"}])
    path.write_text(path.read_text().replace("../policies/", str(ROOT / "policies") + "/"))
    result = drill(str(path))
    assert result.exit_code == 1, result.output
    assert "FAIL  faults_fired" in result.stdout
    assert "fault 'wrong-target' never fired" in result.stdout


# -- what the library showed about the client ------------------------------------------------


def test_allowlisted_routes_stay_probed_while_their_breakers_are_open() -> None:
    # Legal review's two providers go down together; the breakers open on both. Ignoring both
    # would leave the model no endpoint and turn the incident into a "no endpoints" 404.
    result = run_drill(prepare(load_scenario(SCENARIOS / "legal-review-fails-safe.yaml"), _catalog()))
    classes = {r.result.error_class for r in result.requests if not r.result.ok}
    assert classes == {ErrorClass.PROVIDER_FAILURE}


def test_strict_byok_shows_the_keys_own_429s_to_the_client() -> None:
    result = run_drill(prepare(load_scenario(SCENARIOS / "byok-rate-limited-strict.yaml"), _catalog()))
    failed = [r for r in result.requests if not r.result.ok]
    assert failed and all(r.result.error_class is ErrorClass.RATE_LIMIT for r in failed)
    assert all(r.result.fail_safe_message for r in failed)


def _catalog() -> Any:
    from orcli.catalog import default_catalog

    return default_catalog()


def test_the_benchmark_failover_scenarios_pass_as_drills() -> None:
    """The single-request failover set that bench_drill.py times is also a set of real drills."""
    files = sorted((ROOT / "benchmarks" / "scenarios" / "failover").glob("*.yaml"))
    assert len(files) == 16
    for path in files:
        result = run_drill(prepare(load_scenario(path), default_catalog()))
        assert result.passed, [e for e in result.expectations if not e.passed]
        assert len(result.requests) == 1


def test_legal_review_with_limits_too_tight_for_any_answer_fails(tmp_path: Path) -> None:
    # Half a second per attempt is shorter than any first byte of a 60k-token review: no request is
    # answered. Outside the outage that is a failure of the limits, never a safe failure of the policy.
    policy = yaml.safe_load((ROOT / "policies" / "legal-review.yaml").read_text())
    policy["workflows"]["legal-review"]["timeouts"]["attempt_s"] = 0.5
    (tmp_path / "legal-review.yaml").write_text(yaml.safe_dump(policy, sort_keys=False))
    path = variant(tmp_path, "legal-review-fails-safe", policy=str(tmp_path / "legal-review.yaml"))
    result = run_drill(prepare(load_scenario(path), default_catalog()))
    outcomes = Counter((r.outcome.value, r.reason.split(":")[0]) for r in result.requests)
    assert outcomes == {("failed", "limits too tight"): 30, ("failed_safe", "provider_failure"): 30}
    handled = next(e for e in result.expectations if e.kind == "handled_rate")
    assert not handled.passed and handled.summary.startswith("handled rate 50.0%")
    assert not result.passed


def test_reports_tell_answers_on_own_keys_from_shared_capacity(tmp_path: Path) -> None:
    report = tmp_path / "byok.json"
    result = drill(str(SCENARIOS / "byok-rate-limited-shared-fallback.yaml"), "--json", str(report))
    assert result.exit_code == 0, result.output
    assert "BYOK                 60 answers on own keys, 60 on shared capacity" in result.stdout
    assert "anthropic/claude-sonnet-4.5@anthropic/byok 60 (50.0%)" in result.stdout
    data = json.loads(report.read_text())
    figures = data["metrics"]["internal-assistant"]
    assert (figures["byok_answers"], figures["shared_answers"]) == (60, 60)
    endpoints = {r["served_endpoint"] for r in data["requests"]}
    assert {"anthropic/byok", "anthropic"} <= endpoints


def test_reports_show_faults_matched_and_applied(tmp_path: Path) -> None:
    # Some answers are shorter than the cut point: the fault matched them and cut nothing.
    report = tmp_path / "cut.json"
    result = drill(str(SCENARIOS / "stream-cut-general-chat.yaml"), "--json", str(report))
    assert result.exit_code == 0, result.output
    (cut,) = json.loads(report.read_text())["faults"]["declared"]
    assert (cut["fired"], cut["applied"]) == (17, 12)
    assert "17x matched, 12 applied" in result.stdout
    assert "faults_fired: fired: cut x12 applied (17 matched)" in result.stdout
