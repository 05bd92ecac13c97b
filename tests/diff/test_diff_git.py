"""``orcli diff --base REF [PATH]``: the working tree against a git ref."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app
from tests.diff.conftest import edit, git, make_repo

runner = CliRunner()

FALLBACK = "      fallbacks:\n        - google/gemini-2.5-flash\n"


def test_no_change_against_the_base_passes(project: Path) -> None:
    make_repo(project)
    result = runner.invoke(app, ["diff", "--base", "origin/main"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("orcli diff: origin/main -> working tree (policies)\n")
    assert "unchanged: chat" in result.stdout
    assert "  primary-outage: pass (unchanged)" in result.stdout


def test_a_regression_in_the_working_tree_names_the_working_file(project: Path) -> None:
    make_repo(project)
    edit(project / "policies" / "chat.yaml", FALLBACK, "")
    result = runner.invoke(app, ["diff", "--base", "origin/main", "--format", "github"])
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "::error file=policies/chat.yaml,line=8,col=7,title=orcli diff%3A drill turned red%3A primary-outage::"
    )


def test_base_side_files_are_named_by_ref_and_path(project: Path) -> None:
    make_repo(project)
    (project / "policies" / "chat.yaml").unlink()
    (project / "policies" / "other.yaml").write_text(
        "version: 1\nworkflows:\n  other:\n    models: {primary: openai/gpt-4o-mini}\n"
    )
    result = runner.invoke(app, ["diff", "--base", "origin/main", "--no-drills"])
    assert result.exit_code == 0, result.output
    assert "workflow chat: removed (origin/main:policies/chat.yaml:4)" in result.stdout
    assert "workflow other: added (policies/other.yaml:3)" in result.stdout


def test_a_single_file_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(project)
    edit(project / "policies" / "chat.yaml", "attempt_s: 10", "attempt_s: 8")
    monkeypatch.chdir(project / "policies")
    result = runner.invoke(app, ["diff", "--base", "origin/main", "chat.yaml", "--no-drills"])
    assert result.exit_code == 0, result.output
    assert "workflow chat: changed (chat.yaml:14)" in result.stdout
    assert "    timeouts.attempt_s: 10.0 -> 8.0" in result.stdout


def test_a_broken_file_at_the_base_counts_as_absent(project: Path) -> None:
    (project / "policies" / "chat.yaml").write_text("workflows: [\n")
    make_repo(project)
    git(project, "checkout", "-q", "-b", "fix")
    (project / "policies" / "chat.yaml").write_text(
        (Path(__file__).parent.parent / "fixtures/ci/policies/chat.yaml").read_text()
    )
    result = runner.invoke(app, ["diff", "--base", "origin/main", "--no-drills"])
    assert result.exit_code == 0, result.output
    assert "note: origin/main: origin/main:policies/chat.yaml:2:1: " in result.stdout
    assert "workflow chat: added" in result.stdout


def test_unknown_ref_is_bad_input(project: Path) -> None:
    make_repo(project)
    result = runner.invoke(app, ["diff", "--base", "origin/nope"])
    assert result.exit_code == 2
    assert result.stderr == "--base: unknown git ref 'origin/nope' (try 'git fetch' or check the name)\n"
    dashed = runner.invoke(app, ["diff", "--base=--output=x"])
    assert dashed.exit_code == 2
    assert dashed.stderr == "--base: '--output=x' is not a git ref\n"


def test_outside_a_repository_is_bad_input(project: Path) -> None:
    result = runner.invoke(app, ["diff", "--base", "main"])
    assert result.exit_code == 2
    assert result.stderr == (f"--base: {project} is not inside a git repository (compare two paths instead: OLD NEW)\n")


def test_base_takes_one_path(project: Path) -> None:
    make_repo(project)
    result = runner.invoke(app, ["diff", "--base", "origin/main", "policies", "scenarios"])
    assert result.exit_code == 2
    assert result.stderr == "--base compares one PATH (default policies/) with the same path at the ref\n"
    missing = runner.invoke(app, ["diff", "--base", "origin/main", "nothing-here"])
    assert missing.exit_code == 2
    assert missing.stderr == "nothing-here: no such file or folder, here or at origin/main\n"
