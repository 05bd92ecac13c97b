"""Presets: ``@preset/slug``, the ``preset`` field and ``model@preset/slug``, request fields over
the preset's; served in process, by ``orcli mock serve --presets`` and written by
``orcli compile --as-preset``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from orcli.catalog.model import Catalog
from orcli.cli.app import app
from orcli.upstream.presets import parse_presets
from orcli.upstream.simulator import Simulator
from tests.upstream.support import as_json, user

runner = CliRunner()
PRESETS = {
    "cheap-chat": {
        "model": "acme/backup",
        "models": ["acme/chat"],
        "provider": {"only": ["alpha", "gamma", "delta"], "sort": "price"},
        "max_tokens": 40,
    }
}


def chat(sim: Simulator, **body: Any) -> tuple[int, Any]:
    reply = sim.chat({"messages": user(), **body})
    return reply.status, as_json(reply)


def test_the_three_ways_to_call_a_preset(catalog: Catalog) -> None:
    sim = Simulator(catalog, presets=PRESETS)
    status, by_model = chat(sim, model="@preset/cheap-chat")
    assert status == 200 and by_model["model"] == "acme/backup"
    assert by_model["usage"]["completion_tokens"] <= 40  # the preset's max_tokens
    status, by_field = chat(sim, preset="cheap-chat")
    assert status == 200 and by_field["model"] == "acme/backup"
    status, with_model = chat(sim, model="acme/chat@preset/cheap-chat")
    assert status == 200 and with_model["model"] == "acme/chat"
    assert with_model["provider"] == "Alpha"  # the preset's provider rules: only alpha/gamma, by price


def test_request_fields_override_the_preset_and_provider_merges_field_by_field(catalog: Catalog) -> None:
    sim = Simulator(catalog, presets=PRESETS)
    status, body = chat(sim, model="acme/chat", preset="cheap-chat", provider={"sort": "throughput"}, max_tokens=5)
    assert status == 200 and body["model"] == "acme/chat"
    assert body["provider"] == "Gamma"  # sort from the request, only from the preset (not Beta)
    assert body["usage"]["completion_tokens"] <= 5


def test_an_unknown_preset_is_a_404_and_requests_without_one_are_untouched(catalog: Catalog) -> None:
    sim = Simulator(catalog, presets=PRESETS)
    status, body = chat(sim, model="@preset/nope")
    assert status == 404 and body["error"]["message"] == "Preset 'nope' not found"
    status, body = chat(sim, model="acme/chat", messages=user("tell me about presets"))
    assert status == 200


def test_presets_file_errors_name_the_line(tmp_path: Path) -> None:
    good = tmp_path / "presets.yaml"
    good.write_text("presets:\n  cheap-chat:\n    model: acme/backup\n    temperature: 0.2\n")
    assert parse_presets(good) == {"cheap-chat": {"model": "acme/backup", "temperature": 0.2}}
    bad = tmp_path / "bad.yaml"
    bad.write_text("presets:\n  cheap-chat:\n    provider: {sort: fastest}\n")
    result = runner.invoke(app, ["mock", "serve", "--port", "0", "--presets", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:3:")
    assert "presets.cheap-chat" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("policy", ["policies/general-chat.yaml"])
def test_compile_as_preset_is_a_presets_file_the_simulator_serves(tmp_path: Path, policy: str) -> None:
    root = Path(__file__).parents[2]
    result = runner.invoke(app, ["compile", str(root / policy), "--as-preset"])
    assert result.exit_code == 0, result.stderr
    written = json.loads(result.stdout)
    fragment = json.loads(runner.invoke(app, ["compile", str(root / policy)]).stdout)
    assert written["presets"]["general-chat"] == fragment[0]["request"]
    presets_file = tmp_path / "presets.json"
    presets_file.write_text(result.stdout)
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "orcli", "mock", "serve", "--port", "0", "--time-scale", "0"]
    process = subprocess.Popen([*command, "--presets", str(presets_file)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert "1 preset(s)" in banner
        url = banner.split(" at ", 1)[1].split(" ", 1)[0]
        response = httpx.post(
            f"{url}/chat/completions",
            headers={"Authorization": "Bearer sk-or-v1-simulated-test-key"},
            json={"model": "@preset/general-chat", "messages": user(), "stream": False},
        )
        assert response.status_code == 200
        assert response.json()["model"] == written["presets"]["general-chat"]["model"]
    finally:
        process.terminate()
        process.wait(timeout=10)
