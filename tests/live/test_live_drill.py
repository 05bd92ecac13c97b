"""Live drills through the library: exact requests, caps, safeguards, trails (virtual time)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import respx

from orcli.catalog.load import default_catalog
from orcli.client.hops import LIVE_CAP
from orcli.client.keys import ApiKey
from orcli.drill.live import LiveOptions, LiveRun, drill_live
from orcli.drill.records import DrillResult
from orcli.drill.runner import prepare
from orcli.drill.scenario import load_scenario
from orcli.live.guard import LiveLimits
from orcli.vtime import run_virtual

from .conftest import API, CANARY_KEY, CHAT, FALLBACK, POLICY, PRIMARY, error, ok, sent_bodies, write_scenario


def run(path: Path, **options: Any) -> DrillResult:
    inputs = prepare(load_scenario(path), default_catalog())
    live = LiveRun(key=ApiKey(CANARY_KEY), options=LiveOptions(**options))
    return run_virtual(drill_live, inputs, live)


def test_request_shape_headers_and_host(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    result = run(write_scenario(tmp_path, requests=2))

    assert route.call_count == 2
    for call in route.calls:
        body = call.request.content
        assert b"sk-or" not in body
    first = sent_bodies(route)[0]
    assert first == {
        "model": PRIMARY,
        "models": [FALLBACK],
        "messages": first["messages"],
        "max_tokens": 64,
    }
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    headers = route.calls[0].request.headers
    assert headers["authorization"] == f"Bearer {CANARY_KEY}"
    assert headers["http-referer"] == "https://orcli.invalid/drill"
    assert headers["x-openrouter-title"] == "orcli"
    assert headers["idempotency-key"] == "drill-3-0"
    assert all(call.request.url.host == "openrouter.ai" for call in api.calls)
    assert result.target == "live"
    assert [r.result.served_provider for r in result.requests] == ["OpenAI", "OpenAI"]
    assert result.total_cost_usd == Decimal("0.00004")
    assert result.notes[0].startswith("live: https://openrouter.ai/api/v1; 2 requests sent (cap 20), $0.00004 spent")


def test_scenario_max_tokens_wins_over_the_live_default(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    mix = "  mix:\n    - name: long\n      max_tokens: 200\n"
    run(write_scenario(tmp_path, requests=1, mix=mix), max_tokens=16)
    assert sent_bodies(route)[0]["max_tokens"] == 200


def test_max_requests_holds_under_concurrency(tmp_path: Path, api: respx.MockRouter) -> None:
    async def slow_failure(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(1.0)  # every request is in flight before any answers
        return error(502)

    route = api.post(CHAT).mock(side_effect=slow_failure)
    path = write_scenario(tmp_path, requests=4, concurrency=8)
    retrying = POLICY.replace("max_attempts: 2", "max_attempts: 3\n      on: {provider_failure: retry}")
    (tmp_path / "policy.yaml").write_text(retrying)
    # 4 requests at once, each retrying twice: 12 sends wanted, 5 allowed.
    result = run(path, limits=LiveLimits(max_requests=5, abort_min_requests=100))
    assert route.call_count == 5
    assert not any(note.startswith("traffic cut") for note in result.notes)
    assert any("sends refused by the caps; the first: --max-requests 5 reached" in note for note in result.notes)
    assert result.notes[0].startswith("live: https://openrouter.ai/api/v1; 5 requests sent (cap 5)")


def test_traffic_beyond_max_requests_is_never_planned(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    result = run(write_scenario(tmp_path, requests=8, concurrency=8), limits=LiveLimits(max_requests=5))
    assert route.call_count == 5
    assert len(result.requests) == 5
    assert "traffic cut from 8 to 5 requests by --max-requests" in result.notes


def test_max_cost_reserves_the_worst_case_before_each_send(tmp_path: Path, api: respx.MockRouter) -> None:
    async def slow_ok(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(1.0)
        return ok(cost=0.000001)

    route = api.post(CHAT).mock(side_effect=slow_ok)
    path = write_scenario(tmp_path, requests=8, concurrency=8)
    # The worst case of one request from the catalog's priciest endpoint of both models.
    from orcli.live.guard import worst_case_usd

    probe = run(path, limits=LiveLimits(max_requests=1))
    body = sent_bodies(route)[0]
    worst, _ = worst_case_usd(body, default_catalog())
    assert worst is not None and worst > 0
    route.reset()
    cap = worst * 3 + worst / 2  # room for three in flight, not four
    result = run(path, limits=LiveLimits(max_requests=50, max_cost_usd=cap, abort_spend_usd=cap))
    assert probe.requests
    assert route.call_count == 3
    refused = [r for r in result.requests if r.result.stop_reason is LIVE_CAP]
    assert len(refused) == 5
    assert refused[0].result.error_message is not None
    assert "--max-cost" in refused[0].result.error_message


def test_unpriced_model_is_refused_before_sending(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok())
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nworkflows:\n  chat:\n    models:\n      primary: acme/unknown-model\n"
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: s\npolicy: policy.yaml\ntarget: live\ntraffic: {requests: 1}\nexpect: [{kind: success_rate, min: 0}]\n"
    )
    result = run(scenario)
    assert route.call_count == 0
    message = result.requests[0].result.error_message
    assert message is not None and "no price for 'acme/unknown-model'" in message


def test_error_rate_safeguard_aborts_and_says_so(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=error(500))
    path = write_scenario(tmp_path, requests=20, concurrency=1)
    result = run(path, limits=LiveLimits(max_requests=20, abort_error_rate=0.5, abort_min_requests=4))
    # One request in flight at a time, each 500 retried once on its route (a quick retry)
    # before the fallback: aborted once 4 answers failed, with the second request started.
    assert route.call_count == 4
    aborted = [n for n in result.notes if n.startswith("ABORTED")]
    assert aborted == [
        "ABORTED: error rate 100% (4 of 4 real responses failed) crossed the abort threshold 50%; "
        "18 planned requests not started"
    ]
    assert "real upstream failures (not injected): 4 attempts (provider_failure x4)" in result.notes


def test_spend_safeguard_aborts(tmp_path: Path, api: respx.MockRouter) -> None:
    route = api.post(CHAT).mock(return_value=ok(cost=0.01))
    path = write_scenario(tmp_path, requests=10, concurrency=1)
    result = run(path, limits=LiveLimits(max_cost_usd=Decimal("1"), abort_spend_usd=Decimal("0.03")))
    assert route.call_count == 3
    assert any(n.startswith("ABORTED: spend $0.03 reached the abort threshold $0.03") for n in result.notes)


def test_trail_comes_from_generation(tmp_path: Path, api: respx.MockRouter) -> None:
    api.post(CHAT).mock(return_value=ok(gen_id="gen-1-trail", provider="Anthropic", model=FALLBACK))
    trail = {
        "data": {
            "id": "gen-1-trail",
            "provider_responses": [
                {"provider_name": "OpenAI", "model_permaslug": PRIMARY, "status": 502},
                {"provider_name": "Anthropic", "model_permaslug": FALLBACK, "status": 200},
            ],
        }
    }
    generation = api.get(f"{API}/generation", params={"id": "gen-1-trail"}).mock(
        side_effect=[
            httpx.Response(404, json={"error": {"code": 404, "message": "Generation not found"}}),
            httpx.Response(200, json=trail),
        ]
    )
    result = run(write_scenario(tmp_path, requests=1), trail=True)
    assert generation.call_count == 2
    assert generation.calls[0].request.headers["authorization"] == f"Bearer {CANARY_KEY}"
    hops = result.requests[0].result.attempts[0].upstream_hops
    assert [(h.provider, h.model, h.status) for h in hops] == [("OpenAI", PRIMARY, 502), ("Anthropic", FALLBACK, 200)]
    assert "attempt trail from /generation: 1 of 1 generations" in result.notes


def test_base_url_points_elsewhere(tmp_path: Path) -> None:
    with respx.mock(assert_all_mocked=True) as router:
        route = router.post("https://gateway.example/v1/chat/completions").mock(return_value=ok())
        run(write_scenario(tmp_path, requests=1), base_url="https://gateway.example/v1")
    assert route.call_count == 1
    # Not openrouter.ai: the client walks the chain itself, one model per request.
    assert "models" not in sent_bodies(route)[0]
