"""The example policies: clean under lint, and compile/explain say what their YAML says.

Expectations are computed from the YAML text itself (read with plain PyYAML, not the
loader under test) and from the catalog, so a change in the policies or the catalog
keeps these tests meaningful. The explain output is also pinned by golden files; see
tests/golden/README.md to regenerate them.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from orcli.catalog import Endpoint, default_catalog
from orcli.cli.app import app
from orcli.policy.model import DEFAULT_ACTIONS, Workflow

ROOT = Path(__file__).parent.parent.parent
POLICIES = sorted((ROOT / "policies").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "golden" / "explain"
runner = CliRunner()

SEED_WORKFLOW_TYPES = {
    "general-chat",
    "financial-analysis",
    "legal-review",
    "coding-agent",
    "batch-enrichment",
    "customer-support",
    "internal-assistant-zdr",
}


class _KeysAsWritten(yaml.SafeLoader):
    """Plain PyYAML, except that `on:` stays the string it is in a policy (not True)."""


_KeysAsWritten.add_constructor(
    "tag:yaml.org,2002:bool",
    lambda loader, node: (
        node.value if node.value in ("on", "off") else yaml.SafeLoader.construct_yaml_bool(loader, node)
    ),
)


def raw_workflow(path: Path) -> tuple[str, dict[str, Any]]:
    data = yaml.load(path.read_text(), Loader=_KeysAsWritten)
    ((name, workflow),) = data["workflows"].items()
    return name, workflow


def invoke_json(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_one_policy_per_seed_workflow_type() -> None:
    assert {p.stem for p in POLICIES} == SEED_WORKFLOW_TYPES


def test_examples_validate_with_no_errors_and_no_warnings() -> None:
    result = runner.invoke(app, ["validate", "--strict", str(ROOT / "policies")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "7 files, 7 workflows: 0 errors, 0 warnings\n"


def _number(value: Any) -> Any:
    """YAML numbers as compile's JSON shows them (Decimal fields print as int when whole)."""
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_compile_request_is_what_the_yaml_says(path: Path) -> None:
    name, raw = raw_workflow(path)
    compiled = invoke_json("compile", str(path), "--workflow", name)
    request = compiled["request"]
    expected: dict[str, Any] = {"model": raw["models"]["primary"]}
    if raw["models"].get("fallbacks"):
        expected["models"] = raw["models"]["fallbacks"]
    if raw.get("provider"):
        expected["provider"] = {k: _number(v) for k, v in raw["provider"].items()}
    needs = raw.get("needs", {})
    if "max_output_tokens" in needs:
        expected["max_tokens"] = needs["max_output_tokens"]
    if needs.get("streaming"):
        expected["stream"] = True
    assert request == expected


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_compile_client_settings_carry_the_yaml_values(path: Path) -> None:
    name, raw = raw_workflow(path)
    client = invoke_json("compile", str(path), "--workflow", name)["client"]
    for section in ("timeouts", "budget", "degradation", "byok"):
        for key, value in raw.get(section, {}).items():
            shown = client[section][key]
            assert (Decimal(str(shown)) == Decimal(str(value))) if section == "budget" else shown == value, key
    retry = raw.get("retry", {})
    overrides = retry.get("on", {})
    assert client["retry"]["on"] == {
        cls.value: overrides.get(cls.value, act.value) for cls, act in DEFAULT_ACTIONS.items()
    }
    assert client["app_fallback"]["chain"] == [raw["models"]["primary"], *raw["models"].get("fallbacks", [])]
    assert client["data_class"] == raw["data_class"]


