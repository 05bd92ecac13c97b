from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from orcli.cli.app import app

runner = CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def test_compile_prints_openrouter_fragment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "workflows:\n  chat:\n    models: {primary: openai/gpt-4o-mini, fallbacks: [anthropic/claude-haiku-4.5]}\n"
        "    provider: {sort: price, zdr: true}\n",
    )
    result = runner.invoke(app, ["compile", str(path), "--workflow", "chat"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)["request"]
    assert body == {
        "model": "openai/gpt-4o-mini",
        "models": ["anthropic/claude-haiku-4.5"],
        "provider": {"zdr": True, "sort": "price"},
    }


def test_unknown_key_is_one_line_with_position(tmp_path: Path) -> None:
    path = write(tmp_path, "workflows:\n  chat:\n    models: {primary: openai/gpt-4o}\n    retry: {max_attemps: 3}\n")
    result = runner.invoke(app, ["compile", str(path)])
    assert result.exit_code == 2
    assert (
        result.stderr == f"{path}:4:13: workflows.chat.retry.max_attemps: unknown key; did you mean 'max_attempts'?\n"
    )
