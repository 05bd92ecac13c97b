"""``.pre-commit-hooks.yaml``: it parses as pre-commit reads it, and its entry runs on the files it selects."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent.parent.parent
REQUIRED = {"id", "name", "entry", "language"}


def hooks() -> list[dict[str, Any]]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(data, list)
    return data


def validate_hook() -> dict[str, Any]:
    (hook,) = [h for h in hooks() if h["id"] == "orcli-validate"]
    return hook


def run_entry(entry: str, files: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry as pre-commit would: the command, then the selected file names."""
    command = shlex.split(entry)
    assert command[0] == "orcli"
    # The installed console script is `python -m orcli`: run that, from this checkout.
    argv = [sys.executable, "-m", "orcli", *command[1:], *files]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=env)


def test_every_hook_has_the_keys_pre_commit_requires() -> None:
    for hook in hooks():
        assert set(hook) >= REQUIRED, hook
        assert hook["language"] == "python"


def test_validate_hook_selects_policy_files_only() -> None:
    hook = validate_hook()
    assert hook["pass_filenames"] is True
    selects = re.compile(hook["files"])  # pre-commit matches with re.search
    assert selects.search("policies/chat.yaml")
    assert selects.search("policies/team/batch.yml")
    assert selects.search("services/api/policies/chat.yaml")
    assert not selects.search("scenarios/outage.yaml")
    assert not selects.search("policies/README.md")


def test_entry_passes_on_the_repository_policies() -> None:
    hook = validate_hook()
    selects = re.compile(hook["files"])
    files = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "policies").rglob("*")
        if selects.search(p.relative_to(ROOT).as_posix())
    )
    assert files
    done = run_entry(hook["entry"], files, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(files)} files, " in done.stdout.splitlines()[-1]
    assert ": 0 errors, " in done.stdout.splitlines()[-1]


def test_entry_fails_on_a_broken_policy(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "chat.yaml").write_text(
        "workflows:\n  chat:\n    models:\n      primary: openai/gpt-4o\n      fallbacks: [openai/gpt-4o]\n"
    )
    done = run_entry(validate_hook()["entry"], ["policies/chat.yaml"], tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith(
        "policies/chat.yaml:5:19: error [duplicate-model] workflows.chat.models.fallbacks[0]:"
    )
