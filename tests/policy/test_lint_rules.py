"""Each lint rule: fixtures that trigger it (whole lines asserted) and one that lints clean.

Fixtures live in tests/fixtures/lint as ``<rule-id>[.<variant>].bad.yaml`` and
``<rule-id>.good.yaml``; the good one differs from the bad one only where the fix is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.policy.lint import RULES, lint_workflow
from orcli.policy.model import Workflow

LINT = Path(__file__).parent.parent / "fixtures" / "lint"
runner = CliRunner()

# bad fixture -> every finding line it gives, after "path:"
EXPECTED = {
    "budget-below-cost.bad.yaml": [
        (
            "9:33: warning [budget-below-cost] workflows.report.budget.max_cost_per_request_usd: 10,000 output "
            "tokens cost at least $0.006 (on azure for openai/gpt-4o-mini) but the per-request cap is $0.005: "
            "full-length answers would be cut off; raise the cap or lower needs.max_output_tokens"
        ),
    ],
    "byok-strict.bad.yaml": [
        (
            "6:13: warning [byok-strict] workflows.chat.byok.mode: strict mode serves amazon-bedrock, anthropic "
            "only through your own keys: their rate limits reach you with no shared fallback; use mode: "
            "shared_fallback unless a contract forbids it"
        ),
    ],
    "context-too-small.bad.yaml": [
        (
            "5:19: error [context-too-small] workflows.summarise.models.fallbacks[0]: openai/gpt-4o-mini has at "
            "most 128,000 tokens of context but needs.min_context is 500,000; choose a larger-context model"
        ),
    ],
    "duplicate-model.bad.yaml": [
        (
            "7:11: error [duplicate-model] workflows.chat.models.fallbacks[1]: 'openai/gpt-4o' is already in the "
            "chain at models.primary: a repeat adds no resilience (its provider pool was already tried); remove "
            "it"
        ),
        (
            "8:11: error [duplicate-model] workflows.chat.models.fallbacks[2]: 'openai/gpt-4o-mini' is already "
            "in the chain at models.fallbacks[0]: a repeat adds no resilience (its provider pool was already "
            "tried); remove it"
        ),
    ],
    "empty-pool.bad.yaml": [
        (
            "5:19: error [empty-pool] workflows.chat.models.fallbacks[0]: no eligible endpoint for "
            "qwen/qwen3-coder: provider.zdr rules out the remaining fireworks, novita, cerebras (not a "
            "zero-data-retention endpoint; zdr is true), so OpenRouter would answer 404; loosen it or replace "
            "this model"
        ),
    ],
    "empty-pool.max-price.bad.yaml": [
        (
            "4:16: error [empty-pool] workflows.chat.models.primary: no eligible endpoint for "
            "anthropic/claude-opus-4.1: provider.max_price rules out the remaining anthropic, amazon-bedrock, "
            "google-vertex (prompt price $15/M tokens above max_price $5), so OpenRouter would answer 404; "
            "loosen it or replace this model"
        ),
    ],
    "empty-pool.only.bad.yaml": [
        (
            "5:19: error [empty-pool] workflows.chat.models.fallbacks[0]: no eligible endpoint for "
            "google/gemini-2.5-pro: provider.only rules out the remaining google-vertex, google-ai-studio (not "
            "in provider.only ['openai', 'azure']), so OpenRouter would answer 404; loosen it or replace this "
            "model"
        ),
    ],
    "empty-pool.quantization.bad.yaml": [
        (
            "6:19: error [empty-pool] workflows.chat.models.fallbacks[0]: no eligible endpoint for "
            "mistralai/mistral-large: provider.quantizations rules out the remaining mistral, azure, "
            "amazon-bedrock (quantization unknown not in ['fp8', 'bf16']), so OpenRouter would answer 404; "
            "loosen it or replace this model"
        ),
    ],
    "fail-safe-without-message.bad.yaml": [
        (
            "5:13: error [fail-safe-without-message] workflows.finance.degradation.mode: fail_safe shows the "
            "user an approved message when routes fail; write it in degradation.user_message"
        ),
    ],
    "missing-capability.bad.yaml": [
        (
            "5:19: error [missing-capability] workflows.extract.models.fallbacks[0]: no endpoint of "
            "anthropic/claude-sonnet-4.5 supports response_format (needs.structured_output is true); choose a "
            "model that does or drop it from the chain"
        ),
    ],
    "missing-capability.dropped.bad.yaml": [
        (
            "4:16: error [missing-capability] workflows.agent.models.primary: no eligible endpoint of "
            "meta-llama/llama-3.1-8b-instruct supports tools (those that do are excluded by provider.only): "
            "OpenRouter would silently drop it; loosen those rules or replace the model"
        ),
    ],
    "missing-capability.output.bad.yaml": [
        (
            "5:19: error [missing-capability] workflows.report.models.fallbacks[0]: openai/gpt-4o returns at "
            "most 16,384 tokens on any endpoint but needs.max_output_tokens is 32,000; lower it or choose "
            "another model"
        ),
    ],
    "no-resilience.bad.yaml": [
        (
            "5:24: warning [no-resilience] workflows.review.provider.allow_fallbacks: every request can reach "
            "only amazon-bedrock serving anthropic/claude-opus-4.1: one outage stops the workflow; list a second "
            "provider in provider.order, add a fallback model, or allow fallbacks"
        ),
    ],
    "no-resilience.order.bad.yaml": [
        (
            "6:24: warning [no-resilience] workflows.review.provider.allow_fallbacks: every request can reach "
            "only amazon-bedrock serving anthropic/claude-opus-4.1: one outage stops the workflow; list a second "
            "provider in provider.order, add a fallback model, or allow fallbacks"
        ),
    ],
    "queue-without-max-wait.bad.yaml": [
        (
            "5:13: warning [queue-without-max-wait] workflows.batch.degradation.mode: queued work may wait "
            "forever; set degradation.queue_max_wait_s to bound how long it is held"
        ),
    ],
    "regulated-without-zdr.bad.yaml": [
        (
            "3:17: error [regulated-without-zdr] workflows.claims.data_class: regulated data may reach any "
            "provider; set provider.zdr: true or list the approved providers in provider.only"
        ),
    ],
    "retry-exceeds-deadline.bad.yaml": [
        (
            "6:16: warning [retry-exceeds-deadline] workflows.chat.timeouts.total_s: retries can take 63 s (3 "
            "attempts of 20 s plus 3 s of backoff) but the deadline is 60 s, so the last attempts never run; "
            "raise total_s to 63 or lower retry.max_attempts or timeouts.attempt_s"
        ),
    ],
    "too-many-fallbacks.bad.yaml": [
        (
            "9:11: error [too-many-fallbacks] workflows.chat.models.fallbacks[3]: 4 fallbacks, but OpenRouter's "
            "models field takes at most 3; keep 3 or set app_fallback.mode: client to walk the chain in the "
            "client"
        ),
    ],
    "unknown-model.bad.yaml": [
        (
            "5:19: error [unknown-model] workflows.chat.models.fallbacks[0]: 'anthropic/claude-haiku-45' is not "
            "in the catalog; did you mean 'anthropic/claude-haiku-4.5'? (list models with 'orcli catalog show')"
        ),
    ],
    "unknown-provider.bad.yaml": [
        (
            "5:23: error [unknown-provider] workflows.chat.provider.order[1]: no provider 'azrue' in the "
            "catalog; did you mean 'azure'? (providers are named by routing slug)"
        ),
        (
            "6:16: error [unknown-provider] workflows.chat.provider.ignore[0]: no provider 'acme-cloud' in the "
            "catalog (providers are named by routing slug)"
        ),
    ],
    "unknown-provider.byok.bad.yaml": [
        (
            "5:23: error [unknown-provider] workflows.chat.byok.keys.open-ai: no provider 'open-ai' in the "
            "catalog; did you mean 'openai'? (providers are named by routing slug)"
        ),
    ],
}


def _rule_of(fixture: str) -> str:
    return fixture.split(".", 1)[0]


def test_rule_ids_are_the_documented_contract() -> None:
    assert sorted(RULES) == [
        "budget-below-cost",
        "byok-strict",
        "context-too-small",
        "duplicate-model",
        "empty-pool",
        "fail-safe-without-message",
        "missing-capability",
        "no-resilience",
        "queue-without-max-wait",
        "regulated-without-zdr",
        "retry-exceeds-deadline",
        "too-many-fallbacks",
        "unknown-model",
        "unknown-provider",
    ]


def test_every_rule_has_a_triggering_and_a_clean_fixture() -> None:
    bad = {_rule_of(p.name) for p in LINT.glob("*.bad.yaml")}
    good = {_rule_of(p.name) for p in LINT.glob("*.good.yaml")}
    assert bad == good == set(RULES)
    assert {p.name for p in LINT.glob("*.bad.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_bad_fixture_triggers_its_rule(fixture: str) -> None:
    path = LINT / fixture
    result = runner.invoke(app, ["validate", str(path)])
    lines = result.stdout.splitlines()
    assert lines[:-1] == [f"{path}:{line}" for line in EXPECTED[fixture]]
    assert all(f"[{_rule_of(fixture)}]" in line for line in lines[:-1])
    severity = RULES[_rule_of(fixture)].severity
    count = len(EXPECTED[fixture])
    if severity == "error":
        assert result.exit_code == 1
        assert lines[-1] == f"1 file, 1 workflow: {count} error{'s' if count > 1 else ''}, 0 warnings"
    else:
        assert result.exit_code == 0
        assert lines[-1] == f"1 file, 1 workflow: 0 errors, {count} warning{'s' if count > 1 else ''}"
        assert runner.invoke(app, ["validate", "--strict", str(path)]).exit_code == 1
    assert result.stderr == ""


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_good_fixture_lints_clean_even_under_strict(rule_id: str) -> None:
    result = runner.invoke(app, ["validate", "--strict", str(LINT / f"{rule_id}.good.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 file, 1 workflow: 0 errors, 0 warnings\n"


def _rules_hit(workflow: dict[str, object]) -> list[str]:
    parsed = Workflow.model_validate(workflow)
    return [rule.id for rule, _ in lint_workflow("w", parsed, default_catalog())]


def test_a_model_level_gap_is_reported_once_not_also_as_an_empty_pool() -> None:
    # require_parameters would empty the pool, but the cause is the model: say that, once.
    hits = _rules_hit(
        {
            "models": {"primary": "anthropic/claude-haiku-4.5"},
            "provider": {"require_parameters": True},
            "needs": {"structured_output": True},
        }
    )
    assert hits == ["missing-capability"]


def test_too_small_context_is_reported_once() -> None:
    hits = _rules_hit({"models": {"primary": "mistralai/mistral-7b-instruct"}, "needs": {"min_context": 16000}})
    assert hits == ["context-too-small"]


def test_an_empty_pool_caused_by_the_policy_is_still_reported_when_the_model_could_serve() -> None:
    # Claude Opus has tool-capable endpoints; provider.only leaves none.
    hits = _rules_hit(
        {
            "models": {"primary": "anthropic/claude-opus-4.1"},
            "provider": {"only": ["google-vertex"], "ignore": ["google-vertex"]},
            "needs": {"tools": True},
        }
    )
    assert hits == ["empty-pool"]


def test_the_default_workflow_lints_clean() -> None:
    # Defaults must agree with the rules: a minimal policy is a clean policy.
    assert _rules_hit({"models": {"primary": "openai/gpt-4o"}}) == []


def test_unknown_models_are_not_also_reported_by_routing_rules() -> None:
    hits = _rules_hit({"models": {"primary": "acme/unknown"}, "needs": {"tools": True, "min_context": 10**6}})
    assert hits == ["unknown-model"]


def test_retry_worst_case_follows_the_clients_schedule() -> None:
    """The lint counts what the client can do: a route gets at most its attempts per route
    (or a transient 5xx's quick retries), the backoff restarts on each new route, and a
    chain runs out of routes."""
    from orcli.policy.model import Workflow

    one_model = Workflow.model_validate(
        {"models": {"primary": "openai/gpt-4o"}, "retry": {"max_attempts": 5, "backoff": {"jitter": "none"}}}
    )
    assert (one_model.worst_case().attempts, one_model.worst_case().waits_s) == (2, 0.5)
    chain = one_model.model_copy(
        update={"models": one_model.models.model_copy(update={"fallbacks": ("anthropic/claude-haiku-4.5",)})}
    )
    worst = chain.worst_case()
    assert (worst.attempts, worst.waits_s, worst.total_s) == (4, 1.0, 121.0)
    quick = Workflow.model_validate(
        {"models": {"primary": "openai/gpt-4o"}, "retry": {"max_attempts_per_route": 1, "same_route": 2}}
    )
    assert (quick.worst_case().attempts, quick.worst_case().waits_s) == (3, 1.5)
