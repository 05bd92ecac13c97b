"""The JSON bodies of a served request: the chat completion, its usage and cost, and the
``/generation`` record with the attempt trail."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orcli.catalog.model import Endpoint
from orcli.ids import base_model
from orcli.upstream.content import Completion
from orcli.upstream.records import AttemptRecord

BYOK_FEE = Decimal("0.05")  # BYOK requests cost 5% of the normal price (after the free allowance)


def cost(ep: Endpoint, prompt_tokens: int, completion_tokens: int) -> tuple[Decimal, Decimal | None]:
    """What the request is billed, and for BYOK what the provider charges the key's owner."""
    price = ep.pricing.cost(prompt_tokens, completion_tokens)
    if ep.is_byok:
        return price * BYOK_FEE, price
    return price, None


def insured(completion_tokens: int, finish_reason: str | None) -> bool:
    """Zero-completion insurance: no charge for an answer without a single completion token
    whose finish reason is null, blank or ``error`` (OpenRouter's documented condition; a
    finish of ``error`` after some tokens is billed for those tokens)."""
    return completion_tokens == 0 and finish_reason in (None, "", "error")


def usage(
    prompt_tokens: int, completion_tokens: int, ep: Endpoint, finish_reason: str | None = "stop"
) -> tuple[dict[str, Any], Decimal, Decimal | None]:
    """The ``usage`` object of an answer of ``completion_tokens`` tokens, what it is billed and,
    for BYOK, what the provider charges the key's owner."""
    billed, upstream = cost(ep, prompt_tokens, completion_tokens)
    if insured(completion_tokens, finish_reason):
        billed = Decimal(0)
    body = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cost": float(billed),
        "is_byok": ep.is_byok,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0, "video_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0},
        "cost_details": {
            "upstream_inference_cost": float(upstream) if upstream is not None else None,
            "upstream_inference_prompt_cost": float(ep.pricing.prompt * prompt_tokens) if ep.is_byok else 0,
            "upstream_inference_completions_cost": float(ep.pricing.completion * completion_tokens)
            if ep.is_byok
            else 0,
        },
    }
    return body, billed, upstream


def chat_completion(
    gen_id: str, model_id: str, ep: Endpoint, created: int, completion: Completion, usage_body: dict[str, Any]
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": completion.content, "refusal": None, "reasoning": None}
    if completion.tool_calls:
        message["tool_calls"] = [
            {"type": "function", "index": i, "id": c.id, "function": {"name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(completion.tool_calls)
        ]
    choice = {
        "index": 0,
        "logprobs": None,
        "finish_reason": completion.finish_reason,
        "native_finish_reason": completion.native_finish_reason(ep.provider_slug),
        "message": message,
    }
    return {
        "id": gen_id,
        "provider": ep.provider_name,
        "model": model_id,
        "object": "chat.completion",
        "created": created,
        "system_fingerprint": None,
        "choices": [choice],
        "usage": usage_body,
    }


def chunk_head(gen_id: str, model_id: str, ep: Endpoint, created: int) -> dict[str, Any]:
    return {
        "id": gen_id,
        "provider": ep.provider_name,
        "model": model_id,
        "object": "chat.completion.chunk",
        "created": created,
    }


def provider_responses(attempts: list[AttemptRecord]) -> list[dict[str, Any]]:
    """The ``/generation`` trail: one entry per provider attempt."""
    return [
        {
            "provider_name": a.provider,
            "model_permaslug": base_model(a.model),
            "status": a.status,
            "latency": None if math.isinf(a.latency_s) else round(a.latency_s * 1000),
            "is_byok": a.is_byok,
            "endpoint_id": f"{a.model.split(':', 1)[0]}@{a.endpoint}",
            "id": f"{a.generation_id}-{a.attempt}",
        }
        for a in attempts
    ]


def generation(
    *,
    gen_id: str,
    created_at_s: float,
    model_id: str,
    ep: Endpoint | None,
    streamed: bool,
    latency_s: float,
    generation_s: float,
    prompt_tokens: int,
    completion_tokens: int,
    finish_reason: str | None,
    native_finish_reason: str | None,
    billed: Decimal,
    upstream: Decimal | None,
    attempts: list[AttemptRecord],
) -> dict[str, Any]:
    return {
        "id": gen_id,
        "upstream_id": f"chatcmpl-{gen_id[-20:]}" if ep is not None else None,
        "model": model_id,
        "provider_name": ep.provider_name if ep is not None else None,
        "streamed": streamed,
        "cancelled": False,
        "created_at": datetime.fromtimestamp(created_at_s, UTC).isoformat().replace("+00:00", "Z"),
        "latency": None if math.isinf(latency_s) else round(latency_s * 1000),
        "generation_time": round(generation_s * 1000),
        "finish_reason": finish_reason,
        "native_finish_reason": native_finish_reason,
        "tokens_prompt": prompt_tokens,
        "tokens_completion": completion_tokens,
        "native_tokens_prompt": prompt_tokens,
        "native_tokens_completion": completion_tokens,
        "native_tokens_reasoning": 0,
        "native_tokens_cached": 0,
        "total_cost": float(billed),
        "upstream_inference_cost": float(upstream) if upstream is not None else None,
        "is_byok": ep.is_byok if ep is not None else False,
        "provider_responses": provider_responses(attempts),
    }
