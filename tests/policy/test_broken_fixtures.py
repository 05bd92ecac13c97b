"""Every broken policy in tests/fixtures/broken gives exactly one line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app

BROKEN = Path(__file__).parent.parent / "fixtures" / "broken"
runner = CliRunner()

# file -> the whole message after "path:"
EXPECTED = {
    "yaml-syntax.yaml": (
        "4:13: YAML syntax error: expected ',' or '}', but got ':' (while parsing a flow mapping at 3:13)"
    ),
    "tab-indent.yaml": (
        "3:1: YAML syntax error: found character '\\t' that cannot start any token; indent with spaces, not tabs"
    ),
    "unclosed-quote.yaml": (
        "5:1: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at 3:18)"
    ),
    "two-documents.yaml": (
        "4:1: YAML syntax error: expected a single document in the stream, but found another document"
    ),
    "wrong-type.yaml": (
        "5:21: workflows.chat.retry.max_attempts: input should be a valid integer, unable to parse string as an integer"
    ),
    "unknown-key-close.yaml": "5:7: workflows.chat.models.fallback: unknown key; did you mean 'fallbacks'?",
    "unknown-key-far.yaml": (
        "5:7: workflows.chat.needs.colour: unknown key; "
        "expected one of: max_output_tokens, min_context, streaming, structured_output, tools"
    ),
    "bad-enum.yaml": "3:17: workflows.chat.data_class: input should be 'public', 'internal' or 'regulated'",
    "bad-sort.yaml": "5:13: workflows.chat.provider.sort: input should be 'price', 'throughput', 'latency' or 'exacto'",
    "bad-quantization.yaml": (
        "5:28: workflows.chat.provider.quantizations[1]: input should be 'int4', 'int8', 'fp4', 'mxfp4', 'nvfp4', "
        "'fp6', 'fp8', 'mxfp8', 'fp16', 'bf16', 'fp32' or 'unknown'"
    ),
    "bad-error-class.yaml": (
        "6:16: workflows.chat.retry.on.flaky: input should be 'bad_request', 'auth', 'billing', 'spend_limit', "
        "'rate_limit', 'timeout', 'provider_failure', 'routing_constraint', 'moderation', 'context_length', "
        "'invalid_response', 'malformed_tool_call' or 'stream_truncated'"
    ),
    "negative-timeout.yaml": "5:18: workflows.chat.timeouts.attempt_s: input should be greater than 0",
    "missing-primary.yaml": "4:7: workflows.chat.models: required key 'primary' is missing",
    "duplicate-key.yaml": "5:5: workflows.chat.provider: duplicate key (first at line 4)",
    "empty.yaml": "1:1: empty policy file: expected 'workflows:'",
    "top-level-list.yaml": "1:1: expected a mapping (key: value lines), got a list",
    "scalar-workflow.yaml": "2:9: workflows.chat: expected a mapping (key: value lines), got a string",
    "sequence-key.yaml": "2:5: workflows: mapping keys must be plain scalars",
    "no-workflows.yaml": "1:12: workflows: mapping should have at least 1 item, not 0",
    "bad-model-id.yaml": (
        "4:16: workflows.chat.models.primary: expected a model id 'author/slug', author in lowercase, "
        "e.g. 'openai/gpt-4o'"
    ),
    "bad-workflow-name.yaml": (
        "3:5: workflows.Customer Chat: expected a workflow name of lowercase letters, digits, '-' and '_'"
    ),
    "bad-version.yaml": "1:10: version: input should be 1",
    "bad-max-price.yaml": "6:17: workflows.chat.provider.max_price.prompt: input should be a valid decimal",
    "backoff-order.yaml": "6:9: workflows.chat.retry.backoff: max_s must be at least initial_s",
    "non-utf8.yaml": "3:21: not UTF-8 text (byte 0xe9)",
    "byok-secret-value.yaml": (
        "6:17: workflows.chat.byok.keys.openai: expected the name of an environment variable holding the key, "
        "e.g. 'OPENAI_BYOK_KEY'"
    ),
    "huge-integer.yaml": "4:26: workflows.chat.needs.min_context: cannot read this value as int",
    "alias-bomb.yaml": "5:4: e: more than 100,000 values (aliases expanded)",
    "control-character.yaml": "3:24: character #x0007 is not allowed in YAML",
}


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {p.name for p in BROKEN.iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_fixture_is_one_clean_line(name: str) -> None:
    path = BROKEN / name
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"{path}:{EXPECTED[name]}\n"
    assert "Traceback" not in result.output
    assert result.stdout == "1 file, 0 workflows: 0 errors, 0 warnings; 1 input could not be loaded\n"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_other_commands_give_the_same_line(name: str) -> None:
    path = BROKEN / name
    result = runner.invoke(app, ["compile", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"{path}:{EXPECTED[name]}\n"


def test_a_secret_written_as_a_byok_key_is_never_echoed() -> None:
    result = runner.invoke(app, ["validate", "--format", "json", str(BROKEN / "byok-secret-value.yaml")])
    assert result.exit_code == 2
    assert "sk-or-v1" not in result.output
