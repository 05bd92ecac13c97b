"""``orcli validate``: many inputs, three formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app

ROOT = Path(__file__).parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
runner = CliRunner()

LINT_ERROR = """\
workflows:
  chat:
    models:
      primary: openai/gpt-4o
      fallbacks: [openai/gpt-4o]
"""
LINT_WARNING = """\
workflows:
  batch:
    models: {primary: openai/gpt-4o-mini}
    degradation: {mode: queue}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_folder_of_examples_is_clean() -> None:
    result = runner.invoke(app, ["validate", str(ROOT / "policies")])
    assert result.exit_code == 0
    assert result.stdout == "7 files, 7 workflows: 0 errors, 0 warnings\n"
    assert result.stderr == ""


def test_a_file_named_twice_is_validated_once() -> None:
    policies = ROOT / "policies"
    result = runner.invoke(app, ["validate", str(policies), str(policies / "legal-review.yaml")])
    assert result.stdout == "7 files, 7 workflows: 0 errors, 0 warnings\n"


def test_every_file_is_checked_and_the_worst_outcome_wins(tmp_path: Path) -> None:
    broken = FIXTURES / "broken" / "bad-enum.yaml"
    bad = write(tmp_path, "bad.yaml", LINT_ERROR)
    warned = write(tmp_path, "warned.yaml", LINT_WARNING)
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["validate", str(bad), str(broken), str(missing), str(warned)])
    assert result.exit_code == 2  # bad input beats failed checks
    assert result.stderr.splitlines() == [
        f"{missing}: no such file or folder",
        f"{broken}:3:17: workflows.chat.data_class: input should be 'public', 'internal' or 'regulated'",
    ]
    assert result.stdout.splitlines() == [
        f"{bad}:5:19: error [duplicate-model] workflows.chat.models.fallbacks[0]: 'openai/gpt-4o' is already in "
        "the chain at models.primary: a repeat adds no resilience (its provider pool was already tried); remove it",
        f"{warned}:4:25: warning [queue-without-max-wait] workflows.batch.degradation.mode: queued work may wait "
        "forever; set degradation.queue_max_wait_s to bound how long it is held",
        "3 files, 2 workflows: 1 error, 1 warning; 2 inputs could not be loaded",
    ]


@pytest.mark.parametrize(
    ("texts", "strict", "code"),
    [
        ([LINT_WARNING], False, 0),
        ([LINT_WARNING], True, 1),
        ([LINT_ERROR], False, 1),
        ([LINT_ERROR, LINT_WARNING], True, 1),
    ],
)
def test_exit_codes(tmp_path: Path, texts: list[str], strict: bool, code: int) -> None:
    paths = [str(write(tmp_path, f"p{i}.yaml", text)) for i, text in enumerate(texts)]
    result = runner.invoke(app, ["validate", *paths, *(["--strict"] if strict else [])])
    assert result.exit_code == code


def test_json_lists_load_failures_and_findings(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", LINT_ERROR)
    broken = FIXTURES / "broken" / "negative-timeout.yaml"
    result = runner.invoke(app, ["validate", "--format", "json", str(bad), str(broken)])
    assert result.exit_code == 2
    assert result.stderr == ""
    assert json.loads(result.stdout) == [
        {
            "path": str(broken),
            "line": 5,
            "col": 18,
            "severity": "error",
            "rule": "load",
            "field": "workflows.chat.timeouts.attempt_s",
            "message": "input should be greater than 0",
        },
        {
            "path": str(bad),
            "line": 5,
            "col": 19,
            "severity": "error",
            "rule": "duplicate-model",
            "field": "workflows.chat.models.fallbacks[0]",
            "message": "'openai/gpt-4o' is already in the chain at models.primary: a repeat adds no resilience "
            "(its provider pool was already tried); remove it",
        },
    ]


def test_json_of_a_clean_run_is_an_empty_list() -> None:
    result = runner.invoke(app, ["validate", "--format", "json", str(ROOT / "policies")])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_github_annotations_escape_their_properties(tmp_path: Path) -> None:
    warned = write(tmp_path, "odd,name.yaml", LINT_WARNING)
    missing = tmp_path / "gone.yaml"
    result = runner.invoke(app, ["validate", "--format", "github", str(warned), str(missing)])
    assert result.exit_code == 2
    shown = str(warned).replace(",", "%2C")
    assert result.stdout.splitlines() == [
        f"::error file={missing},title=orcli load::no such file or folder",
        f"::warning file={shown},line=4,col=25,title=orcli queue-without-max-wait::workflows.batch.degradation.mode: "
        "queued work may wait forever; set degradation.queue_max_wait_s to bound how long it is held",
        "1 file, 1 workflow: 0 errors, 1 warning; 1 input could not be loaded",
    ]


def test_github_annotation_of_a_syntax_error_has_its_line() -> None:
    broken = FIXTURES / "broken" / "tab-indent.yaml"
    result = runner.invoke(app, ["validate", "--format", "github", str(broken)])
    first = result.stdout.splitlines()[0]
    assert first == (
        f"::error file={broken},line=3,col=1,title=orcli load::YAML syntax error: found character '\\t' that "
        "cannot start any token; indent with spaces, not tabs"
    )


def test_unknown_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["validate", "--format", "xml", str(ROOT / "policies")])
    assert result.exit_code == 2
    assert result.stderr == "--format: expected one of text, json, github, got 'xml'\n"


def test_folder_without_policies(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path}: no policy or scenario files (*.yaml, *.yml) in this folder\n"


def _one_model_catalog(tmp_path: Path) -> Path:
    source = json.loads((ROOT / "orcli" / "catalog" / "data" / "default.json").read_text())
    source["models"] = [m for m in source["models"] if m["id"] == "openai/gpt-4o-mini"]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(source))
    return path


def test_catalog_option_changes_what_is_known(tmp_path: Path) -> None:
    catalog = _one_model_catalog(tmp_path)
    policy = ROOT / "policies" / "general-chat.yaml"
    result = runner.invoke(app, ["validate", "--catalog", str(catalog), str(policy)])
    assert result.exit_code == 1
    rules = [line.split("[", 1)[1].split("]", 1)[0] for line in result.stdout.splitlines()[:-1]]
    assert rules == ["unknown-model"] * 3
    # The same file through the environment variable.
    via_env = runner.invoke(app, ["validate", str(policy)], env={"ORCLI_CATALOG": str(catalog)})
    assert via_env.stdout == result.stdout


def test_broken_catalog_is_bad_input(tmp_path: Path) -> None:
    catalog = write(tmp_path, "catalog.yaml", "models: []\n")
    result = runner.invoke(app, ["validate", "--catalog", str(catalog), str(ROOT / "policies")])
    assert result.exit_code == 2
    assert result.stderr == f"{catalog}:1:9: models: tuple should have at least 1 item, not 0\n"


def test_findings_of_several_workflows_in_one_file_come_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", LINT_WARNING + LINT_ERROR.replace("workflows:\n", ""))
    result = runner.invoke(app, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 1
    found = [(f["line"], f["rule"], f["field"]) for f in json.loads(result.stdout)]
    assert found == [
        (4, "queue-without-max-wait", "workflows.batch.degradation.mode"),
        (8, "duplicate-model", "workflows.chat.models.fallbacks[0]"),
    ]
    text = runner.invoke(app, ["validate", str(path)])
    assert text.stdout.splitlines()[-1] == "1 file, 2 workflows: 1 error, 1 warning"
