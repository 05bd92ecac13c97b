"""``orcli schema`` and ``orcli catalog show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.sourcefile import load_document

ROOT = Path(__file__).parent.parent.parent
POLICIES = sorted((ROOT / "policies").glob("*.yaml"))
runner = CliRunner()


def policy_schema() -> dict[str, object]:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema: dict[str, object] = json.loads(result.stdout)
    return schema


def test_schema_is_a_valid_json_schema() -> None:
    schema = policy_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_every_example_policy_satisfies_the_schema(path: Path) -> None:
    # The document as orcli reads it: keys as written (an editor's YAML 1.2 reads `on` the same way).
    errors = list(Draft202012Validator(policy_schema()).iter_errors(load_document(path).data))
    assert errors == []


@pytest.mark.parametrize(
    "fixture", ["unknown-key-close.yaml", "bad-enum.yaml", "negative-timeout.yaml", "missing-primary.yaml"]
)
def test_schema_rejects_what_the_loader_rejects(fixture: str) -> None:
    data = load_document(ROOT / "tests" / "fixtures" / "broken" / fixture).data
    assert list(Draft202012Validator(policy_schema()).iter_errors(data)) != []


def test_unknown_schema_kind() -> None:
    result = runner.invoke(app, ["schema", "scenario-x"])
    assert result.exit_code == 2
    assert result.stderr == "schema: unknown kind 'scenario-x'; expected one of: policy, scenario\n"


def test_catalog_show_lists_every_model() -> None:
    result = runner.invoke(app, ["catalog", "show"])
    assert result.exit_code == 0
    for model in default_catalog().models:
        assert model.id in result.stdout
        assert f"{model.context_length:,}" in result.stdout


def test_catalog_show_model_lists_its_endpoints() -> None:
    model = default_catalog().get("qwen/qwen3-coder")
    assert model is not None
    result = runner.invoke(app, ["catalog", "show", model.id])
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ ") and "│ " in line[2:]]
    for ep in model.endpoints:
        assert any(f" {ep.tag} " in row for row in rows), ep.tag
    assert "int4" in result.stdout  # the quantized turbo endpoint


def test_catalog_show_unknown_model() -> None:
    result = runner.invoke(app, ["catalog", "show", "acme/nothing"])
    assert result.exit_code == 2
    assert result.stderr == "catalog: unknown model 'acme/nothing' (see 'orcli catalog show')\n"


def test_catalog_show_suggests_a_close_model() -> None:
    result = runner.invoke(app, ["catalog", "show", "openai/gpt4o"])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "catalog: unknown model 'openai/gpt4o'; did you mean 'openai/gpt-4o'? (see 'orcli catalog show')\n"
    )
