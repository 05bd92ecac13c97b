"""Scenario mistakes are bad input (exit 2, one line with file:line:col), found before any
request is sent: typos in fault targets and expectation references, the wrong kind of
file, paths that cannot be opened, non-finite numbers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app

from .conftest import CHAT_WORKFLOW, POLICIES, write_policy, write_scenario

cli = CliRunner()


def invoke(*args: str | Path) -> Any:
    return cli.invoke(app, [*map(str, args)])


def assert_bad_input(result: Any, message: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr == message + "\n"
    assert "Traceback" not in result.stdout + result.stderr


def test_a_mistyped_fault_provider_is_refused_before_running(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, faults=[{"kind": "outage", "provider": "grok"}], expect=[{"kind": "faults_fired"}])
    result = invoke("drill", path)
    assert_bad_input(result, f"{path}:4:13: faults[0].provider: unknown provider 'grok'; did you mean 'groq'?")
    assert result.stdout == ""  # nothing ran


def test_a_mistyped_fault_model_is_refused(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, faults=[{"kind": "outage", "model": "openai/gpt-4o-mni"}])
    result = invoke("drill", path)
    assert_bad_input(
        result,
        f"{path}:4:10: faults[0].model: unknown model 'openai/gpt-4o-mni'; did you mean 'openai/gpt-4o-mini'? "
        "(see 'orcli catalog show')",
    )


def test_a_recovery_naming_no_declared_fault_is_exit_2(tmp_path: Path) -> None:
    faults = [{"kind": "outage", "id": "groq-429", "provider": "groq", "start_s": 1, "end_s": 3}]
    path = write_scenario(tmp_path, faults=faults, expect=[{"kind": "recovery", "fault": "groq-492", "within_s": 5}])
    result = invoke("drill", path)
    assert_bad_input(result, f"{path}:10:10: expect[0].fault: no fault with id 'groq-492'; did you mean 'groq-429'?")


def test_an_expectation_for_a_workflow_the_scenario_lacks(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, expect=[{"kind": "within_policy", "workflow": "caht"}])
    result = invoke("drill", path)
    assert_bad_input(
        result,
        f"{path}:4:13: expect[0].workflow: workflow 'caht' is not one of this scenario's workflows; "
        "did you mean 'chat'?",
    )


def test_approved_models_and_providers_are_checked(tmp_path: Path) -> None:
    expect = [{"kind": "fail_safe_approved", "approved_providers": ["azure", "anthropc"]}]
    path = write_scenario(tmp_path, expect=expect)
    result = invoke("drill", path)
    assert_bad_input(
        result,
        f"{path}:6:5: expect[0].approved_providers[1]: unknown provider 'anthropc'; did you mean 'anthropic'?",
    )


def test_drilling_a_policy_says_it_is_a_policy() -> None:
    result = invoke("drill", POLICIES / "general-chat.yaml")
    assert result.exit_code == 2
    assert "general-chat.yaml:3:1: this is a policy file, not a scenario file" in result.stderr
    assert "required key" not in result.stderr


def test_validate_takes_scenarios_and_tells_the_kinds_apart(tmp_path: Path) -> None:
    good = write_scenario(tmp_path / "good")
    bad = write_scenario(tmp_path / "bad", faults=[{"kind": "outage", "provider": "grok"}])
    result = invoke("validate", good, tmp_path / "good" / "policy.yaml")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "2 files (1 scenario), 1 workflow: 0 errors, 0 warnings"
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert result.stderr == f"{bad}:4:13: faults[0].provider: unknown provider 'grok'; did you mean 'groq'?\n"


def test_validate_reports_a_scenario_error_as_a_scenario_error(tmp_path: Path) -> None:
    write_policy(tmp_path, {"chat": CHAT_WORKFLOW})
    path = tmp_path / "s.yaml"
    path.write_text("name: s\npolicy: policy.yaml\ntraffic: {requests: 2}\nexpect:\n  - kind: within_polcy\n")
    result = invoke("validate", tmp_path)
    assert result.exit_code == 2
    assert f"{path}:5:11: expect[0].kind: unknown kind 'within_polcy'; did you mean 'within_policy'?" in result.stderr


def test_the_same_workflow_in_two_policy_files_is_an_error(tmp_path: Path) -> None:
    write_policy(tmp_path, {"chat": CHAT_WORKFLOW}, name="a.yaml")
    write_policy(tmp_path, {"chat": CHAT_WORKFLOW, "other": CHAT_WORKFLOW}, name="b.yaml")
    result = invoke("validate", tmp_path)
    assert result.exit_code == 1
    assert (
        f"{tmp_path / 'b.yaml'}:3:3: error [duplicate-workflow] workflows.chat: workflow 'chat' is also defined in "
        f"{tmp_path / 'a.yaml'}:3; workflow names must be unique"
    ) in result.stdout


@pytest.mark.parametrize("command", ["compile", "explain"])
def test_compile_and_explain_refuse_an_unknown_model(tmp_path: Path, command: str) -> None:
    policy = write_policy(tmp_path, {"chat": {"models": {"primary": "openai/gpt-4o-mni"}}})
    result = invoke(command, policy)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"{policy}:5:16: error [unknown-model] workflows.chat.models.primary: 'openai/gpt-4o-mni' is not in the "
        "catalog; did you mean 'openai/gpt-4o-mini'?"
    )
    assert invoke("validate", policy).exit_code == 1  # as validate says


def test_a_key_valid_in_a_sibling_section_says_where(tmp_path: Path) -> None:
    policy = write_policy(tmp_path, {"chat": {**CHAT_WORKFLOW, "streaming": True}})
    result = invoke("validate", policy)
    assert result.exit_code == 2
    assert result.stderr == f"{policy}:10:5: workflows.chat.streaming: unknown key; did you mean under `needs:`?\n"
    policy = write_policy(tmp_path, {"chat": {**CHAT_WORKFLOW, "retry": {"max_attempts": 2, "total_s": 9}}})
    result = invoke("validate", policy)
    assert result.stderr.endswith(
        "workflows.chat.retry.total_s: unknown key; did you mean under `workflows.chat.timeouts:`?\n"
    )


# -- paths that cannot be opened: exit 2 naming the path, never an OSError -------------------------


def test_a_policy_path_too_long_to_open(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, policy="x" * 5000 + ".yaml")
    result = invoke("drill", path)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"{path}:2:9: policy: ")
    assert "(5,0" in result.stderr and "internal error" not in result.stderr
    assert len(result.stderr) < 400


def test_a_long_path_argument(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path / ("y" * 5000))
    assert result.exit_code == 2
    assert "File name too long" in result.stderr and "characters)" in result.stderr


def test_a_folder_where_a_policy_file_is_expected(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    path = write_scenario(tmp_path, policy="dir.yaml")
    result = invoke("drill", path)
    assert_bad_input(result, f"{path}:2:9: policy: policy file not found: {tmp_path / 'dir.yaml'}")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = invoke("validate", fifo)
    assert result.exit_code == 2
    assert result.stderr == f"{fifo}: not a regular file (a pipe, socket or device); expected a file\n"


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads everything")
def test_an_unreadable_file(tmp_path: Path) -> None:
    policy = write_policy(tmp_path, {"chat": CHAT_WORKFLOW})
    policy.chmod(0)
    result = invoke("validate", policy)
    assert result.exit_code == 2
    assert result.stderr == f"{policy}: cannot read: Permission denied\n"


# -- non-finite numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e400", ".inf", "-.inf", ".nan"])
def test_non_finite_numbers_are_refused_in_scenarios(tmp_path: Path, value: str) -> None:
    write_policy(tmp_path, {"chat": CHAT_WORKFLOW})
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\npolicy: policy.yaml\ntraffic: {requests: 2}\n"
        f"faults:\n  - kind: outage\n    start_s: {value}\n"
        "expect:\n  - kind: within_policy\n"
    )
    result = invoke("drill", path)
    if value == "-.inf":  # refused by start_s >= 0 already
        assert result.exit_code == 2 and "faults[0].start_s: " in result.stderr
        return
    assert_bad_input(
        result, f"{path}:6:14: faults[0].start_s: not a finite number (NaN and infinities are not allowed)"
    )


def test_non_finite_numbers_are_refused_in_faults_files(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("faults:\n  - kind: latency\n    add_s: 1e400\n")
    from orcli.errors import SourceError
    from orcli.upstream.faults import parse_faults

    with pytest.raises(SourceError, match=r"faults\.yaml:3:12: faults\[0\]\.add_s: not a finite number"):
        parse_faults(faults)
