"""``budget``: a spent key, guardrail or workspace budget answers 403 before routing (not the
402 of ``billing``), and ``GET /key`` shows the key's limit reached while one is in force."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orcli.catalog.model import Catalog
from orcli.client.classify import classify_http_error
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.openrouter import BASE_URL
from orcli.policy.model import ErrorClass, Workflow
from orcli.upstream.faults import BillingFault, BudgetFault, FaultSpec
from orcli.upstream.simulator import Simulator
from orcli.upstream.transport import SimulatorTransport
from tests.upstream.support import client_for, request_body


def post(sim: Simulator) -> httpx.Response:
    with client_for(sim) as client:
        return client.post("/chat/completions", json=request_body())


def key_data(sim: Simulator) -> dict[str, Any]:
    with client_for(sim) as client:
        data: dict[str, Any] = client.get("/key").json()["data"]
    return data


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (BudgetFault(), "API key budget limit exceeded (monthly limit)"),
        (BudgetFault(scope="key", period="daily"), "API key budget limit exceeded (daily limit)"),
        (BudgetFault(scope="workspace", limit_usd=500), "Workspace monthly budget of $500.00 exceeded"),
        (
            BudgetFault(scope="guardrail", limit_usd=1250, period="weekly"),
            "Guardrail weekly budget of $1,250.00 exceeded",
        ),
        (BudgetFault(message="Key limit hit: budget spent"), "Key limit hit: budget spent"),
    ],
)
def test_a_spent_budget_is_a_403_before_routing(catalog: Catalog, fault: FaultSpec, message: str) -> None:
    sim = Simulator(catalog, [fault])
    response = post(sim)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": 403,
        "message": message,
        "metadata": {"error_type": "permission_denied"},
    }
    assert sim.log == ()  # refused before any provider was tried
    assert [f.kind for f in sim.firings] == ["budget"]
    failure = classify_http_error(response.status_code, response.json())
    assert failure.error_class is ErrorClass.SPEND_LIMIT


def test_billing_stays_a_402_and_its_own_class(catalog: Catalog) -> None:
    response = post(Simulator(catalog, [BillingFault()]))
    assert response.status_code == 402
    assert classify_http_error(402, response.json()).error_class is ErrorClass.BILLING


def test_key_shows_the_limit_reached_only_while_a_key_budget_is_in_force(catalog: Catalog) -> None:
    clock = VirtualClock()
    sim = Simulator(catalog, [BudgetFault(limit_usd=25, period="weekly", start_s=10, end_s=20)])
    with client_for(sim, clock) as client:
        before = client.get("/key").json()["data"]
        assert (before["limit"], before["limit_remaining"], before["limit_reset"]) == (None, None, None)
        clock.advance(12)
        during = client.get("/key").json()["data"]
        assert (during["limit"], during["limit_remaining"], during["limit_reset"]) == (25, 0.0, "weekly")
        assert client.post("/chat/completions", json=request_body()).status_code == 403
        clock.advance(10)
        assert client.get("/key").json()["data"]["limit_remaining"] is None
        assert client.post("/chat/completions", json=request_body()).status_code == 200


def test_key_shows_no_limit_once_a_first_n_budget_is_used_up(catalog: Catalog) -> None:
    sim = Simulator(catalog, [BudgetFault(first=1)])
    assert key_data(sim)["limit_remaining"] == 0.0
    assert post(sim).status_code == 403
    assert key_data(sim)["limit_remaining"] is None
    assert post(sim).status_code == 200


def test_workspace_and_guardrail_budgets_are_not_the_keys_limit(catalog: Catalog) -> None:
    sim = Simulator(catalog, [BudgetFault(scope="workspace"), BudgetFault(scope="guardrail")])
    assert key_data(sim)["limit"] is None
    assert post(sim).status_code == 403


def test_the_client_stops_and_alerts_on_a_spent_budget_without_fallback(catalog: Catalog) -> None:
    clock = VirtualClock()
    sim = Simulator(catalog, [BudgetFault(scope="workspace", limit_usd=500)])
    wf = Workflow.model_validate(
        {
            "models": {"primary": "acme/chat", "fallbacks": ["acme/backup"]},
            "degradation": {"mode": "fail_safe", "user_message": "Paused: the budget is spent."},
            "app_fallback": {"mode": "client"},
        }
    )
    transport = SimulatorTransport(sim, clock)
    client = Client(wf, api_key="sk-or-v1-test", base_url=BASE_URL, transport=transport, clock=clock)
    result = client.chat([{"role": "user", "content": "hello"}])
    assert not result.ok and result.error_class is ErrorClass.SPEND_LIMIT
    assert len(sim.requests) == 1  # no retry, no fallback model
    assert result.alerts == ("spend_limit: 403 permission_denied: Workspace monthly budget of $500.00 exceeded",)
    assert result.fail_safe_message == "Paused: the budget is spent."


@pytest.mark.parametrize("action", ["retry", "fallback"])
def test_a_policy_cannot_retry_or_fall_back_on_a_spent_budget(action: str) -> None:
    with pytest.raises(ValueError, match="spend_limit can only stop"):
        Workflow.model_validate({"models": {"primary": "acme/chat"}, "retry": {"on": {"spend_limit": action}}})
    stop = Workflow.model_validate({"models": {"primary": "acme/chat"}, "retry": {"on": {"spend_limit": "stop"}}})
    assert stop.retry.action(ErrorClass.SPEND_LIMIT) == "stop"
