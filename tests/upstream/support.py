"""A small catalog whose prices and speeds make every routing rule visible, and helpers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from orcli.catalog.model import Catalog
from orcli.clock import VirtualClock
from orcli.openrouter import BASE_URL
from orcli.upstream.records import Reply
from orcli.upstream.simulator import Simulator
from orcli.upstream.transport import SimulatorTransport

TOOLS_AND_JSON = ["max_tokens", "tools", "tool_choice", "response_format", "structured_outputs", "temperature"]


def _endpoint(name: str, tag: str, per_million: float, **extra: Any) -> dict[str, Any]:
    price = f"{per_million / 1_000_000:.12f}".rstrip("0")
    latency = extra.pop("latency_s", 0.5)
    throughput = extra.pop("tokens_per_s", 50.0)
    return {
        "provider_name": name,
        "tag": tag,
        "context_length": extra.pop("context_length", 100_000),
        "max_completion_tokens": extra.pop("max_completion_tokens", 8_000),
        "pricing": {"prompt": price, "completion": price},
        "supported_parameters": extra.pop("params", TOOLS_AND_JSON),
        "latency_last_30m": {"p50": latency, "p75": latency * 1.2, "p90": latency * 1.5, "p99": latency * 2},
        "throughput_last_30m": {
            "p50": throughput,
            "p75": throughput * 0.9,
            "p90": throughput * 0.8,
            "p99": throughput * 0.6,
        },
        **extra,
    }


CATALOG_DATA = {
    "models": [
        {
            "id": "acme/chat",
            "name": "Acme Chat",
            "context_length": 100_000,
            "endpoints": [
                _endpoint("Alpha", "alpha", 1.0, quantization="fp8", latency_s=0.5, tokens_per_s=50),
                _endpoint(
                    "Beta",
                    "beta",
                    2.0,
                    quantization="fp16",
                    latency_s=0.2,
                    tokens_per_s=100,
                    params=["max_tokens", "tools", "tool_choice", "temperature"],
                    data_policy={"training": True},
                ),
                _endpoint(
                    "Gamma",
                    "gamma",
                    3.0,
                    quantization="bf16",
                    latency_s=0.3,
                    tokens_per_s=200,
                    params=["max_tokens", "temperature"],
                    data_policy={"zdr": True},
                ),
                _endpoint("Alpha", "alpha/priority", 4.0, tier="priority", latency_s=0.1, tokens_per_s=400),
                _endpoint("Beta", "beta/flex", 0.5, tier="flex", latency_s=2.0, tokens_per_s=20),
            ],
        },
        {
            "id": "acme/backup",
            "name": "Acme Backup",
            "context_length": 100_000,
            "endpoints": [
                _endpoint("Delta", "delta", 1.0, params=["max_tokens", "temperature"]),
                _endpoint("Epsilon", "epsilon", 2.0, params=["max_tokens", "temperature"]),
            ],
        },
        {
            "id": "acme/keyed",
            "name": "Acme Keyed",
            "context_length": 100_000,
            "endpoints": [
                _endpoint("Alpha", "alpha", 1.0),
                _endpoint("Beta", "beta", 2.0, is_byok=True),
            ],
        },
        {
            "id": "acme/small",
            "name": "Acme Small",
            "context_length": 2_000,
            "endpoints": [_endpoint("Alpha", "alpha", 1.0, context_length=2_000, max_completion_tokens=500)],
        },
    ]
}


def make_catalog() -> Catalog:
    return Catalog.model_validate(CATALOG_DATA)


def user(text: str = "Hello there") -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def request_body(model: str = "acme/chat", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": user(), **extra}


def as_json(reply: Reply) -> Any:
    return json.loads(reply.body)


def served(sim: Simulator) -> list[str]:
    """Endpoint tags of every attempt, in order."""
    return [a.endpoint for a in sim.log]


def client_for(sim: Simulator, clock: VirtualClock | None = None, **kwargs: Any) -> httpx.Client:
    transport = SimulatorTransport(sim, clock or VirtualClock())
    return httpx.Client(
        transport=transport, base_url=BASE_URL, headers={"Authorization": "Bearer sk-or-v1-test"}, **kwargs
    )
