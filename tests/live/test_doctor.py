"""``orcli doctor``: key, reachability, credit and catalog age; the key is never printed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from orcli.catalog.load import default_catalog
from orcli.cli.app import app
from orcli.client.keys import ApiKey
from orcli.clock import VirtualClock
from orcli.live.doctor import Check, run_doctor

from .conftest import API, CANARY_KEY

runner = CliRunner()
KEY_DATA = {
    "data": {
        "label": "sk-or-v1-can...b1d",
        "limit": 100,
        "limit_remaining": 74.5,
        "usage": 25.5,
        "is_free_tier": False,
    }
}


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines()]


def test_healthy_setup(api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    route = api.get(f"{API}/key").mock(return_value=httpx.Response(200, json=KEY_DATA))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.stdout
    out = lines(result.stdout)
    assert out[0] == "ok api key sk-or-v1-…0b1d (from OPENROUTER_API_KEY)"
    assert out[1].startswith("ok base url https://openrouter.ai/api/v1 answered (HTTP 200, ")
    assert out[2] == "ok key valid credit limit $100, $74.5 remaining, usage $25.5, paid tier"
    assert out[3].startswith("warn catalog the embedded catalog")
    assert route.calls[0].request.headers["authorization"] == f"Bearer {CANARY_KEY}"
    assert CANARY_KEY not in result.stdout + result.stderr
    assert "sk-or-v1-can" not in result.stdout  # not even the API's own partial label


def test_missing_key_fails(api: respx.MockRouter) -> None:
    api.get(f"{API}/key").mock(return_value=httpx.Response(401, json={"error": {"code": 401, "message": "No auth"}}))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    out = lines(result.stdout)
    assert out[0] == "FAIL api key OPENROUTER_API_KEY is not set"
    assert out[1].startswith("ok base url https://openrouter.ai/api/v1 answered (HTTP 401")
    assert out[-1] == "doctor: 1 check(s) failed: api key"


def test_rejected_key_fails(api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    body = {"error": {"code": 401, "message": f"User not found for key {CANARY_KEY}"}}
    api.get(f"{API}/key").mock(return_value=httpx.Response(401, json=body))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL key valid rejected (HTTP 401: User not found for key [redacted])" in lines(result.stdout)
    assert CANARY_KEY not in result.stdout


def test_low_credit_warns(api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    data = {"data": {"limit": 1, "limit_remaining": 0.02, "usage": 0.98, "is_free_tier": True}}
    api.get(f"{API}/key").mock(return_value=httpx.Response(200, json=data))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0
    assert "warn key valid credit limit $1, $0.02 remaining, usage $0.98, free tier: credit nearly used up" in lines(
        result.stdout
    )


def test_unreachable_base_url(api: respx.MockRouter) -> None:
    api.get("https://gateway.example/v1/key").mock(side_effect=httpx.ConnectError("refused"))
    clock = VirtualClock()
    checks = run_doctor("https://gateway.example/v1", ApiKey(CANARY_KEY), default_catalog(), clock=clock)
    assert checks[1] == Check(
        "base url",
        "fail",
        "https://gateway.example/v1 unreachable: ConnectError reaching https://gateway.example/v1 (after 2 attempts)",
    )
    # The key is there but nobody could say whether it is valid: "not checked", never "ok".
    assert checks[2] == Check("key valid", "skip", "the API could not be reached to ask")
    assert [c.name for c in checks] == ["api key", "base url", "key valid", "catalog"]
    assert clock.now() == 0.5


def test_unreachable_api_says_not_checked(api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    api.get(f"{API}/key").mock(side_effect=httpx.ConnectError("refused"))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    out = lines(result.stdout)
    assert "not checked key valid the API could not be reached to ask" in out
    assert not any(line.startswith("ok key valid") for line in out)


def test_catalog_age(tmp_path: Path, api: respx.MockRouter) -> None:
    api.get(f"{API}/key").mock(return_value=httpx.Response(401))
    now = datetime(2026, 3, 1, tzinfo=UTC)
    fresh = default_catalog().model_copy(
        update={"source": "live openrouter.ai", "generated_at": (now - timedelta(days=2)).isoformat()}
    )
    stale = fresh.model_copy(update={"generated_at": (now - timedelta(days=45)).isoformat()})
    assert run_doctor(API, None, fresh, now=now)[-1].status == "ok"
    assert run_doctor(API, None, fresh, now=now)[-1].detail.endswith("2.0 days old")
    last = run_doctor(API, None, stale, now=now)[-1]
    assert (last.status, last.detail.endswith("45.0 days old: stale, pull it again")) == ("warn", True)
