"""``orcli init``: a project that validates and drills green as generated, and never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.scaffold import TEMPLATES

runner = CliRunner()


def test_generated_project_validates_and_drills_green(tmp_path: Path) -> None:
    project = tmp_path / "new-project"
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [f"wrote {project / t.path}" for t in TEMPLATES]
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == sorted(
        t.path for t in TEMPLATES
    )
    validate = runner.invoke(app, ["validate", "--strict", str(project / "policies")])
    assert validate.exit_code == 0, validate.output
    assert validate.stdout == "1 file, 1 workflow: 0 errors, 0 warnings\n"
    drill = runner.invoke(app, ["drill", str(project / "scenarios"), "--quiet"])
    assert drill.exit_code == 0, drill.output
    assert "PASS: 2 of 2 scenarios passed" in drill.stdout


def test_default_folder_is_the_current_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "policies" / "assistant.yaml").is_file()
    assert (tmp_path / "scenarios" / "steady.yaml").is_file()


@pytest.mark.parametrize("existing", [t.path for t in TEMPLATES])
def test_any_existing_file_is_named_and_nothing_is_written(tmp_path: Path, existing: str) -> None:
    target = tmp_path / existing
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"{target}: already exists; orcli init never overwrites a file (nothing was written)\n"
    assert target.read_text() == "mine\n"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [target]


def test_a_file_where_a_folder_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "scenarios").write_text("not a folder\n")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{tmp_path / 'scenarios'}: not a folder; cannot create {tmp_path / 'scenarios' / 'steady.yaml'} "
        "(nothing was written)\n"
    )
    assert not (tmp_path / "policies").exists()


def test_scaffold_comments_point_only_to_what_an_installed_orcli_has() -> None:
    """A pip user has the orcli command, not this repository's docs/ folder."""
    for template in TEMPLATES:
        assert "docs/" not in template.text, template.path
    assert "orcli schema policy" in TEMPLATES[0].text
    for kind in ("policy", "scenario"):  # the commands the comments name work
        result = runner.invoke(app, ["schema", kind])
        assert result.exit_code == 0 and '"$schema"' in result.stdout
