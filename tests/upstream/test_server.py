"""``orcli mock serve`` over real loopback HTTP, with the official ``openai`` package as the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orcli.catalog.model import Catalog
from orcli.cli.app import app
from orcli.upstream.faults import (
    AuthFault,
    BillingFault,
    BudgetFault,
    ConnectionResetFault,
    FaultSpec,
    ModerationFault,
    NoEndpointsFault,
    OutageFault,
    RateLimitFault,
    StreamCutFault,
    StreamErrorFault,
)
from orcli.upstream.server import serve_in_thread
from orcli.upstream.simulator import Simulator
from tests.upstream.support import make_catalog, user

KEY = "sk-or-v1-simulated-test-key"


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(make_catalog(), seed=5)


@pytest.fixture(scope="module")
def base_url(sim: Simulator) -> Iterator[str]:
    with serve_in_thread(sim, time_scale=0) as url:
        yield url


@pytest.fixture
def client(base_url: str, sim: Simulator) -> Iterator[openai.OpenAI]:
    sim.clear_faults()
    with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as c:
        yield c
    sim.clear_faults()


def test_plain_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="acme/chat", messages=user())  # type: ignore[arg-type]
    assert completion.model == "acme/chat"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content
    assert completion.usage is not None and completion.usage.total_tokens > 0
    extra = completion.model_extra or {}
    assert extra["provider"] in ("Alpha", "Beta", "Gamma")


def test_streaming(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="acme/chat", messages=user(), stream=True))  # type: ignore[call-overload]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_tools(client: openai.OpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ]
    completion = client.chat.completions.create(model="acme/chat", messages=user(), tools=tools)  # type: ignore[arg-type]
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert isinstance(json.loads(call.function.arguments)["city"], str)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fault", "exc", "status"),
    [
        (AuthFault(), openai.AuthenticationError, 401),
        (BillingFault(), openai.APIStatusError, 402),
        (BudgetFault(scope="workspace"), openai.PermissionDeniedError, 403),
        (ModerationFault(), openai.PermissionDeniedError, 403),
        (NoEndpointsFault(), openai.NotFoundError, 404),
        (RateLimitFault(scope="openrouter"), openai.RateLimitError, 429),
        (OutageFault(status=502), openai.InternalServerError, 502),
        (OutageFault(status=503), openai.InternalServerError, 503),
    ],
)
def test_error_statuses_raise_the_sdks_exception(
    client: openai.OpenAI, sim: Simulator, fault: FaultSpec, exc: type[openai.APIStatusError], status: int
) -> None:
    sim.add_fault(fault)
    with pytest.raises(exc) as info:
        client.chat.completions.create(model="acme/chat", messages=user())  # type: ignore[arg-type]
    assert info.value.status_code == status


def test_a_spent_key_budget_over_http_is_a_403_and_shows_in_key(base_url: str, sim: Simulator) -> None:
    sim.clear_faults()
    headers = {"Authorization": f"Bearer {KEY}"}
    assert httpx.get(f"{base_url}/key", headers=headers).json()["data"]["limit_remaining"] is None
    added = httpx.post(base_url.replace("/api/v1", "/_orcli/faults"), json={"kind": "budget", "limit_usd": 40})
    assert added.status_code == 201
    try:
        refused = httpx.post(f"{base_url}/chat/completions", headers=headers, json={"messages": user()})
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "API key budget limit exceeded (monthly limit)"
        key = httpx.get(f"{base_url}/key", headers=headers).json()["data"]
        assert (key["limit_remaining"], key["limit_reset"]) == (0.0, "monthly")
        assert key["limit"] >= 40
    finally:
        sim.clear_faults()


def test_bad_request_raises_bad_request_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="acme/none is not a valid model ID"):
        client.chat.completions.create(model="acme/none", messages=user())  # type: ignore[arg-type]


def test_missing_key_is_authentication_error(base_url: str) -> None:
    response = httpx.post(f"{base_url}/chat/completions", json={"messages": user()})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "No auth credentials found"


def test_connection_reset_is_a_connection_error(client: openai.OpenAI, sim: Simulator) -> None:
    sim.add_fault(ConnectionResetFault())
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="acme/chat", messages=user())  # type: ignore[arg-type]


def test_stream_cut_and_in_band_error(client: openai.OpenAI, sim: Simulator) -> None:
    sim.add_fault(StreamCutFault(after_tokens=2, first=1))
    with pytest.raises(openai.APIConnectionError):  # the dropped connection, mid-stream
        list(client.chat.completions.create(model="acme/chat", messages=user(), stream=True))  # type: ignore[call-overload]
    sim.clear_faults()
    sim.add_fault(StreamErrorFault(after_tokens=2, code=502))
    with pytest.raises(openai.APIError, match="Provider returned error"):
        list(client.chat.completions.create(model="acme/chat", messages=user(), stream=True))  # type: ignore[call-overload]


# --- the admin API ----------------------------------------------------------------------------


def test_admin_api_adds_lists_and_clears_faults(base_url: str, sim: Simulator) -> None:
    sim.clear_faults()
    try:
        _exercise_admin(base_url)
    finally:
        sim.clear_faults()


def _exercise_admin(base_url: str) -> None:
    admin = base_url.replace("/api/v1", "/_orcli")
    added = httpx.post(f"{admin}/faults", json={"kind": "outage", "provider": "alpha", "id": "a-down"})
    assert added.status_code == 201 and added.json()["added"][0]["id"] == "a-down"
    batch = httpx.post(f"{admin}/faults", json={"faults": [{"kind": "latency", "add_s": 1}, {"kind": "auth"}]})
    latency, auth = batch.json()["added"]
    assert (latency["kind"], auth["kind"]) == ("latency", "auth")
    assert latency["id"].startswith("latency-") and auth["id"].startswith("auth-")  # default ids
    listed = httpx.get(f"{admin}/faults").json()["faults"]
    assert [f["id"] for f in listed] == ["a-down", latency["id"], auth["id"]]
    assert httpx.delete(f"{admin}/faults/{auth['id']}").json() == {"removed": auth["id"]}
    assert httpx.delete(f"{admin}/faults/{auth['id']}").status_code == 404
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model": "acme/chat", "messages": user(), "provider": {"only": ["alpha"]}}
    assert httpx.post(f"{base_url}/chat/completions", json=body, headers=headers).status_code == 502
    firings = httpx.get(f"{admin}/firings").json()["firings"]
    assert {"a-down", latency["id"]} <= {f["fault_id"] for f in firings}
    log = httpx.get(f"{admin}/log").json()["attempts"]
    assert log[-1]["endpoint"] == "alpha" and log[-1]["status"] == 502
    assert httpx.get(f"{admin}/requests").json()["requests"][-1]["status"] == 502
    assert httpx.delete(f"{admin}/faults").json()["cleared"] == 2
    assert httpx.post(f"{admin}/reset").json() == {"reset": True}
    assert httpx.get(f"{admin}/log").json()["attempts"] == []
    assert KEY not in httpx.get(f"{admin}/requests").text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{oops", "Invalid JSON in request body"),
        (b'{"kind": "outage", "status": 418}', "status: input should be 500, 502, 503, 504, 524 or 529"),
        (b'{"kind": "outage", "bogus": 1}', "bogus: unknown key; expected one of: "),
        (b'{"kind": "outage", "statuss": 503}', "statuss: unknown key; did you mean 'status'?"),
        (b'[{"kind": "auth"}, {"kind": "outge"}]', "[1].kind: unknown kind 'outge'; did you mean 'outage'?"),
        (b'{"kind": "outage", "provider": "alpah"}', "provider: unknown provider 'alpah'; did you mean 'alpha'?"),
        (b'{"kind": "outage", "model": "acme/chatt"}', "model: unknown model 'acme/chatt'; did you mean 'acme/chat'?"),
        (b'{"kind": "outage", "start_s": 1e400}', "start_s: not a finite number"),
        (b'{"kind": "outage", "start_s": NaN}', "Invalid JSON in request body: NaN is not a JSON number"),
        (b'{"kind": "outage", "end_s": Infinity}', "Invalid JSON in request body: Infinity is not a JSON number"),
    ],
)
def test_admin_rejects_bad_fault_specs(base_url: str, body: bytes, message: str) -> None:
    response = httpx.post(base_url.replace("/api/v1", "/_orcli/faults"), content=body)
    assert response.status_code == 400
    text = response.json()["error"]["message"]
    assert text.startswith(message)
    assert "\n" not in text and "pydantic" not in text and "Input should" not in text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["acme/chat", "acme/backup", "x", ""]) | json_values,
        "models": json_values,
        "messages": st.just(user()) | json_values,
        "provider": json_values | st.fixed_dictionaries({}, optional={"sort": json_values, "order": json_values}),
        "tools": json_values,
        "tool_choice": json_values,
        "response_format": json_values,
        "max_tokens": json_values,
        "stream": json_values,
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=request_like)
def test_the_server_never_fails_on_bad_input(base_url: str, sim: Simulator, body: dict[str, Any]) -> None:
    sim.clear_faults()
    response = httpx.post(f"{base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code != 200:
        assert response.json()["error"]["code"] == response.status_code


def test_garbage_bytes_get_a_400(base_url: str) -> None:
    response = httpx.post(f"{base_url}/chat/completions", content=os.urandom(64), headers={"Authorization": "Bearer k"})
    assert response.status_code == 400


# --- the command ------------------------------------------------------------------------------

runner = CliRunner()


def test_refuses_a_non_loopback_host_without_allow_remote() -> None:
    result = runner.invoke(app, ["mock", "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert result.stderr == ("--host 0.0.0.0: not a loopback address; pass --allow-remote to serve other machines\n")


def test_bad_faults_file_is_one_line_with_position(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("faults:\n  - kind: outage\n    stauts: 503\n")
    result = runner.invoke(app, ["mock", "serve", "--faults", str(faults)])
    assert result.exit_code == 2
    assert result.stderr == f"{faults}:3:5: faults[0].stauts: unknown key; did you mean 'status'?\n"


def test_port_in_use_is_a_usage_error() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["mock", "serve", "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"--port {port}: cannot listen on 127.0.0.1:{port}")


def test_serve_command_end_to_end(tmp_path: Path, catalog: Catalog) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("- {kind: outage, provider: alpha, id: alpha-down}\n")
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(catalog.model_dump_json())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    command = [sys.executable, "-m", "orcli", "mock", "serve", "--port", "0", "--seed", "3"]
    command += ["--faults", str(faults), "--catalog", str(catalog_file), "--time-scale", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert "OpenRouter simulator at http://127.0.0.1:" in banner and "1 fault(s)" in banner
        url = banner.split(" at ", 1)[1].split(" ", 1)[0]
        with openai.OpenAI(base_url=url, api_key=KEY, max_retries=0) as client:
            completion = client.chat.completions.create(
                model="acme/chat",
                messages=user(),  # type: ignore[arg-type]
                extra_body={"provider": {"only": ["alpha", "beta"], "sort": "price"}},
            )
        assert (completion.model_extra or {})["provider"] == "Beta"
        firings = httpx.get(url.replace("/api/v1", "/_orcli/firings")).json()["firings"]
        assert [f["fault_id"] for f in firings] == ["alpha-down"]
    finally:
        process.terminate()
        process.wait(timeout=10)
