"""On-call footguns, each closed: clear needs a reason and a yes, forces cannot silently beat a
disable, messages name the override, impact counts real route changes, one store per project."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.overrides.conftest import Env
from tests.overrides.test_route_cli import added_id

PROMPT_TIMEOUT_S = 60.0


def test_clear_needs_a_reason(env: Env) -> None:
    kept = added_id(env.route("disable", "--provider", "groq", "--reason", "storm").stdout)
    result = env.route("clear")
    assert result.exit_code == 2
    assert result.stderr == (
        "--reason: required to clear every override (it goes to the audit log); or use --expired\n"
    )
    assert [o["id"] for o in json.loads(env.route("list", "--json").stdout)] == [kept]


def _clear_on_a_terminal(env: Env, *extra: str, answer: bytes | None) -> str:
    """``orcli route clear`` in a pseudo-terminal, answering its prompt; returns what it showed."""
    main, child = pty.openpty()
    command = [sys.executable, "-m", "orcli", "route", "clear", "--reason", "incident closed"]
    proc = subprocess.Popen(
        [*command, *extra, "--overrides", str(env.overrides)],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=env.root,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(child)
    shown = b""
    deadline = time.monotonic() + PROMPT_TIMEOUT_S
    answered = answer is None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if not answered and b"[y/N]" in shown:
                os.write(main, answer + b"\n")  # type: ignore[operator]
                answered = True
        assert proc.wait(timeout=PROMPT_TIMEOUT_S) == 0, shown.decode(errors="replace")
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
    return shown.decode(errors="replace").replace("\r\n", "\n")


def test_clear_on_a_terminal_asks_first_and_no_keeps_everything(env: Env) -> None:
    kept = added_id(env.route("disable", "--provider", "groq", "--reason", "storm").stdout)
    shown = _clear_on_a_terminal(env, answer=b"n")
    assert f"remove 1 active override(s) from {env.overrides}: {kept} (disable provider groq" in shown
    assert "nothing removed" in shown
    assert [o["id"] for o in json.loads(env.route("list", "--json").stdout)] == [kept]
    assert [a["event"] for a in env.audit_lines()] == ["add"]

    shown = _clear_on_a_terminal(env, answer=b"y")
    assert f"removed 1 override(s): {kept}" in shown
    assert json.loads(env.route("list", "--json").stdout) == []
    assert [(a["event"], a["why"]) for a in env.audit_lines()][1:] == [("clear", "incident closed")]


def test_clear_with_yes_does_not_ask(env: Env) -> None:
    kept = added_id(env.route("disable", "--provider", "groq", "--reason", "storm").stdout)
    shown = _clear_on_a_terminal(env, "--yes", answer=None)
    assert "[y/N]" not in shown
    assert f"removed 1 override(s): {kept}" in shown


def test_a_force_contradicting_a_disable_is_refused_naming_it(env: Env) -> None:
    disabled = added_id(
        env.route("disable", "--model", "openai/gpt-4o-mini", "-w", "chat", "--reason", "bad answers").stdout
    )
    force = ("force", "-w", "chat", "--model", "openai/gpt-4o-mini", "--reason", "pin it", "--ttl", "30m")
    refused = env.route(*force)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"refused: force model openai/gpt-4o-mini in workflow chat contradicts active override {disabled} "
        f"(disable model openai/gpt-4o-mini in workflow chat, by unknown: bad answers); add --replace {disabled} "
        f"to lift it in the same change, or run 'orcli route enable {disabled}' first\n"
    )
    assert [o["id"] for o in json.loads(env.route("list", "--json").stdout)] == [disabled]

    replaced = env.route(*force, "--replace", disabled)
    assert replaced.exit_code == 0, replaced.output
    forced = added_id(replaced.stdout)
    assert f"  replaced {disabled} (removed in the same change)\n" in replaced.stdout
    assert [o["id"] for o in json.loads(env.route("list", "--json").stdout)] == [forced]
    assert [(a["event"], a["id"], a["why"]) for a in env.audit_lines()][1:] == [
        ("enable", disabled, f"replaced by {forced}: pin it"),
        ("add", forced, "pin it"),
    ]
    assert env.compile("chat")["request"]["model"] == "openai/gpt-4o-mini"


def test_a_force_via_a_disabled_provider_is_refused_too(env: Env) -> None:
    disabled = added_id(env.route("disable", "--provider", "azure", "--reason", "azure down", "--force").stdout)
    refused = env.route(
        "force", "-w", "extract", "--model", "openai/gpt-4o", "--provider", "azure", "--reason", "r", "--ttl", "1h"
    )
    assert refused.exit_code == 2
    assert f"contradicts active override {disabled} (disable provider azure in every workflow" in refused.stderr
    elsewhere = env.route(
        "force", "-w", "extract", "--model", "openai/gpt-4o", "--provider", "openai", "--reason", "r", "--ttl", "1h"
    )
    assert elsewhere.exit_code == 0, elsewhere.output  # another provider contradicts nothing


def test_replace_must_name_a_stored_override(env: Env) -> None:
    result = env.route(
        "force", "-w", "chat", "--model", "openai/gpt-4o-mini", "--reason", "r", "--ttl", "1h", "--replace", "ovr-0"
    )
    assert result.exit_code == 2
    assert result.stderr == f"--replace: {env.overrides}: no override 'ovr-0' (ids in the store: none)\n"


def test_explain_names_the_override_behind_each_exclusion_and_404(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that the reason is not wrapped
    override_id = added_id(env.route("disable", "--provider", "azure", "--reason", "azure down", "--force").stdout)
    args = ["explain", str(env.policy_file), "-w", "pinned", "--overrides", str(env.overrides)]
    data = json.loads(env.run(*args, "--json").stdout)
    model = data["models"][0]
    ignored = [x for x in model["excluded"] if x["rule"] == "ignore"]
    assert [(x["tag"], x["override"]) for x in ignored] == [("azure", override_id)]
    assert all("override" not in x for x in model["excluded"] if x["rule"] != "ignore")
    # The 404 keeps OpenRouter's words; the override that caused it is named beside them.
    assert model["error"]["message"].startswith("No allowed providers are available for the selected model.")
    assert model["error"]["overrides"] == [override_id]

    text = env.run(*args).stdout
    assert f"excluded by ignore (route override {override_id}): provider.ignore lists 'azure'" in text
    assert f"(caused by route override {override_id})" in text


def test_explain_names_the_force_behind_only_exclusions(env: Env) -> None:
    forced = added_id(
        env.route(
            "force",
            "-w",
            "chat",
            "--model",
            "openai/gpt-4o-mini",
            "--provider",
            "openai",
            "--reason",
            "r",
            "--ttl",
            "1h",
        ).stdout
    )
    data = json.loads(
        env.run("explain", str(env.policy_file), "-w", "chat", "--overrides", str(env.overrides), "--json").stdout
    )
    only = [x for x in data["models"][0]["excluded"] if x["rule"] == "only"]
    assert only and all(x["override"] == forced for x in only)


def test_impact_counts_only_workflows_whose_endpoints_change(env: Env) -> None:
    # groq serves only chat's primary here: extract (structured output) and pinned (azure only) never reach it.
    shown = env.route("preview", "disable", "--provider", "groq")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.endswith("changes 1 of 3 workflow(s)\n")
    assert "workflow chat" in shown.stdout and "workflow extract" not in shown.stdout


def test_every_writing_command_says_which_store(env: Env) -> None:
    added = env.route("disable", "--provider", "groq", "--reason", "storm")
    enabled = env.route("enable", added_id(added.stdout), "--reason", "ok")
    env.route("disable", "--provider", "groq", "--reason", "storm")
    cleared = env.route("clear", "--reason", "done", "--yes")
    for result in (added, enabled, cleared):
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith(f"  store: {env.overrides}\n")


@pytest.mark.parametrize("marker", [".orcli", "policies"])
def test_project_root_is_the_nearest_folder_with_a_marker(tmp_path: Path, marker: str) -> None:
    from orcli.project import project_root

    (tmp_path / ".git").mkdir()
    inner = tmp_path / "services" / "api"
    (inner / marker).mkdir(parents=True)
    (inner / "src" / "deep").mkdir(parents=True)
    assert project_root(inner / "src" / "deep") == inner
    assert project_root(tmp_path / "services") == tmp_path  # no marker above: the git top level
