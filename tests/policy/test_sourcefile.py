"""The source-located loader: keys as written, values located, hostile input refused cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.errors import SourceError
from orcli.policy.compile import provider_object
from orcli.policy.load import load_policy
from orcli.policy.model import ErrorClass, ProviderRules
from orcli.sourcefile import format_loc, load_document

ROOT = Path(__file__).parent.parent.parent
runner = CliRunner()


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "p.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_yaml_1_1_boolean_words_stay_keys_but_values_stay_booleans(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "workflows:\n  chat:\n    models: {primary: openai/gpt-4o}\n    provider: {zdr: yes}\n"
        "    retry:\n      on: {timeout: stop}\n",
    )
    workflow = load_policy(path).workflow("chat")
    assert workflow.retry.on == {ErrorClass.TIMEOUT: "stop"}
    assert workflow.provider.zdr is True
    assert load_document(path).data["workflows"]["chat"]["retry"] == {"on": {"timeout": "stop"}}


def test_numeric_keys_keep_their_spelling(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "1.10: a\n007: b\n"))
    assert doc.data == {"1.10": "a", "007": "b"}


def test_value_positions_are_recorded(tmp_path: Path) -> None:
    path = write(tmp_path, "workflows:\n  chat:\n    models:\n      primary: openai/gpt-4o\n")
    loaded = load_policy(path)
    pos = loaded.position("chat", "models", "primary")
    assert (pos.line, pos.col) == (4, 16)
    # A value the file does not set points at its nearest written ancestor.
    pos = loaded.position("chat", "retry", "max_attempts")
    assert (pos.line, pos.col) == (3, 5)


def test_an_impossible_date_is_a_clean_error(tmp_path: Path) -> None:
    path = write(tmp_path, "workflows:\n  chat:\n    description: 2024-13-45\n    models: {primary: openai/gpt-4o}\n")
    with pytest.raises(SourceError) as caught:
        load_policy(path)
    assert caught.value.message == f"{path}:3:18: workflows.chat.description: cannot read this value as timestamp"


def test_nul_bytes_are_located(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load_document(write(tmp_path, b"workflows:\n  ch\x00at: {}\n"))
    assert caught.value.message == f"{tmp_path / 'p.yaml'}:2:5: not a text file (contains NUL bytes)"


def test_a_key_with_a_newline_keeps_the_message_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'workflows:\n  "bad\\nname":\n    models: {primary: openai/gpt-4o}\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:3:5: workflows[\"bad\\nname\"]: expected a workflow name of lowercase letters, digits, '-' and '_'\n"
    )


def test_format_loc() -> None:
    assert format_loc(("workflows", "chat", "models", "fallbacks", 1)) == "workflows.chat.models.fallbacks[1]"
    assert format_loc(("workflows", "")) == 'workflows[""]'
    assert format_loc(()) == ""


def test_provider_object_sends_what_the_policy_sets_even_a_default() -> None:
    rules = ProviderRules.model_validate({"allow_fallbacks": True, "max_price": {"prompt": 1.5}})
    assert provider_object(rules) == {"allow_fallbacks": True, "max_price": {"prompt": 1.5}}
    assert provider_object(ProviderRules()) == {}


def test_an_absurd_catalog_price_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    # 1e200 USD per token once overflowed the decimal context and zeroed routing weights.
    source = json.loads((ROOT / "orcli" / "catalog" / "data" / "default.json").read_text())
    source["models"][0]["endpoints"][0]["pricing"]["prompt"] = "1e200"
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(source, indent=1))
    result = runner.invoke(
        app, ["explain", str(ROOT / "policies" / "financial-analysis.yaml"), "--catalog", str(catalog)]
    )
    assert result.exit_code == 2
    line = result.stderr.splitlines()
    assert len(line) == 1
    assert line[0].startswith(f"{catalog}:")
    assert line[0].endswith("models[0].endpoints[0].pricing.prompt: input should be less than or equal to 1")


LIBRARY = sorted([*(ROOT / "policies").glob("*.yaml"), *(ROOT / "scenarios").glob("*.yaml")])
BROKEN = [
    "workflows:\n  chat: [1, 2\n",  # an unclosed bracket
    "a: 1\na: 2\n",  # a duplicate key
    "a:\n\tb: 1\n",  # a tab as indentation
    "a: *missing\n",  # an undefined alias
    "- [" * 3000 + "\n",  # nesting beyond libyaml's limit
]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_libyaml_reads_the_library_as_the_pure_python_loader_does(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import orcli.sourcefile

    fast = load_document(path)
    monkeypatch.setattr(orcli.sourcefile, "_FAST_LOADER", None)
    assert load_document(path) == fast


@pytest.mark.parametrize("text", BROKEN)
def test_a_broken_document_gets_the_same_message_with_or_without_libyaml(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orcli.sourcefile

    with pytest.raises(SourceError) as fast:
        load_document("broken.yaml", text)
    monkeypatch.setattr(orcli.sourcefile, "_FAST_LOADER", None)
    with pytest.raises(SourceError) as pure:
        load_document("broken.yaml", text)
    assert str(fast.value) == str(pure.value)
