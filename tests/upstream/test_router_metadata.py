"""``X-OpenRouter-Metadata: enabled``: answers carry OpenRouter's own attempt trail."""

from __future__ import annotations

import json

from orcli.upstream.faults import OutageFault
from orcli.upstream.simulator import Simulator

from .support import client_for, make_catalog, request_body

OPT_IN = {"X-OpenRouter-Metadata": "enabled"}
ORDERED = {"provider": {"order": ["alpha", "beta"]}}


def test_trail_lists_the_failed_provider_then_the_one_that_served() -> None:
    sim = Simulator(make_catalog(), faults=[OutageFault(provider="alpha", status=503)], seed=1)
    with client_for(sim) as client:
        body = client.post("/chat/completions", json=request_body(**ORDERED), headers=OPT_IN).json()
    assert body["provider"] == "Beta"
    assert body["openrouter_metadata"]["attempts"] == [
        {"provider": "Alpha", "model": "acme/chat", "status": 503},
        {"provider": "Beta", "model": "acme/chat", "status": 200},
    ]
    assert body["openrouter_metadata"]["attempt"] == 2


def test_no_trail_without_opting_in() -> None:
    sim = Simulator(make_catalog(), seed=1)
    with client_for(sim) as client:
        body = client.post("/chat/completions", json=request_body(**ORDERED)).json()
    assert "openrouter_metadata" not in body


def test_streams_carry_the_trail_on_the_final_chunk() -> None:
    sim = Simulator(make_catalog(), faults=[OutageFault(provider="alpha")], seed=1)
    with client_for(sim) as client:
        text = client.post("/chat/completions", json=request_body(stream=True, **ORDERED), headers=OPT_IN).text
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    with_trail = [e for e in events if "openrouter_metadata" in e]
    assert with_trail == [events[-1]]
    assert [a["status"] for a in with_trail[0]["openrouter_metadata"]["attempts"]] == [502, 200]


def test_errors_carry_the_trail_too() -> None:
    sim = Simulator(make_catalog(), faults=[OutageFault(model="acme/chat")], seed=1)
    with client_for(sim) as client:
        response = client.post(
            "/chat/completions",
            json=request_body(provider={"order": ["alpha", "beta"], "allow_fallbacks": False}),
            headers=OPT_IN,
        )
    assert response.status_code == 502
    assert [a["provider"] for a in response.json()["openrouter_metadata"]["attempts"]] == ["Alpha", "Beta"]
