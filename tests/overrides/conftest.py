"""Fixtures for route overrides: a policy folder, an overrides path, a CLI runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from orcli.cli.app import app

POLICY = """\
workflows:
  chat:
    models: {primary: meta-llama/llama-3.3-70b-instruct, fallbacks: [openai/gpt-4o-mini]}
    provider: {sort: latency}
  extract:
    models: {primary: openai/gpt-4o, fallbacks: [anthropic/claude-sonnet-4.5]}
    needs: {structured_output: true}
  pinned:
    models: {primary: openai/gpt-4o-mini}
    provider: {only: [azure]}
"""


@dataclass
class Env:
    root: Path
    policies: Path
    policy_file: Path
    overrides: Path
    runner: CliRunner

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return self.runner.invoke(app, list(args), env=env)

    def route(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """``orcli route ...`` against this test's overrides file and policies."""
        command, *rest = args
        extra = ["--overrides", str(self.overrides)]
        if command in ("disable", "force"):
            extra += ["--policy", str(self.policies)]
        if command == "preview":
            extra += ["--policy", str(self.policies)]
        return self.run("route", command, *rest, *extra, env=env)

    def compile(self, workflow: str) -> dict[str, Any]:
        result = self.run("compile", str(self.policy_file), "-w", workflow, "--overrides", str(self.overrides))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def audit_lines(self) -> list[dict[str, Any]]:
        path = self.overrides.with_name("overrides.audit.jsonl")
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    policies = tmp_path / "policies"
    policies.mkdir()
    policy_file = policies / "app.yaml"
    policy_file.write_text(POLICY)
    return Env(tmp_path, policies, policy_file, tmp_path / "state" / "overrides.yaml", CliRunner())
