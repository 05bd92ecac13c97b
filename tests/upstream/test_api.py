"""The read endpoints: models, endpoints, generation (with the attempt trail) and key."""

from __future__ import annotations

from orcli.catalog.model import Catalog
from orcli.upstream.faults import OutageFault, RateLimitFault
from orcli.upstream.simulator import Simulator
from tests.upstream.support import client_for, request_body


def test_models_listing_from_the_catalog(catalog: Catalog) -> None:
    with client_for(Simulator(catalog)) as client:
        data = client.get("/models").json()
        filtered = client.get("/models", params={"supported_parameters": "tools,response_format"}).json()
    assert [m["id"] for m in data["data"]] == ["acme/chat", "acme/backup", "acme/keyed", "acme/small"]
    assert data["total_count"] == 4
    chat = data["data"][0]
    assert chat["pricing"]["prompt"] == "0.000001"
    assert chat["links"]["details"] == "/api/v1/models/acme/chat/endpoints"
    assert [m["id"] for m in filtered["data"]] == ["acme/chat", "acme/keyed", "acme/small"]


def test_model_endpoints(catalog: Catalog) -> None:
    with client_for(Simulator(catalog)) as client:
        data = client.get("/models/acme/chat/endpoints").json()["data"]
        missing = client.get("/models/acme/none/endpoints")
    assert [(e["tag"], e["provider_name"]) for e in data["endpoints"]][:3] == [
        ("alpha", "Alpha"),
        ("beta", "Beta"),
        ("gamma", "Gamma"),
    ]
    assert data["endpoints"][1]["quantization"] == "fp16"
    assert missing.status_code == 404


def test_generation_returns_the_attempt_trail(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault(provider="alpha", status=503), RateLimitFault(provider="beta")])
    with client_for(sim) as client:
        response = client.post("/chat/completions", json=request_body(provider={"sort": "price"}))
        gen_id = response.headers["x-generation-id"]
        assert response.json()["id"] == gen_id
        data = client.get("/generation", params={"id": gen_id}).json()["data"]
        unknown = client.get("/generation", params={"id": "gen-0-nothing"})
    assert data["provider_name"] == "Gamma"
    assert data["total_cost"] == response.json()["usage"]["cost"]
    assert [(p["provider_name"], p["status"]) for p in data["provider_responses"]] == [
        ("Alpha", 503),
        ("Beta", 429),
        ("Gamma", 200),
    ]
    assert data["latency"] > data["generation_time"] > 0
    assert unknown.status_code == 404


def test_failed_requests_have_a_generation_too(catalog: Catalog) -> None:
    sim = Simulator(catalog, [OutageFault()])
    with client_for(sim) as client:
        response = client.post("/chat/completions", json=request_body(provider={"only": ["gamma"]}))
        data = client.get("/generation", params={"id": response.headers["x-generation-id"]}).json()["data"]
    assert response.status_code == 502
    assert data["finish_reason"] == "error" and data["total_cost"] == 0
    assert [p["status"] for p in data["provider_responses"]] == [502]


def test_key_reports_usage_and_never_the_key(catalog: Catalog) -> None:
    sim = Simulator(catalog)
    with client_for(sim) as client:
        cost = client.post("/chat/completions", json=request_body()).json()["usage"]["cost"]
        key = client.get("/key")
    assert key.json()["data"]["usage"] == cost
    assert "sk-or-v1-test" not in key.text
    assert "sk-or-v1-test" not in repr(sim.requests) + repr(sim.log)


def test_key_and_generation_need_auth(catalog: Catalog) -> None:
    with client_for(Simulator(catalog)) as client:
        del client.headers["Authorization"]
        assert client.get("/key").status_code == 401
        assert client.get("/models").status_code == 200  # the model list is public
