"""The GitHub Actions workflow in docs/ci.md: its steps' orcli commands run and gate as documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.docs.project import ROOT, build_project, run_shell, shell_env

FENCE = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def workflow() -> dict[str, Any]:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for block in FENCE.findall(text):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "jobs" in data:
            return data
    raise AssertionError("docs/ci.md shows no GitHub Actions workflow")


def orcli_steps() -> list[tuple[str, str]]:
    """(step name, command) for every orcli line of every ``run:`` step, in order."""
    steps: list[tuple[str, str]] = []
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                if line.strip().startswith("orcli "):
                    steps.append((step.get("name", ""), line.strip()))
    return steps


def run_steps(project: Path, tmp_path: Path) -> dict[str, tuple[int, str]]:
    env = shell_env(tmp_path / "bin", tmp_path / "summary.md")
    results: dict[str, tuple[int, str]] = {}
    for _, command in orcli_steps():
        done = run_shell(command, project, env)
        results[command.split()[1]] = (done.returncode, done.stdout + done.stderr)
    return results


def test_the_workflow_installs_validates_drills_and_diffs() -> None:
    data = workflow()
    (job,) = data["jobs"].values()
    runs = [str(step.get("run", "")) for step in job["steps"]]
    assert any("pip install" in run for run in runs)
    assert [command.split()[:2] for _, command in orcli_steps()] == [
        ["orcli", "validate"],
        ["orcli", "drill"],
        ["orcli", "diff"],
    ]
    assert "--base origin/main" in orcli_steps()[2][1]
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0


def test_every_step_passes_on_an_unchanged_checkout(tmp_path: Path) -> None:
    project = build_project(tmp_path / "project")
    results = run_steps(project, tmp_path)
    for name, (code, output) in results.items():
        assert code == 0, f"{name}: exit {code}\n{output}"
    assert results["diff"][1].splitlines()[-1] == "OK: no new lint error, no drill turned red"
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ✅ orcli diff: `origin/main` → `working tree (policies)`")
    assert (project / "drill-results.xml").is_file()


def test_a_change_adding_a_lint_error_fails_validate_and_diff_on_its_line(tmp_path: Path) -> None:
    project = build_project(tmp_path / "project")
    policy = project / "policies" / "general-chat.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("        - google/gemini-2.5-flash\n", "        - openai/gpt-4o-mini\n", 1))
    line = next(n for n, row in enumerate(policy.read_text().splitlines(), 1) if row == "        - openai/gpt-4o-mini")
    results = run_steps(project, tmp_path)
    assert results["validate"][0] == 1
    assert (
        f"::error file=policies/general-chat.yaml,line={line},col=11,title=orcli duplicate-model::"
        in results["validate"][1]
    )
    assert results["drill"][0] in (0, 1)  # the drills judge behaviour, not lint
    code, output = results["diff"]
    assert code == 1, output
    title = "orcli diff%3A new lint error [duplicate-model]"
    assert f"::error file=policies/general-chat.yaml,line={line},col=11,title={title}::" in output
    assert "## ❌ orcli diff" in (tmp_path / "summary.md").read_text(encoding="utf-8")
