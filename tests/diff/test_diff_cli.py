"""``orcli diff OLD NEW``: per-workflow changes, drills under both versions, the gate."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from orcli.catalog.load import load_catalog
from orcli.cli.app import app
from orcli.diff.cost import DEFINITION
from tests.diff.conftest import edit

runner = CliRunner()

FALLBACK = "      fallbacks:\n        - google/gemini-2.5-flash\n"

SUPPORT = """\
version: 1
workflows:
  support:
    data_class: internal
    models:
      primary: mistralai/mistral-small-3.2
    provider:
      data_collection: deny
    needs:
      max_output_tokens: 400
"""


def proposed(project: Path) -> Path:
    """A copy of the project's policies to edit: the NEW side."""
    copy = project / "proposed"
    shutil.copytree(project / "policies", copy)
    return copy


def test_identical_policies_pass_and_every_drill_is_unchanged(project: Path) -> None:
    result = runner.invoke(app, ["diff", "policies", str(proposed(project))])
    assert result.exit_code == 0, result.output
    assert "unchanged: chat" in result.stdout
    assert "drills: 2 scenarios, 0 with a changed verdict" in result.stdout
    assert "  primary-outage: pass (unchanged)" in result.stdout
    assert result.stdout.endswith("OK: no new lint error, no drill turned red\n")


def test_dropping_the_fallback_turns_the_outage_drill_red_and_names_the_line(project: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", FALLBACK, "")
    result = runner.invoke(app, ["diff", "policies", str(new)])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "workflow chat: changed" in out
    assert '    models: ["google/gemini-2.5-flash"] -> (unset)' in out
    assert "  fallback chain: openai/gpt-4o-mini -> google/gemini-2.5-flash  =>  openai/gpt-4o-mini" in out
    assert "    google/gemini-2.5-flash: -google-ai-studio -google-vertex" in out
    assert "  primary-outage: pass -> fail" in out
    assert "    success_rate: pass -> fail: success rate 0.0% (required >= 95.0%)" in out
    assert "  steady: pass (unchanged)" in out
    # Line 8 of the new file is where the chain now ends: the models mapping that lost its fallbacks.
    assert (
        f"  {new}/chat.yaml:8:7: drill turned red: primary-outage: scenario primary-outage "
        "(scenarios/primary-outage.yaml) passed under the old policy and fails under the new: success_rate: "
        "success rate 0.0% (required >= 95.0%) (workflow 'chat' changed here)\n"
    ) in out


def test_fixing_a_red_drill_is_reported_and_passes(project: Path) -> None:
    old = proposed(project)
    edit(old / "chat.yaml", FALLBACK, "")
    result = runner.invoke(app, ["diff", str(old), "policies"])
    assert result.exit_code == 0, result.output
    assert "  primary-outage: fail -> pass" in result.stdout
    assert "    success_rate: fail -> pass: success rate 100.0% (required >= 95.0%)" in result.stdout


def test_a_new_lint_error_fails_at_its_line(project: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", "    needs:\n", "    provider:\n      only: [nosuchcloud]\n    needs:\n")
    result = runner.invoke(app, ["diff", "policies", str(new), "--no-drills"])
    assert result.exit_code == 1, result.output
    line = (
        f"{new}/chat.yaml:12:14: new lint error [unknown-provider]: workflows.chat.provider.only[0]: "
        "no provider 'nosuchcloud' in the catalog (providers are named by routing slug)"
    )
    assert result.stdout.endswith(f"  {line}\n")
    assert "FAIL: 3 problem(s) the new policy introduces" in result.stdout  # and two empty pools
    assert f"  {new}/chat.yaml:8:16: new lint error [empty-pool]: workflows.chat.models.primary: " in result.stdout
    assert "drills: skipped (--no-drills)" in result.stdout


def test_a_lint_error_already_present_on_the_old_side_does_not_fail(project: Path) -> None:
    edit(project / "policies" / "chat.yaml", "    needs:\n", "    provider:\n      only: [nosuchcloud]\n    needs:\n")
    new = proposed(project)
    edit(new / "chat.yaml", "attempt_s: 10", "attempt_s: 12")
    result = runner.invoke(app, ["diff", "policies", str(new), "--no-drills"])
    assert result.exit_code == 0, result.output
    assert "    timeouts.attempt_s: 10.0 -> 12.0" in result.stdout
    assert "lint: no new findings" in result.stdout


def test_newly_eligible_endpoints_that_break_the_data_policy_are_flagged(project: Path, tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(SUPPORT)
    (tmp_path / "new.yaml").write_text(SUPPORT.replace("    provider:\n      data_collection: deny\n", ""))
    result = runner.invoke(app, ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--no-drills"])
    assert result.exit_code == 1, result.output  # the gate's data-policy rule
    out = result.stdout
    assert '    provider.data_collection: "deny" -> (unset)' in out
    assert "    mistralai/mistral-small-3.2: +novita +mistral" in out
    assert (
        "  ! data policy: mistralai/mistral-small-3.2 via novita is newly eligible and trains on prompts "
        "(the old policy denied data collection)"
    ) in out
    assert (
        "  ! data policy: mistralai/mistral-small-3.2 via mistral is newly eligible and retains prompts "
        "(the old policy denied data collection)"
    ) in out
    assert (
        f"  {tmp_path}/new.yaml:4:5: gate rule [data-policy]: workflow 'support': mistralai/mistral-small-3.2 via "
        "novita is newly eligible and trains on prompts (the old policy denied data collection)\n"
    ) in out


def test_a_data_policy_break_accepted_with_allow_passes_and_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(SUPPORT)
    (tmp_path / "new.yaml").write_text(SUPPORT.replace("    provider:\n      data_collection: deny\n", ""))
    args = ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--no-drills"]
    result = runner.invoke(app, [*args, "--allow", "data-policy", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert [a["rule"] for a in data["allowed"]] == ["data-policy", "data-policy"]
    text = runner.invoke(app, [*args, "--allow", "data-policy"]).stdout
    assert "  allowed (--allow data-policy): " in text
    wrong = runner.invoke(app, [*args, "--allow", "data"])
    assert wrong.exit_code == 2
    assert "--allow: no gate rule 'data' (rules: data-policy, loosened-cap, require-parameters)" in wrong.output


CAPPED = """\
version: 1
workflows:
  batch:
    data_class: public
    models:
      primary: openai/gpt-4o-mini
    provider:
      max_price:
        prompt: 0.5
        completion: 1
    budget:
      max_cost_per_request_usd: 0.01
"""


def test_removing_or_loosening_a_cap_fails_the_gate(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(CAPPED)
    cases = {
        "raised 100x": CAPPED.replace("0.01", "1"),
        "removed": CAPPED.replace("    provider:\n      max_price:\n        prompt: 0.5\n        completion: 1\n", ""),
    }
    (tmp_path / "raised.yaml").write_text(cases["raised 100x"])
    (tmp_path / "removed.yaml").write_text(cases["removed"])
    raised = runner.invoke(app, ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "raised.yaml"), "--no-drills"])
    assert raised.exit_code == 1, raised.output
    assert (
        f"  {tmp_path}/raised.yaml:12:33: gate rule [loosened-cap]: workflow 'batch': "
        "budget.max_cost_per_request_usd 0.01 -> 1 loosens it 100x (more than --max-loosen 2x)\n"
    ) in raised.stdout
    removed = runner.invoke(app, ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "removed.yaml"), "--no-drills"])
    assert removed.exit_code == 1, removed.output
    assert "gate rule [loosened-cap]: workflow 'batch': provider.max_price.prompt 0.5 is removed" in removed.stdout
    assert "provider.max_price.completion 1 is removed" in removed.stdout
    # Within the factor it passes; a wider factor accepts the 100x raise.
    (tmp_path / "doubled.yaml").write_text(CAPPED.replace("0.01", "0.02"))
    doubled = runner.invoke(app, ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "doubled.yaml"), "--no-drills"])
    assert doubled.exit_code == 0, doubled.output
    wide = ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "raised.yaml"), "--no-drills", "--max-loosen", "100"]
    assert runner.invoke(app, wide).exit_code == 0