def _violates(rule: str, ep: Endpoint, wf: Workflow, model_id: str) -> bool:
    """An independent statement of each routing rule, for the explain oracle."""
    rules, needs = wf.provider, wf.needs
    named = {s.lower() for s in (*rules.order, *rules.only)}
    hits = {s.lower() for s in rules.ignore}
    matches = {ep.tag} | ({ep.provider_slug, ep.provider_name.lower()} if ep.tier == "standard" else set())
    if rule == "tier":
        return ep.tier != "standard" and ep.tag not in named
    if rule == "only":
        return bool(rules.only) and not ({s.lower() for s in rules.only} & matches)
    if rule == "ignore":
        return bool(hits & matches)
    if rule == "order":
        return not rules.allow_fallbacks and bool(rules.order) and not ({s.lower() for s in rules.order} & matches)
    if rule == "data_collection":
        return rules.data_collection == "deny" and (ep.data_policy.training or ep.data_policy.retains_prompts)
    if rule == "zdr":
        return rules.zdr and not ep.data_policy.zdr
    if rule == "quantization":
        return bool(rules.quantizations) and (ep.quantization or "unknown") not in rules.quantizations
    if rule == "max_price":
        ceiling = rules.max_price
        assert ceiling is not None
        prompt, completion = ep.pricing.prompt * 1_000_000, ep.pricing.completion * 1_000_000
        return (ceiling.prompt is not None and prompt > ceiling.prompt) or (
            ceiling.completion is not None and completion > ceiling.completion
        )
    if rule == "context_length":
        return max(needs.min_context, needs.max_output_tokens or 0) > ep.context_length
    if rule == "max_tokens":
        return (needs.max_output_tokens or 0) > ep.max_completion_tokens
    if rule == "require_parameters":
        return any(not ep.supports(p) for p in needs.parameters)
    if rule == "soft_preference":  # tools and response_format are preferred even when not required
        return any(not ep.supports(p) for p in needs.parameters & {"tools", "response_format"})
    raise AssertionError(f"explain used a rule this oracle does not know: {rule}")


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_explain_shows_every_endpoint_once_and_every_exclusion_is_justified(path: Path) -> None:
    name, _ = raw_workflow(path)
    catalog = default_catalog()
    workflow = Workflow.model_validate(raw_workflow(path)[1])
    explained = invoke_json("explain", str(path), "--workflow", name, "--json")
    assert [m["model"] for m in explained["models"]] == list(workflow.models.all)
    for entry in explained["models"]:
        model = catalog.get(entry["model"])
        assert model is not None
        by_tag = {ep.tag: ep for ep in model.endpoints}
        shown = [e["tag"] for e in entry["eligible"]] + [e["tag"] for e in entry["excluded"]]
        assert sorted(shown) == sorted(by_tag)
        assert entry["eligible"], "every example keeps at least one endpoint per model"
        for excluded in entry["excluded"]:
            assert _violates(excluded["rule"], by_tag[excluded["tag"]], workflow, entry["model"]), excluded
        for eligible in entry["eligible"]:
            ep = by_tag[eligible["tag"]]
            for rule in ("tier", "only", "ignore", "order", "data_collection", "zdr", "max_tokens", "context_length"):
                assert not _violates(rule, ep, workflow, entry["model"]), (rule, eligible)
            if workflow.provider.require_parameters:
                assert not _violates("require_parameters", ep, workflow, entry["model"])


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_explain_order_follows_the_sort(path: Path) -> None:
    name, _ = raw_workflow(path)
    workflow = Workflow.model_validate(raw_workflow(path)[1])
    explained = invoke_json("explain", str(path), "--workflow", name, "--json")
    spec = workflow.provider.sort_spec
    for entry in explained["models"]:
        tags = [e["tag"] for e in entry["eligible"]]
        if workflow.provider.order:
            listed = [t for t in tags if t in workflow.provider.order]
            assert tags[: len(listed)] == [s for s in workflow.provider.order if s in listed]
        elif spec is not None and spec.by.value == "throughput":
            throughputs = [e["throughput_p50"] for e in entry["eligible"]]
            assert throughputs == sorted(throughputs, reverse=True)
        elif spec is not None and spec.by.value == "price":
            prices = [3 * e["prompt_per_million"] + e["completion_per_million"] for e in entry["eligible"]]
            assert prices == sorted(prices)
        elif workflow.provider.preferred_max_latency is None:
            chances = [e["first_pick_chance"] for e in entry["eligible"]]
            assert chances == sorted(chances, reverse=True)  # load balancing: cheapest most likely first
            assert sum(chances) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_explain_text_names_each_model_and_each_exclusion(path: Path) -> None:
    name, _ = raw_workflow(path)
    explained = invoke_json("explain", str(path), "--workflow", name, "--json")
    result = runner.invoke(app, ["explain", str(path), "--workflow", name])
    assert result.exit_code == 0, result.output
    assert f"workflow {name}" in result.stdout
    for i, entry in enumerate(explained["models"]):
        role = "primary" if i == 0 else f"fallback {i}"
        assert f"{entry['model']} ({role})" in result.stdout
        for excluded in entry["excluded"]:
            assert f"excluded by {excluded['rule']}" in result.stdout
    assert "OpenRouter would answer" not in result.stdout


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_explain_matches_golden(path: Path) -> None:
    name, _ = raw_workflow(path)
    result = runner.invoke(app, ["explain", str(path), "--workflow", name, "--json"])
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("ORCLI_REGEN_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text(), f"explain output changed; see tests/golden/README.md ({golden})"
