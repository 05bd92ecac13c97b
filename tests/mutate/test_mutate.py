"""``orcli mutate`` on a small project: a mutant killed by lint, one killed by each kind of
drill expectation, one that survives (with its suggestion) and one that is equivalent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orcli.catalog.load import load_catalog
from orcli.mutate import mutants, run_mutation
from orcli.mutate.observe import Reason, equivalence
from orcli.policy.compile import provider_object
from orcli.policy.load import load_policy

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]

POLICY = """\
version: 1
workflows:
  chat:
    data_class: internal
    models:
      primary: anthropic/claude-sonnet-4.5
    provider:
      only: [anthropic]  # every Anthropic endpoint is zero-data-retention: zdr adds nothing
      zdr: true
    timeouts: {attempt_s: 30, total_s: 120}
    retry:
      max_attempts: 3
      max_attempts_per_route: 5  # one route: every attempt is on it
  records:
    data_class: regulated
    models:
      primary: anthropic/claude-sonnet-4.5
    provider:
      zdr: true
    degradation:
      mode: fallback
"""

STORM = """\
name: storm
policy: ../policies/chat.yaml
workflows: [chat]
seed: 7
traffic:
  duration_s: 60
  rate_per_s: 1
  concurrency: 8
  mix:
    - name: ask
      prompt_tokens: 300
      max_tokens: 100
faults:
  - id: account-429
    kind: rate_limit
    scope: openrouter
    retry_after_s: 2
    probability: 0.4
    start_s: 10
    end_s: 40
expect:
  - kind: retry_after_respected
  - kind: max_attempts
    max: 3
  - kind: success_rate
    min: 0.9
"""

SLOW = """\
name: slow
policy: ../policies/chat.yaml
workflows: [chat]
seed: 8
traffic:
  duration_s: 60
  rate_per_s: 0.5
  mix:
    - name: ask
      prompt_tokens: 300
      max_tokens: 100
faults:
  - id: hang
    kind: timeout
    provider: anthropic
    seconds: 60
    probability: 0.3
    start_s: 10
    end_s: 50
expect:
  - kind: latency
    p99_max_s: 40
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "policies" / "chat.yaml").write_text(POLICY)
    (tmp_path / "scenarios" / "storm.yaml").write_text(STORM)
    (tmp_path / "scenarios" / "slow.yaml").write_text(SLOW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in data["mutants"]}


def test_killed_survived_and_equivalent_through_the_cli(project: Path) -> None:
    result = runner.invoke(app(), ["mutate", "policies/", "--json", "out.json", "--min-score", "1.0", "-j", "1"])
    assert result.exit_code == 1, result.output
    data = json.loads((project / "out.json").read_text())
    mutants_ = by_id(data)

    lint = mutants_["records/remove-provider.zdr"]
    assert lint["status"] == "killed"
    assert lint["killed_by"]["by"] == "lint" and lint["killed_by"]["check"] == "regulated-without-zdr"

    assert mutants_["chat/retry.max_attempts-1"]["killed_by"]["check"] == "storm: success_rate"
    assert mutants_["chat/retry.max_attempts-x3"]["killed_by"]["check"] == "storm: max_attempts"
    assert mutants_["chat/retry.honor_retry_after-off"]["killed_by"]["check"] == "storm: retry_after_respected"
    assert mutants_["chat/timeouts-x10"]["killed_by"]["check"] == "slow: latency"

    equivalent = mutants_["chat/remove-provider.zdr"]
    assert equivalent["status"] == "equivalent"
    assert equivalent["equivalent"]["reason"] == "redundant-rule"
    assert "anthropic" in equivalent["equivalent"]["text"]

    survivor = mutants_["chat/remove-provider.only"]
    assert survivor["status"] == "survived"
    assert survivor["suggestion"].startswith("no drill notices if you remove provider.only ([anthropic])")
    assert "amazon-bedrock" in survivor["suggestion"]  # the endpoints the rule kept out, named
    assert survivor["line"] == 8  # the `only:` line of the policy

    counts = data["counts"]
    assert counts["killed"] + counts["survived"] + counts["equivalent"] == data["total"] == len(data["mutants"])
    assert data["score"] == round(counts["killed"] / (data["total"] - counts["equivalent"]), 4)
    assert data["schema"] == "orcli.mutate/1"

    out = result.stdout
    assert "redundant-rule" in out and "Survivors (" in out
    assert f"mutation score {data['score']:.1%}" in out
    assert out.rstrip().endswith("is below --min-score 100.0%")


