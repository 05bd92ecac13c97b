"""Every command runs with a canary key in the environment; the key shows up nowhere."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from orcli.cli.app import app

from .conftest import API, CANARY_KEY, CHAT, ok, write_scenario
from .test_catalog_pull import mock_api

runner = CliRunner()
ROOT = Path(__file__).parent.parent.parent
POLICY = ROOT / "policies" / "general-chat.yaml"


def test_the_key_never_appears(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "live").mkdir()
    (tmp_path / "mock").mkdir()
    live = write_scenario(tmp_path / "live", requests=3, faults="  - kind: outage\n    first: 1\n")
    mock = write_scenario(tmp_path / "mock", requests=3, name="mock-check")
    mock.write_text(mock.read_text().replace("target: live", "target: mock"))
    reports = tmp_path / "reports"
    reports.mkdir()
    catalog = tmp_path / "pulled.json"
    echo = {"error": {"code": 400, "message": f"Invalid key {CANARY_KEY} for this request"}}
    commands = [
        ["validate", str(POLICY)],
        ["validate", str(POLICY), "--format", "json"],
        ["compile", str(POLICY)],
        ["explain", str(POLICY)],
        ["catalog", "show"],
        ["catalog", "show", "openai/gpt-4o-mini"],
        ["catalog", "pull", "-o", str(catalog)],
        ["validate", str(POLICY), "--catalog", str(catalog)],
        ["doctor"],
        ["doctor", "--catalog", str(catalog)],
        ["route", "disable", "--provider", "openai", "--reason", "canary", "--ttl", "1h", "--policy", str(POLICY)],
        ["route", "list"],
        ["route", "list", "--json"],
        ["drill", str(mock), "--json", str(reports / "mock.json"), "--markdown", str(reports / "mock.md")],
        [
            "drill",
            str(live),
            "--yes-live",
            "--trail",
            "--json",
            str(reports / "live.json"),
            "--junit",
            str(reports / "live.xml"),
            "--markdown",
            str(reports / "live.md"),
        ],
        ["drill", str(live), "--yes-live", "--max-cost", "nonsense"],
    ]
    outputs: list[str] = []
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as api:
        mock_api(api)
        api.get(f"{API}/key").mock(return_value=httpx.Response(200, json={"data": {"limit": None, "usage": 0}}))
        api.post(CHAT).mock(side_effect=[httpx.Response(400, json=echo), ok(), ok(), ok(), ok()])
        trail = {"data": {"provider_responses": [{"provider_name": "OpenAI", "model_permaslug": "m", "status": 200}]}}
        api.get(f"{API}/generation").mock(return_value=httpx.Response(200, json=trail))
        for args in commands:
            result = runner.invoke(app, args)
            assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
            outputs.append(f"$ orcli {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        # The key did travel where it must: the Authorization header to the API host.
        assert all(call.request.headers.get("authorization") in (None, f"Bearer {CANARY_KEY}") for call in api.calls)
        assert {call.request.url.host for call in api.calls} == {"openrouter.ai"}
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"pulled.json", "live.json", "live.xml", "live.md", "mock.json", "mock.md"}
    assert any(p.parent.name == ".orcli" for p in written)  # the overrides store was written too
    for text in outputs:
        assert CANARY_KEY not in text
        assert CANARY_KEY[9:] not in text  # not even without its prefix
    for path in written:
        data = path.read_bytes()
        assert CANARY_KEY.encode() not in data, path
        assert CANARY_KEY[9:].encode() not in data, path
    assert "[redacted]" in (reports / "live.json").read_text()  # the echoed key was scrubbed, not dropped
