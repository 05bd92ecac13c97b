"""What each fault kind does, as pure functions of the fault and where it hit.

The simulator asks the fault engine which faults fire at each stage; this module turns
a fired fault into its effect: an OpenRouter error (request stage), a provider attempt's
error and duration (attempt stage), or a changed response or stream (response stage).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from typing import Any

from orcli.catalog.model import Endpoint
from orcli.upstream import content, schema_values, sse
from orcli.upstream.faults.spec import (
    AuthFault,
    BadRequestFault,
    BillingFault,
    ContextLengthFault,
    FaultSpec,
    InvalidResponseFault,
    MalformedSseFault,
    MalformedToolCallFault,
    MissingDoneFault,
    ModerationFault,
    OutageFault,
    RateLimitFault,
    StreamCutFault,
    StreamErrorFault,
    StreamStallFault,
    TimeoutFault,
)
from orcli.upstream.protocol import ApiError, ChatRequest, dumps

CREDITS_URL = "https://openrouter.ai/settings/credits"
STATUS_ERROR_TYPE = {
    408: "timeout",
    429: "rate_limit_exceeded",
    500: "server",
    502: "provider_unavailable",
    503: "provider_overloaded",
    504: "timeout",
    524: "timeout",
    529: "provider_overloaded",
}
STREAM_KINDS = (StreamCutFault, StreamStallFault, MalformedSseFault, MissingDoneFault, StreamErrorFault)
MODEL_CHECK_S = 0.05  # how long a model-level refusal (context length, moderation) takes


def seconds_header(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


# --- request stage -----------------------------------------------------------------------------


def request_error(fault: FaultSpec, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
    """OpenRouter refusing the request before routing (auth, billing, its own rate limit)."""
    if isinstance(fault, AuthFault):
        return ApiError(401, fault.message or "User not found.", {"error_type": "authentication"})
    if isinstance(fault, BillingFault):
        wanted = chat.max_tokens or max_output_tokens  # without max_tokens the model's maximum is assumed
        message = fault.message or (
            f"This request requires more credits, or fewer max_tokens. You requested up to {wanted} tokens, "
            f"but can only afford {wanted // 7}. To increase, visit {CREDITS_URL} and add more credits"
        )
        return ApiError(402, message, {"error_type": "payment_required", "provider_name": None})
    if isinstance(fault, RateLimitFault):
        headers = [
            ("x-ratelimit-limit", str(fault.limit)),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", str(int((epoch_now_s + fault.reset_s) * 1000))),  # epoch milliseconds
        ]
        if fault.retry_after_s is not None:
            headers.append(("retry-after", seconds_header(fault.retry_after_s)))
        message = fault.message or "Rate limit exceeded: too many requests. Please slow down."
        return ApiError(429, message, {"error_type": "rate_limit_exceeded", "provider_name": None}, tuple(headers))
    raise AssertionError(f"{fault.kind_name} is not a request-stage error")


# --- attempt stage -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptError:
    error: ApiError
    duration_s: float  # how long the failing attempt took
    retry_after_s: float | None = None  # the provider's hint, if it gave one
    outage: bool = False  # counts as an outage for the 30-second health rule


def attempt_error(fault: FaultSpec, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
    """A provider attempt failing (outage, rate limit, timeout) or the model refusing
    (context length, an invalid request, moderation)."""
    provider = {"provider_name": ep.provider_name, "is_byok": ep.is_byok}
    if isinstance(fault, OutageFault):
        raw = dumps({"error": {"message": f"upstream error {fault.status}", "code": fault.status}}).decode()
        meta = {"error_type": STATUS_ERROR_TYPE.get(fault.status, "server"), **provider, "raw": raw}
        return AttemptError(
            ApiError(fault.status, fault.message or "Provider returned error", meta), fault.latency_s, outage=True
        )
    if isinstance(fault, RateLimitFault):
        meta = {
            "error_type": "rate_limit_exceeded",
            **provider,
            "raw": f"{model_id} is temporarily rate-limited upstream. Please retry shortly.",
            "limit_source": "upstream_provider_shared_pool",
        }
        error = ApiError(429, fault.message or "Provider returned error", meta)
        return AttemptError(error, fault.latency_s, retry_after_s=fault.retry_after_s)
    if isinstance(fault, TimeoutFault):
        error = ApiError(408, "Operation timed out. Please try again later.", {"error_type": "timeout", **provider})
        return AttemptError(error, fault.seconds, outage=True)
    if isinstance(fault, ContextLengthFault):
        wanted = max(chat.prompt_tokens + (chat.max_tokens or 0), ep.context_length + 1)
        message = fault.message or (
            f"This endpoint's maximum context length is {ep.context_length} tokens. However, you requested "
            f"about {wanted} tokens. Please reduce the length of the messages or completion."
        )
        return AttemptError(
            ApiError(400, message, {"error_type": "context_length_exceeded", **provider}), MODEL_CHECK_S
        )
    if isinstance(fault, BadRequestFault):
        message = fault.message or f"{model_id} rejected the request as invalid"
        return AttemptError(ApiError(400, message, {"error_type": "invalid_request", **provider}), MODEL_CHECK_S)
    if isinstance(fault, ModerationFault):
        meta = {
            "error_type": "content_policy_violation",
            "reasons": list(fault.reasons),
            "flagged_input": flagged_input(chat),
            "provider_name": ep.provider_name,
            "model_slug": model_id,
        }
        message = fault.message or f"{model_id} requires moderation on {ep.provider_name}. Your input was flagged."
        return AttemptError(ApiError(403, message, meta), MODEL_CHECK_S)
    raise AssertionError(f"{fault.kind_name} is not an attempt-stage error")


def flagged_input(chat: ChatRequest) -> str:
    """The flagged text, at most 100 characters, the middle cut out with an ellipsis."""
    text = ""
    for message in reversed(chat.messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            text = message["content"]
            break
    return text if len(text) <= 100 else text[:49] + "…" + text[-50:]


# --- response stage ----------------------------------------------------------------------------


def response_fault_applies(fault: FaultSpec, chat: ChatRequest, completion: content.Completion) -> bool:
    """Whether a response fault can act on this answer at all (checked before counting)."""
    if isinstance(fault, STREAM_KINDS):
        return chat.stream
    if isinstance(fault, InvalidResponseFault):
        if chat.stream:
            return False
        if fault.mode == "invalid_structured_output":
            return chat.response_format is not None and chat.response_format.type != "text"
        return True
    if isinstance(fault, MalformedToolCallFault):
        if fault.mode == "missing_tool_calls":
            return bool(completion.tool_calls) and chat.tool_choice != "auto"
        return bool(completion.tool_calls)
    return True


def stream_shape(shape: sse.StreamShape, fault: FaultSpec) -> sse.StreamShape:
    if isinstance(fault, StreamCutFault):
        return replace(shape, cut_after=fault.after_tokens)
    if isinstance(fault, StreamStallFault):
        return replace(shape, stall_after=fault.after_tokens, stall_s=fault.seconds)
    if isinstance(fault, MalformedSseFault):
        return replace(shape, malformed_after=fault.after_tokens)
    if isinstance(fault, MissingDoneFault):
        return replace(shape, missing_done=True)
    if isinstance(fault, StreamErrorFault):
        error_type = STATUS_ERROR_TYPE.get(fault.code, "server")
        error = ApiError(fault.code, fault.message or "Provider returned error", {"error_type": error_type})
        return replace(shape, error_after=fault.after_tokens, error=error)
    return shape


def invalid_body(fault: InvalidResponseFault, response: dict[str, Any], chat: ChatRequest) -> bytes:
    """The body of a 200 that is not a usable completion."""
    if fault.mode == "non_json":
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    if fault.mode == "empty_choices":
        return dumps({**response, "choices": []})
    if fault.mode == "error_in_200":
        # Observed in real traffic: HTTP 200 whose body is only an error object.
        metadata = {"raw": "error code: 524", "provider_name": response["provider"]}
        error = {"message": "Provider returned error", "code": 524, "metadata": metadata}
        return dumps({"error": error, "user_id": "user_simulated"})
    choice = dict(response["choices"][0])
    if fault.mode == "choice_error":
        # Documented: a partial message with finish_reason "error" and the error on the choice.
        choice["finish_reason"] = "error"
        choice["error"] = {"code": 502, "message": "Provider returned error", "metadata": {"error_type": "server"}}
        return dumps({**response, "choices": [choice]})
    # invalid_structured_output: content that breaks the requested schema, or is not JSON at all.
    text = choice["message"]["content"] or "{}"
    schema = chat.response_format.schema if chat.response_format is not None else None
    try:
        value = json.loads(text)
    except ValueError:
        value = None  # already cut short by max_tokens
    broken = (
        json.dumps(schema_values.violate(value, schema)) if schema and value is not None else text[: len(text) // 2]
    )
    choice["message"] = {**choice["message"], "content": broken}
    return dumps({**response, "choices": [choice]})


def break_completion(
    completion: content.Completion, fault: MalformedToolCallFault, chat: ChatRequest, rng: random.Random
) -> content.Completion:
    return content.break_tool_call(completion, chat, fault.mode, rng)
