"""Response caching (``X-OpenRouter-Cache``), in process and over HTTP through ``orcli mock serve``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orcli.catalog.model import Catalog
from orcli.clock import VirtualClock
from orcli.upstream.faults import OutageFault
from orcli.upstream.server import serve_in_thread
from orcli.upstream.simulator import Simulator
from tests.upstream.support import client_for, make_catalog, request_body

CACHE = {"X-OpenRouter-Cache": "true"}


def test_an_identical_request_within_the_ttl_is_a_hit_with_zero_usage(catalog: Catalog) -> None:
    sim = Simulator(catalog, seed=4)
    clock = VirtualClock()
    with client_for(sim, clock) as client:
        first = client.post("/chat/completions", json=request_body(), headers=CACHE)
        clock.advance(30)
        second = client.post("/chat/completions", json=request_body(), headers=CACHE)
        generation = client.get("/generation", params={"id": second.json()["id"]}).json()["data"]
    assert first.headers["x-openrouter-cache-status"] == "MISS"
    assert second.headers["x-openrouter-cache-status"] == "HIT"
    age = int(second.headers["x-openrouter-cache-age"])
    assert age == 30
    assert second.headers["x-openrouter-cache-source-id"] == first.json()["id"]
    hit, miss = second.json(), first.json()
    assert hit["id"] != miss["id"] and second.headers["x-generation-id"] == hit["id"]
    assert hit["choices"] == miss["choices"] and hit["provider"] == miss["provider"]
    assert hit["usage"]["cost"] == 0 and hit["usage"]["total_tokens"] == 0 and miss["usage"]["cost"] > 0
    assert generation["total_cost"] == 0 and generation["provider_responses"] == []
    assert len(sim.log) == 1  # the hit tried no provider
    assert [r.outcome for r in sim.requests] == ["ok", "cache_hit"]


def test_a_hit_is_served_while_the_provider_is_down(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    clock = VirtualClock()
    with client_for(sim, clock) as client:
        assert client.post("/chat/completions", json=request_body(), headers=CACHE).status_code == 200
        sim.add_fault(OutageFault())
        clock.advance(5)
        hit = client.post("/chat/completions", json=request_body(), headers=CACHE)
        uncached = client.post("/chat/completions", json=request_body())
    assert hit.status_code == 200 and hit.headers["x-openrouter-cache-status"] == "HIT"
    assert uncached.status_code == 502 and "x-openrouter-cache-status" not in uncached.headers


def test_ttl_clear_errors_streams_and_keys(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    clock = VirtualClock()
    short = {**CACHE, "X-OpenRouter-Cache-TTL": "10"}
    with client_for(sim, clock) as client:
        client.post("/chat/completions", json=request_body(), headers=short)
        clock.advance(20)
        assert (
            client.post("/chat/completions", json=request_body(), headers=short).headers["x-openrouter-cache-status"]
            == "MISS"
        )  # expired, stored again
        cleared = client.post(
            "/chat/completions", json=request_body(), headers={**CACHE, "X-OpenRouter-Cache-Clear": "true"}
        )
        assert cleared.headers["x-openrouter-cache-status"] == "MISS"
        assert (
            client.post("/chat/completions", json=request_body(), headers=CACHE).headers["x-openrouter-cache-status"]
            == "HIT"
        )
        other_key = client.post(
            "/chat/completions", json=request_body(), headers={**CACHE, "Authorization": "Bearer sk-or-v1-other"}
        )
        assert other_key.headers["x-openrouter-cache-status"] == "MISS"  # a cache is per key
        different = client.post("/chat/completions", json=request_body(temperature=0.2), headers=CACHE)
        assert different.headers["x-openrouter-cache-status"] == "MISS"
        streamed = client.post("/chat/completions", json=request_body(stream=True), headers=CACHE)
        assert streamed.status_code == 200 and "x-openrouter-cache-status" not in streamed.headers
        sim.add_fault(OutageFault())
        failing = request_body(model="acme/small")
        assert client.post("/chat/completions", json=failing, headers=CACHE).status_code == 502
        sim.clear_faults()
        again = client.post("/chat/completions", json=failing, headers=CACHE)
    assert again.status_code == 200 and again.headers["x-openrouter-cache-status"] == "MISS"  # errors are not stored


def test_without_the_header_nothing_is_cached(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    with client_for(sim) as client:
        answers = [client.post("/chat/completions", json=request_body()) for _ in range(2)]
    assert all("x-openrouter-cache-status" not in a.headers for a in answers)
    assert len(sim.log) == 2


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(Simulator(make_catalog(), seed=2), time_scale=0) as url:
        yield url


def test_cache_over_http(base_url: str) -> None:
    headers = {**CACHE, "Authorization": "Bearer sk-or-v1-simulated-test-key"}
    body = request_body()
    first = httpx.post(f"{base_url}/chat/completions", headers=headers, json=body)
    second = httpx.post(f"{base_url}/chat/completions", headers=headers, json=body)
    assert first.headers["x-openrouter-cache-status"] == "MISS"
    assert second.headers["x-openrouter-cache-status"] == "HIT"
    assert second.headers["x-openrouter-cache-age"] == "0"
    assert second.json()["usage"]["cost"] == 0 and second.json()["id"] != first.json()["id"]
