"""``orcli catalog pull``: /models + /endpoints into a catalog file, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner

from orcli.catalog.load import default_catalog, load_catalog
from orcli.cli.app import app
from orcli.client.keys import ApiKey
from orcli.clock import VirtualClock
from orcli.errors import UpstreamError
from orcli.live.api import ApiReader
from orcli.live.pull import PLACEHOLDER_LATENCY_S, endpoint_from_api, model_from_api, pull_catalog
from orcli.upstream import Simulator
from orcli.upstream.transport import SimulatorTransport

from .conftest import API, CANARY_KEY

runner = CliRunner()
ROOT = Path(__file__).parent.parent.parent
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def listed(model_id: str, name: str) -> dict[str, Any]:
    return {
        "id": model_id,
        "name": name,
        "context_length": 128000,
        "pricing": {"prompt": "0.00000015", "completion": "0.0000006"},
        "supported_parameters": ["tools", "max_tokens"],
    }


def endpoint(provider: str, tag: str, **extra: Any) -> dict[str, Any]:
    return {
        "provider_name": provider,
        "tag": tag,
        "context_length": 128000,
        "max_completion_tokens": 16384,
        "quantization": "fp16",
        "pricing": {"prompt": "0.00000015", "completion": "0.0000006", "request": "0"},
        "supported_parameters": ["tools", "tool_choice", "max_tokens", "response_format"],
        "status": 0,
        "uptime_last_30m": 99.5,
        "latency_last_30m": {"p50": 0.4, "p75": 0.6, "p90": 0.9, "p99": 1.8},
        "throughput_last_30m": {"p50": 80, "p75": 70, "p90": 50, "p99": 20},
        **extra,
    }


MODELS = {
    "data": [
        listed("openai/gpt-4o-mini", "GPT-4o mini"),
        listed("anthropic/claude-haiku-4.5", "Claude Haiku 4.5"),
        listed("openai/gpt-4o", "GPT-4o"),
    ],
    "links": {"next": None},
}
ENDPOINTS = {
    "openai/gpt-4o-mini": [endpoint("OpenAI", "openai"), endpoint("Azure", "azure")],
    "anthropic/claude-haiku-4.5": [endpoint("Anthropic", "anthropic"), endpoint("Amazon Bedrock", "amazon-bedrock")],
    "openai/gpt-4o": [endpoint("OpenAI", "openai")],
}


def mock_api(router: respx.MockRouter, broken: str | None = None) -> dict[str, respx.Route]:
    routes = {"models": router.get(f"{API}/models").mock(return_value=httpx.Response(200, json=MODELS))}
    router.get(f"{API}/endpoints/zdr").mock(
        return_value=httpx.Response(200, json={"data": [{"model_id": "openai/gpt-4o-mini", "tag": "azure"}]})
    )
    for model_id, endpoints in ENDPOINTS.items():
        body = {"data": {"id": model_id, "endpoints": endpoints}}
        response = (
            httpx.Response(404, json={"error": {"code": 404, "message": "Model not found"}})
            if model_id == broken
            else httpx.Response(200, json=body)
        )
        routes[model_id] = router.get(f"{API}/models/{model_id}/endpoints").mock(return_value=response)
    return routes


def test_pull_writes_a_catalog_that_validate_explain_and_drill_load(tmp_path: Path, api: respx.MockRouter) -> None:
    routes = mock_api(api)
    out = tmp_path / "catalog.json"
    result = runner.invoke(app, ["catalog", "pull", "-o", str(out), "--model", "openai/gpt-4o-mini"])
    assert result.exit_code == 0, result.stderr
    assert routes["openai/gpt-4o-mini"].call_count == 1
    assert routes["openai/gpt-4o"].call_count == 0  # filtered before any request
    catalog = load_catalog(out)
    assert [m.id for m in catalog.models] == ["openai/gpt-4o-mini"]
    openai, azure = catalog.models[0].endpoints
    assert (openai.tag, openai.provider_name, openai.pricing.prompt) == ("openai", "OpenAI", Decimal("0.00000015"))
    assert openai.data_policy.collects and not openai.data_policy.zdr  # unstated: assumed to collect
    assert azure.data_policy.zdr and not azure.data_policy.collects  # on the ZDR list
    assert catalog.source == f"live openrouter.ai {datetime.now(UTC).date().isoformat()}"
    assert "1 models from https://openrouter.ai/api/v1 written to" in result.stderr

    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nworkflows:\n  chat:\n    models: {primary: openai/gpt-4o-mini}\n")
    assert runner.invoke(app, ["validate", str(policy), "--catalog", str(out)]).exit_code in (0, 1)
    explained = runner.invoke(app, ["explain", str(policy), "--catalog", str(out)])
    assert explained.exit_code == 0 and "Azure" in explained.stdout
    shown = runner.invoke(app, ["catalog", "show", "openai/gpt-4o-mini", "--catalog", str(out)])
    assert shown.exit_code == 0 and "azure" in shown.stdout


def test_limit_and_glob(api: respx.MockRouter) -> None:
    mock_api(api)
    result = runner.invoke(app, ["catalog", "pull", "--model", "openai/*", "--limit", "1"])
    assert result.exit_code == 0, result.stderr
    assert [m["id"] for m in json.loads(result.stdout)["models"]] == ["openai/gpt-4o-mini"]


def test_partial_failure_writes_nothing(tmp_path: Path, api: respx.MockRouter) -> None:
    mock_api(api, broken="anthropic/claude-haiku-4.5")
    out = tmp_path / "catalog.json"
    result = runner.invoke(app, ["catalog", "pull", "-o", str(out)])
    assert result.exit_code == 4  # upstream unusable
    assert result.stderr == (
        "catalog pull: 1 of 3 models could not be read: anthropic/claude-haiku-4.5 (HTTP 404: Model not found); "
        "nothing was written\n"
    )
    assert list(tmp_path.iterdir()) == []  # no file, no temp file


def test_existing_file_is_kept_without_force(tmp_path: Path, api: respx.MockRouter) -> None:
    routes = mock_api(api)
    out = tmp_path / "catalog.json"
    out.write_text("keep me")
    result = runner.invoke(app, ["catalog", "pull", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == f"--output: {out} exists; pass --force to replace it\n"
    assert out.read_text() == "keep me"
    assert routes["models"].call_count == 0
    forced = runner.invoke(app, ["catalog", "pull", "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert len(load_catalog(out).models) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json"]


def test_retries_429_and_5xx_with_backoff(api: respx.MockRouter) -> None:
    mock_api(api)
    api.get(f"{API}/models").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(502),
            httpx.Response(200, json=MODELS),
        ]
    )
    clock = VirtualClock()
    with ApiReader(API, ApiKey(CANARY_KEY), clock=clock) as reader:
        result = pull_catalog(reader, patterns=["openai/gpt-4o"], now=NOW)
    assert clock.now() == 3 + 1.0  # Retry-After, then the second backoff step (0.5 * 2)
    assert [m.id for m in result.catalog.models] == ["openai/gpt-4o"]
    assert result.catalog.generated_at == "2026-03-01T12:00:00+00:00"
    assert api.calls[0].request.headers["authorization"] == f"Bearer {CANARY_KEY}"


def test_gives_up_after_the_last_retry(api: respx.MockRouter) -> None:
    api.get(f"{API}/models").mock(return_value=httpx.Response(503))
    clock = VirtualClock()
    with ApiReader(API, None, clock=clock) as reader, pytest.raises(UpstreamError) as raised:
        pull_catalog(reader, now=NOW)
    assert str(raised.value) == "catalog pull: https://openrouter.ai/api/v1/models: HTTP 503: Service Unavailable"
    assert clock.now() == 0.5 + 1 + 2
    assert "authorization" not in api.calls[0].request.headers  # no key, no header


def test_pull_from_the_simulator_matches_its_catalog() -> None:
    embedded = default_catalog()
    transport = SimulatorTransport(Simulator(embedded))
    with ApiReader(API, None, transport=transport) as reader:
        result = pull_catalog(reader, now=NOW)
    assert [m.id for m in result.catalog.models] == [m.id for m in embedded.models]
    for pulled, original in zip(result.catalog.models, embedded.models, strict=True):
        assert [e.tag for e in pulled.endpoints] == [e.tag for e in original.endpoints]
        assert [e.pricing for e in pulled.endpoints] == [e.pricing for e in original.endpoints]
        assert [e.max_completion_tokens for e in pulled.endpoints] == [
            e.max_completion_tokens for e in original.endpoints
        ]
        # The quality figure sort: exacto ranks by is filled where the API gives one.
        assert [e.tool_call_error_rate for e in pulled.endpoints] == [
            e.tool_call_error_rate for e in original.endpoints
        ]
    assert result.warnings == ("no ZDR list from /endpoints/zdr: no endpoint is marked zero-data-retention",)


def test_mapping_assumptions() -> None:
    raw = endpoint("DeepInfra", "DeepInfra/Turbo", latency_last_30m=None, max_completion_tokens=None)
    mapped = endpoint_from_api(raw, "meta-llama/llama-3.3-70b-instruct", 131072, {})
    assert not isinstance(mapped, str)
    assert mapped.tag == "deepinfra/turbo"
    assert mapped.latency_last_30m == PLACEHOLDER_LATENCY_S
    assert mapped.max_completion_tokens == 128000  # no limit below the context length
    in_ms = endpoint_from_api(
        endpoint("X", "x", latency_last_30m={"p50": 250, "p75": 350, "p90": 480, "p99": 850}), "a/b", None, {}
    )
    assert not isinstance(in_ms, str) and in_ms.latency_last_30m.p50 == 0.25
    priority = endpoint_from_api(endpoint("OpenAI", "openai/priority"), "openai/gpt-4o", None, {})
    assert not isinstance(priority, str) and priority.tier == "priority"
    router = {"id": "openrouter/auto", "name": "Auto"}
    variable = {
        "data": {"endpoints": [endpoint("OpenRouter", "openrouter", pricing={"prompt": "-1", "completion": "-1"})]}
    }
    assert model_from_api(router, variable) == "no usable endpoint (openrouter: variable pricing (negative price))"
