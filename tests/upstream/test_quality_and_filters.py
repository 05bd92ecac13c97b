"""``sort: exacto`` / ``:exacto`` (tool-call quality first), ``enforce_distillable_text``,
``max_price.image|audio`` and the 404 each routing filter answers with, in process and
over HTTP through ``orcli mock serve``."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from orcli.catalog import default_catalog
from orcli.catalog.model import Catalog
from orcli.policy.model import Workflow
from orcli.routing.plan import RouteRequest, plan_route
from orcli.routing.rules import ProviderRules
from orcli.upstream.server import serve_in_thread
from orcli.upstream.simulator import Simulator
from tests.upstream.support import CATALOG_DATA, as_json, request_body, user

KEY = {"Authorization": "Bearer sk-or-v1-simulated-test-key"}


def rated_catalog(**changes: Any) -> Catalog:
    """The test catalog with tool-call error rates: Gamma best, Alpha next, Beta unmeasured."""
    data = copy.deepcopy(CATALOG_DATA)
    chat = data["models"][0]
    rates = {"alpha": 0.05, "gamma": 0.01}
    for ep in chat["endpoints"]:
        ep["tool_call_error_rate"] = rates.get(ep["tag"])
        ep["pricing"].update(changes.get(ep["tag"], {}))
    chat["distillable"] = changes.get("distillable", False)
    return Catalog.model_validate(data)


def order(catalog: Catalog, model: str = "acme/chat", **provider: Any) -> list[str]:
    plan = plan_route(RouteRequest((model,), ProviderRules.model_validate(provider)), catalog)
    return [candidate.endpoint.tag for _, candidate in plan.attempts]


def test_exacto_puts_the_lowest_tool_call_error_rate_first_and_unmeasured_last() -> None:
    catalog = rated_catalog()
    by_quality = order(catalog, sort="exacto")
    assert by_quality == ["gamma", "alpha", "beta"]  # tier endpoints need their own slug, as ever
    assert order(catalog, "acme/chat:exacto") == by_quality  # the variant is the same sort


def test_exacto_is_served_in_process_by_the_best_endpoint() -> None:
    reply = Simulator(rated_catalog()).chat(request_body(provider={"sort": "exacto"}))
    assert reply.status == 200 and as_json(reply)["provider"] == "Gamma"
    variant = Simulator(rated_catalog()).chat(request_body(model="acme/chat:exacto"))
    assert variant.status == 200 and as_json(variant)["provider"] == "Gamma"


def test_enforce_distillable_text_keeps_only_models_whose_author_allows_it() -> None:
    refused = Simulator(rated_catalog()).chat(request_body(provider={"enforce_distillable_text": True}))
    assert refused.status == 404
    error = as_json(refused)["error"]
    assert error["message"].startswith("No endpoints found for acme/chat that allow distillation")
    assert error["metadata"]["excluded_by"] == ["distillable"]
    allowed = Simulator(rated_catalog(distillable=True)).chat(request_body(provider={"enforce_distillable_text": True}))
    assert allowed.status == 200


def test_max_price_image_and_audio_exclude_dearer_endpoints() -> None:
    catalog = rated_catalog(alpha={"image": "0.004"}, gamma={"audio": "0.00002"})
    assert "alpha" not in order(catalog, max_price={"image": "0.001"})
    assert "gamma" not in order(catalog, max_price={"audio": 10})  # $20/M audio tokens > $10/M
    assert order(catalog, max_price={"image": 1, "audio": 100}) == order(catalog)  # under both ceilings
    reply = Simulator(catalog).chat(request_body(provider={"only": ["alpha"], "max_price": {"image": 0.001}}))
    assert reply.status == 404
    assert as_json(reply)["error"]["metadata"]["excluded_by"] == ["max_price"]


def test_an_emptying_ignore_says_ignore_not_only() -> None:
    catalog = rated_catalog()
    every = sorted({ep.provider_slug for ep in catalog.models[0].endpoints})
    reply = Simulator(catalog).chat(request_body(provider={"ignore": every}))
    assert reply.status == 404
    message = as_json(reply)["error"]["message"]
    assert f"your request's provider.ignore preference excludes: {', '.join(every)}." in message
    assert "permits only: none" not in message and "provider.only" not in message


def test_an_order_without_fallbacks_names_the_order() -> None:
    reply = Simulator(rated_catalog()).chat(
        request_body(provider={"order": ["nobody"], "allow_fallbacks": False, "only": []})
    )
    assert reply.status == 404
    assert (
        "provider.order preference with allow_fallbacks false permits only: nobody."
        in (as_json(reply)["error"]["message"])
    )


def test_policies_accept_the_new_fields() -> None:
    workflow = Workflow.model_validate(
        {
            "models": {"primary": "qwen/qwen3-coder"},
            "provider": {
                "sort": "exacto",
                "enforce_distillable_text": True,
                "max_price": {"prompt": 2, "image": "0.01", "audio": 5},
            },
        }
    )
    assert workflow.provider.max_price is not None and str(workflow.provider.max_price.image) == "0.01"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(Simulator(default_catalog(), seed=3), time_scale=0) as url:
        yield url


def test_exacto_over_http_picks_the_embedded_catalogs_best_tool_caller(base_url: str) -> None:
    best = min(
        (ep for ep in default_catalog().get("qwen/qwen3-coder").endpoints if ep.tool_call_error_rate is not None),  # type: ignore[union-attr]
        key=lambda ep: ep.tool_call_error_rate or 0.0,
    )
    for body in (
        {"model": "qwen/qwen3-coder", "provider": {"sort": "exacto"}},
        {"model": "qwen/qwen3-coder:exacto"},
    ):
        response = httpx.post(f"{base_url}/chat/completions", headers=KEY, json={**body, "messages": user()})
        assert response.status_code == 200
        assert response.json()["provider"] == best.provider_name


def test_filters_over_http(base_url: str) -> None:
    def post(provider: dict[str, Any], model: str = "openai/gpt-4o") -> httpx.Response:
        return httpx.post(
            f"{base_url}/chat/completions", headers=KEY, json={"model": model, "messages": user(), "provider": provider}
        )

    closed = post({"enforce_distillable_text": True})
    assert closed.status_code == 404 and "allow distillation" in closed.json()["error"]["message"]
    assert post({"enforce_distillable_text": True}, model="qwen/qwen3-coder").status_code == 200
    assert post({"max_price": {"image": 1, "audio": 1000}}).status_code == 200
    ignored = post({"ignore": ["openai", "azure"]})
    assert ignored.status_code == 404
    assert "provider.ignore preference excludes: openai, azure." in ignored.json()["error"]["message"]