TOOLS = """\
version: 1
workflows:
  agent:
    data_class: public
    models:
      primary: openai/gpt-4o-mini
    provider:
      require_parameters: true
    needs:
      tools: true
"""


def test_dropping_require_parameters_where_tools_are_needed_fails_the_gate(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(TOOLS)
    (tmp_path / "new.yaml").write_text(TOOLS.replace("      require_parameters: true\n", "      sort: price\n"))
    result = runner.invoke(app, ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--no-drills"])
    assert result.exit_code == 1, result.output
    assert (
        "gate rule [require-parameters]: workflow 'agent': provider.require_parameters is dropped but the workflow "
        "needs tools: endpoints that ignore those parameters become eligible"
    ) in result.stdout
    args = ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--no-drills"]
    allowed = runner.invoke(app, [*args, "--allow", "require-parameters"])
    assert allowed.exit_code == 0, allowed.output
    assert "allowed (--allow require-parameters)" in allowed.stdout


def test_price_ceilings_and_expected_cost(project: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", "max_output_tokens: 512", "max_output_tokens: 1024")
    edit(new / "chat.yaml", "    needs:\n", "    budget:\n      max_cost_per_request_usd: 0.01\n    needs:\n")
    result = runner.invoke(app, ["diff", "policies", str(new), "--no-drills"])
    assert result.exit_code == 0, result.output
    # The first eligible endpoint, priced from the catalog: 1,000 prompt tokens and a full answer.
    pricing = next(e for e in load_catalog(None).get("openai/gpt-4o-mini").endpoints if e.tag == "azure").pricing  # type: ignore[union-attr]
    before = pricing.cost(1000, 512) * 1000
    after = pricing.cost(1000, 1024) * 1000
    assert before == Decimal("0.4572")
    out = result.stdout
    assert "  price ceilings:\n    budget.max_cost_per_request_usd: none -> 0.01\n" in out
    assert "    max_tokens: 512 -> 1024" in out
    assert (
        f"  expected cost per 1k requests: ${before.normalize()} (openai/gpt-4o-mini via azure) -> "
        f"${after.normalize()} (openai/gpt-4o-mini via azure)"
    ) in out
    assert f"cost: {DEFINITION}" in out


def test_added_and_removed_workflows(project: Path, tmp_path: Path) -> None:
    new = proposed(project)
    (new / "chat.yaml").unlink()
    (new / "support.yaml").write_text(SUPPORT)
    result = runner.invoke(app, ["diff", "policies", str(new), "--no-drills"])
    assert result.exit_code == 0, result.output
    assert "workflow chat: removed (policies/chat.yaml:4)" in result.stdout
    assert f"workflow support: added ({new}/support.yaml:3)" in result.stdout
    assert "  fallback chain: mistralai/mistral-small-3.2" in result.stdout


def test_a_workflow_a_scenario_needs_removed_turns_it_red(project: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", "  chat:", "  talk:")
    result = runner.invoke(app, ["diff", "policies", str(new)])
    assert result.exit_code == 1, result.output
    assert "  primary-outage: pass -> error" in result.stdout
    assert "drill turned red: primary-outage" in result.stdout


def test_json_output(project: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", FALLBACK, "")
    result = runner.invoke(app, ["diff", "policies", str(new), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["passed"] is False
    # success_rate, and within_policy with no answer left to check
    assert [f["title"] for f in data["failures"]] == ["drill turned red: primary-outage"] * 2
    assert data["failures"][0]["line"] == 8
    (chat,) = data["workflows"]
    assert chat["status"] == "changed"
    assert chat["fallback_chain"] == {
        "old": ["openai/gpt-4o-mini", "google/gemini-2.5-flash"],
        "new": ["openai/gpt-4o-mini"],
    }
    models = next(c for c in chat["changes"] if c["field"] == "models")
    assert models["old"] == ["google/gemini-2.5-flash"] and models["unset_after"] is True
    scenarios = {s["scenario"]: s for s in data["drills"]["scenarios"]}
    assert scenarios["primary-outage"]["turned_red"] is True
    assert scenarios["steady"]["old"] == scenarios["steady"]["new"] == "pass"


def test_github_annotations_point_at_the_lines(project: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", FALLBACK, "")
    result = runner.invoke(app, ["diff", "policies", str(new), "--format", "github"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"::error file={new}/chat.yaml,line=8,col=7,title=orcli diff%3A drill turned red%3A primary-outage::"
    )
    assert "success rate 0.0%25 (required >= 95.0%25)" in lines[0]
    assert "within_policy: nothing to check: no answered request" in lines[1]
    assert lines[2] == (
        f"::notice file={new}/chat.yaml,line=8,title=orcli diff%3A chat::changed: models; "
        "eligible endpoints google/gemini-2.5-flash +0/-2"
    )
    assert lines[-1] == "FAIL: 2 problem(s) the new policy introduces"


def test_markdown_and_summary_file(project: Path, tmp_path: Path) -> None:
    new = proposed(project)
    edit(new / "chat.yaml", FALLBACK, "")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = runner.invoke(app, ["diff", "policies", str(new), "--format", "markdown", "--summary", str(summary)])
    assert result.exit_code == 1
    md = result.stdout
    assert md.startswith(f"## ❌ orcli diff: `policies` → `{new}`\n")
    assert "| `chat` | changed | changed: models; eligible endpoints google/gemini-2.5-flash +0/-2 |" in md
    assert "| `primary-outage` | pass | fail | success_rate: pass → fail; within_policy: pass → fail |" in md
    assert summary.read_text() == "earlier step\n" + md


def test_bad_usage_and_bad_input_exit_2(project: Path) -> None:
    one = runner.invoke(app, ["diff", "policies"])
    assert one.exit_code == 2
    assert one.stderr == "give OLD and NEW (two policy files or folders), or --base GIT_REF [PATH]\n"
    fmt = runner.invoke(app, ["diff", "policies", "policies", "--format", "xml"])
    assert fmt.exit_code == 2
    assert fmt.stderr == "--format: expected one of text, json, github, markdown, got 'xml'\n"
    missing = runner.invoke(app, ["diff", "policies", "nowhere"])
    assert missing.exit_code == 2 and missing.stderr == "nowhere: no such file or folder\n"
    new = proposed(project)
    edit(new / "chat.yaml", "attempt_s: 10", "attempt_sec: 10")
    broken = runner.invoke(app, ["diff", "policies", str(new)])
    assert broken.exit_code == 2
    assert broken.stderr.startswith(f"{new}/chat.yaml:14:7: workflows.chat.timeouts.attempt_sec: unknown key")
    assert "Traceback" not in broken.output


def test_duplicate_workflow_names_on_one_side_are_bad_input(project: Path) -> None:
    new = proposed(project)
    shutil.copy(new / "chat.yaml", new / "chat-copy.yaml")
    result = runner.invoke(app, ["diff", "policies", str(new), "--no-drills"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{new}/chat.yaml: workflow 'chat' is also defined in {new}/chat-copy.yaml; names must be unique\n"
    )