def test_the_pool_gives_the_same_verdicts(project: Path) -> None:
    catalog = load_catalog()
    alone = run_mutation([Path("policies")], Path("scenarios"), catalog, jobs=1)
    pooled = run_mutation([Path("policies")], Path("scenarios"), catalog, jobs=2)
    assert pooled.jobs == 2
    assert [(r.mutant.id, r.status, r.kill) for r in alone.results] == [
        (r.mutant.id, r.status, r.kill) for r in pooled.results
    ]


def test_a_drill_stops_at_the_first_kill(project: Path) -> None:
    report = run_mutation([Path("policies")], Path("scenarios"), load_catalog(), jobs=1)
    results = {r.mutant.id: r for r in report.results}
    # The scenario with the expectation likeliest to notice runs first (storm.yaml's
    # success_rate before slow.yaml, which sorts first), and the first kill ends the drills.
    assert results["chat/timeouts-x10"].drills_run == 1
    assert results["chat/retry.max_attempts-1"].drills_run == 1
    assert results["chat/remove-provider.only"].drills_run == 2  # a survivor ran them all
    assert results["records/remove-provider.zdr"].drills_run == 0  # lint killed it first


def test_mutants_are_built_from_the_parsed_policy() -> None:
    policy = load_policy(ROOT / "policies" / "customer-support.yaml")
    workflow = policy.policy.workflows["customer-support"]
    found = {m.key: m for m in mutants("customer-support", workflow, load_catalog())}
    removed = found["remove-provider.data_collection"].mutated
    assert "data_collection" not in provider_object(removed.provider)  # unset, as if never written
    assert removed.provider.require_parameters  # every other rule kept
    assert found["flip-retry.on.moderation"].mutated.retry.on["moderation"] == "fallback"  # type: ignore[index]
    assert found["loosen-budget.max_cost_per_request_usd"].mutated.budget.max_cost_per_request_usd == 1
    assert found["timeouts-x10"].mutated.timeouts.attempt_s == 150
    assert "byok.mode-shared_fallback" not in found  # no BYOK key, no BYOK mutant


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-score", "2"], "--min-score: expected a number from 0 to 1, got 2\n"),
        (["nowhere/"], "nowhere: no such file or folder\n"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app(), ["mutate", *args])
    assert result.exit_code == 2
    assert result.stderr == message


def app() -> Any:
    from orcli.cli.app import app as orcli_app

    return orcli_app


def _library_mutants(path: str, workflow: str) -> tuple[Any, dict[str, Any]]:
    policy = load_policy(ROOT / path).policy.workflows[workflow]
    return policy, {m.key: m for m in mutants(workflow, policy, load_catalog())}


def test_a_breaker_with_one_route_is_equivalent_and_says_why() -> None:
    original, found = _library_mutants("scenarios/policies/internal-assistant-byok-strict.yaml", "contract-assistant")
    same = equivalence(original, found["circuit_breaker-off"].mutated, load_catalog())
    assert same is not None and same.reason is Reason.BREAKER_HAS_NOTHING_TO_SKIP
    assert same.detail == "the only route is anthropic/claude-sonnet-4.5 at anthropic/byok"


def test_max_attempts_beyond_the_per_route_bound_is_equivalent() -> None:
    original, found = _library_mutants("scenarios/policies/internal-assistant-byok-strict.yaml", "contract-assistant")
    catalog = load_catalog()
    tripled = equivalence(original, found["retry.max_attempts-x3"].mutated, catalog)
    assert tripled is not None and tripled.reason is Reason.ATTEMPTS_BOUNDED_PER_ROUTE
    assert "2 per route x 1 model(s) = at most 2 attempts" in tripled.detail
    assert equivalence(original, found["retry.max_attempts-1"].mutated, catalog) is None  # 1 attempt binds


def test_a_breaker_with_somewhere_to_go_is_not_equivalent() -> None:
    original, found = _library_mutants("policies/general-chat.yaml", "general-chat")
    assert equivalence(original, found["circuit_breaker-off"].mutated, load_catalog()) is None


def test_a_rule_the_breakers_can_get_past_is_not_equivalent() -> None:
    # allow_fallbacks: false sends each request to one endpoint, but once the client's breaker
    # ignores Anthropic the next request goes to Bedrock or Vertex: without `only` they are reachable.
    original, found = _library_mutants("scenarios/policies/internal-assistant-byok-strict.yaml", "contract-assistant")
    catalog = load_catalog()
    assert equivalence(original, found["remove-provider.only"].mutated, catalog) is None
    # Strict BYOK to shared_fallback adds Anthropic's shared endpoint, which no ignore list can
    # bring before our own key (one slug names both): nothing changes.
    shared = equivalence(original, found["byok.mode-shared_fallback"].mutated, catalog)
    assert shared is not None and shared.reason is Reason.REDUNDANT_RULE
