"""``orcli drill --target live``: consent, caps and flags at the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx
from typer.testing import CliRunner

from orcli.cli.app import app

from .conftest import CANARY_KEY, CHAT, error, ok, write_scenario

runner = CliRunner()


def test_refused_without_key_and_consent(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    result = runner.invoke(app, ["drill", str(write_scenario(tmp_path))])
    assert result.exit_code == 2
    assert result.stderr == (
        "live drill refused (OPENROUTER_API_KEY is not set; --yes-live was not given): it sends real, billed "
        "requests to https://openrouter.ai/api/v1 (at most 20 requests and $0.10); nothing was sent\n"
    )
    assert route.call_count == 0


def test_refused_without_consent(tmp_path: Path, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    route = api.post(CHAT).mock(return_value=ok())
    result = runner.invoke(app, ["drill", str(write_scenario(tmp_path)), "--max-requests", "3"])
    assert result.exit_code == 2
    assert result.stderr.startswith("live drill refused (--yes-live was not given)")
    assert "at most 3 requests" in result.stderr
    assert CANARY_KEY not in result.stderr + result.stdout
    assert route.call_count == 0


def test_refused_without_key(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    result = runner.invoke(app, ["drill", str(write_scenario(tmp_path)), "--yes-live"])
    assert result.exit_code == 2
    assert result.stderr.startswith("live drill refused (OPENROUTER_API_KEY is not set)")
    assert route.call_count == 0


def test_target_flag_turns_a_mock_scenario_live(tmp_path: Path, api: respx.MockRouter) -> None:
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace("target: live", "target: mock"))
    result = runner.invoke(app, ["drill", str(path), "--target", "live"])
    assert result.exit_code == 2 and result.stderr.startswith("live drill refused")


def test_target_mock_runs_a_live_scenario_on_the_simulator(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    result = runner.invoke(app, ["drill", str(write_scenario(tmp_path)), "--target", "mock", "-q"])
    assert result.exit_code == 0, result.stderr
    assert route.call_count == 0


def test_live_drill_end_to_end(tmp_path: Path, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    route = api.post(CHAT).mock(return_value=ok())
    report = tmp_path / "report.json"
    args = ["drill", str(write_scenario(tmp_path, requests=3)), "--yes-live", "--json", str(report)]
    result = runner.invoke(app, [*args, "--max-tokens", "32", "--app-url", "https://acme.example"])
    assert result.exit_code == 0, result.stderr
    assert route.call_count == 3
    assert {json.loads(c.request.content)["max_tokens"] for c in route.calls} == {32}
    assert {c.request.headers["http-referer"] for c in route.calls} == {"https://acme.example"}
    assert "3 requests sent (cap 20)" in result.stdout
    data = json.loads(report.read_text())
    assert data["scenario"]["target"] == "live"
    for text in (result.stdout, result.stderr, report.read_text()):
        assert CANARY_KEY not in text


def test_abort_exits_1_with_a_clear_line(
    tmp_path: Path, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    api.post(CHAT).mock(return_value=error(503))
    path = write_scenario(tmp_path, requests=10, concurrency=1)
    result = runner.invoke(app, ["drill", str(path), "--yes-live", "--abort-min-requests", "3"])
    assert result.exit_code == 1
    assert "ABORTED: error rate 100% (3 of 3 real responses failed)" in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("drill aborted by a safeguard: live-check: ABORTED")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--max-cost", "ten"], "--max-cost: expected an amount in USD such as 0.10, got 'ten'"),
        (["--max-cost", "0"], "--max-cost: must be a positive amount in USD, got '0'"),
        (["--max-requests", "0"], "--max-requests: must be at least 1, got 0"),
        (["--abort-error-rate", "1.5"], "--abort-error-rate: expected a share between 0 (exclusive) and 1"),
        (["--base-url", "ftp://x"], "--base-url: expected an http(s) URL"),
        (["--base-url", "http://gateway.example/v1"], "--base-url: refusing to send the API key over plain http"),
        (["--target", "staging"], "--target: expected one of mock, live, got 'staging'"),
    ],
)
def test_bad_flags_exit_2(tmp_path: Path, api: respx.MockRouter, flags: list[str], message: str) -> None:
    result = runner.invoke(app, ["drill", str(write_scenario(tmp_path)), "--yes-live", *flags])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
