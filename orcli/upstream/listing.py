"""``GET /models`` and ``GET /models/{author}/{slug}/endpoints`` rendered from the catalog."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orcli.catalog.model import Catalog, Endpoint, Model, Percentiles

ARCHITECTURE = {
    "modality": "text->text",
    "input_modalities": ["text"],
    "output_modalities": ["text"],
    "tokenizer": "Other",
    "instruct_type": None,
}


def _price(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pricing(ep: Endpoint) -> dict[str, str]:
    p = ep.pricing
    prices = {"prompt": _price(p.prompt), "completion": _price(p.completion), "request": _price(p.request)}
    prices["image"] = _price(p.image)
    if p.audio:
        prices["audio"] = _price(p.audio)
    return prices


def _percentiles(p: Percentiles) -> dict[str, float]:
    return {"p50": p.p50, "p75": p.p75, "p90": p.p90, "p99": p.p99}


def model_json(model: Model, created: int) -> dict[str, Any]:
    top = model.top_endpoint
    params = sorted(set().union(*(ep.supported_parameters for ep in model.endpoints)))
    return {
        "id": model.id,
        "canonical_slug": model.id,
        "name": model.name,
        "created": created,
        "description": f"{model.name} (simulated)",
        "context_length": model.context_length,
        "architecture": ARCHITECTURE,
        "pricing": _pricing(top),
        "top_provider": {
            "context_length": top.context_length,
            "max_completion_tokens": top.max_completion_tokens,
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": params,
        "default_parameters": None,
        "expiration_date": None,
        "links": {"details": f"/api/v1/models/{model.id}/endpoints"},
    }


def models_json(catalog: Catalog, created: int, supported_parameters: str | None = None) -> dict[str, Any]:
    wanted = {p.strip() for p in (supported_parameters or "").split(",") if p.strip()}
    data = [
        model_json(m, created)
        for m in catalog.models
        if not wanted or wanted <= set().union(*(ep.supported_parameters for ep in m.endpoints))
    ]
    return {"data": data, "total_count": len(data), "links": {"next": None}}


def endpoint_json(model: Model, ep: Endpoint) -> dict[str, Any]:
    return {
        "name": f"{ep.provider_name}: {model.name}",
        "model_id": model.id,
        "model_name": model.name,
        "provider_name": ep.provider_name,
        "tag": ep.tag,
        "context_length": ep.context_length,
        "max_completion_tokens": ep.max_completion_tokens,
        "max_prompt_tokens": ep.context_length,
        "quantization": ep.quantization,
        "pricing": _pricing(ep),
        "supported_parameters": sorted(ep.supported_parameters),
        "supports_implicit_caching": False,
        "status": 0,
        "uptime_last_5m": ep.uptime_last_30m,
        "uptime_last_30m": ep.uptime_last_30m,
        "uptime_last_1d": ep.uptime_last_30m,
        "latency_last_30m": _percentiles(ep.latency_last_30m),
        "throughput_last_30m": _percentiles(ep.throughput_last_30m),
        **({} if ep.tool_call_error_rate is None else {"tool_call_error_rate": ep.tool_call_error_rate}),
    }


def endpoints_json(model: Model, created: int) -> dict[str, Any]:
    return {
        "data": {
            "id": model.id,
            "name": model.name,
            "created": created,
            "description": f"{model.name} (simulated)",
            "architecture": ARCHITECTURE,
            "endpoints": [endpoint_json(model, ep) for ep in model.endpoints],
        }
    }
