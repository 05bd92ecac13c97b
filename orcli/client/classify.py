"""Turn whatever the upstream did into one :class:`~orcli.policy.model.ErrorClass`.

Inputs, in the order a request meets them: a transport exception (no response), an
HTTP error status with OpenRouter's envelope ``{"error": {"code", "message",
"metadata": {"error_type", "provider_name", ...}}}``, or a 200 that still carries an
error (top-level ``error``, ``choices[0].error``, ``finish_reason: "error"``, no choices).
The typed ``metadata.error_type`` wins over the status; the message is read only for
the few cases OpenRouter does not type (its 404 routing messages, a spent budget's 403,
OpenAI's quota 429).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from orcli.policy.model import ErrorClass

_DETAIL_MAX = 200

_BY_ERROR_TYPE: dict[str, ErrorClass] = {
    "context_length_exceeded": ErrorClass.CONTEXT_LENGTH,
    "max_tokens_exceeded": ErrorClass.CONTEXT_LENGTH,
    "token_limit_exceeded": ErrorClass.CONTEXT_LENGTH,
    "string_too_long": ErrorClass.CONTEXT_LENGTH,
    "payload_too_large": ErrorClass.CONTEXT_LENGTH,
    "content_policy_violation": ErrorClass.MODERATION,
    "refusal": ErrorClass.MODERATION,
    "invalid_request": ErrorClass.BAD_REQUEST,
    "invalid_prompt": ErrorClass.BAD_REQUEST,
    "invalid_image": ErrorClass.BAD_REQUEST,
    "image_too_large": ErrorClass.BAD_REQUEST,
    "image_too_small": ErrorClass.BAD_REQUEST,
    "unsupported_image_format": ErrorClass.BAD_REQUEST,
    "image_download_failed": ErrorClass.BAD_REQUEST,
    "image_not_found": ErrorClass.BAD_REQUEST,
    "precondition_failed": ErrorClass.BAD_REQUEST,
    "unprocessable": ErrorClass.BAD_REQUEST,
    "authentication": ErrorClass.AUTH,
    "permission_denied": ErrorClass.AUTH,
    "payment_required": ErrorClass.BILLING,
    "insufficient_quota": ErrorClass.BILLING,
    "rate_limit_exceeded": ErrorClass.RATE_LIMIT,
    "not_found": ErrorClass.ROUTING_CONSTRAINT,
    "server": ErrorClass.PROVIDER_FAILURE,
    "server_error": ErrorClass.PROVIDER_FAILURE,
    "unmapped": ErrorClass.PROVIDER_FAILURE,
    "provider_unavailable": ErrorClass.PROVIDER_FAILURE,
    "provider_overloaded": ErrorClass.PROVIDER_FAILURE,
    "timeout": ErrorClass.TIMEOUT,
}

# error.availability.code (OpenRouter's newer availability errors).
_BY_AVAILABILITY: dict[str, ErrorClass] = {
    "model_not_found": ErrorClass.BAD_REQUEST,
    "wrong_endpoint": ErrorClass.BAD_REQUEST,
    "no_endpoints": ErrorClass.ROUTING_CONSTRAINT,
    "model_deprecated": ErrorClass.ROUTING_CONSTRAINT,
    "model_unavailable_upstream": ErrorClass.PROVIDER_FAILURE,
    "privacy_restricted": ErrorClass.ROUTING_CONSTRAINT,
    "constraint_filtered": ErrorClass.ROUTING_CONSTRAINT,
    "free_variant_ended": ErrorClass.ROUTING_CONSTRAINT,
    "region_restricted": ErrorClass.ROUTING_CONSTRAINT,
    "capacity_exhausted": ErrorClass.RATE_LIMIT,
    "temporarily_unavailable": ErrorClass.PROVIDER_FAILURE,
}


@dataclass(frozen=True, slots=True)
class Failure:
    """One classified failure of one attempt. ``detail`` is short and secret-free."""

    error_class: ErrorClass
    detail: str
    status: int | None = None
    provider: str | None = None  # display name, when the upstream named one
    model: str | None = None  # the model that failed, when the upstream named it
    retry_after_s: float | None = None
    # True for an error response to the whole request: OpenRouter answers with an error
    # only after walking every model the request named. False when one model's answer
    # failed (a 200 carrying an error, a bad stream) or nothing answered at all.
    walked_all: bool = False
    # The client gave up on the attempt at one of its own limits; the upstream may still be
    # generating (and billing) the answer it abandoned.
    abandoned: bool = False
    # A bad request that names something this model does not support (an assistant prefill,
    # a parameter, a modality): another model may take the same request as it is.
    unsupported: bool = False


def by_status(status: int) -> ErrorClass:
    """The class of an HTTP status (or an in-band ``error.code``) with nothing else known."""
    if status == 401:
        return ErrorClass.AUTH
    if status == 402:
        return ErrorClass.BILLING
    if status == 403:
        return ErrorClass.AUTH
    if status == 404:
        return ErrorClass.ROUTING_CONSTRAINT
    if status in (408, 504, 524):
        return ErrorClass.TIMEOUT
    if status == 413:
        return ErrorClass.CONTEXT_LENGTH
    if status == 429:
        return ErrorClass.RATE_LIMIT
    if 400 <= status < 500:
        return ErrorClass.BAD_REQUEST
    return ErrorClass.PROVIDER_FAILURE


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def classify_error_object(error: Mapping[str, Any], status: int | None) -> tuple[ErrorClass, str]:
    """Class and detail of an OpenRouter error object (HTTP body, 200 body or stream chunk)."""
    metadata = _mapping(error.get("metadata"))
    message = str(error.get("message") or "")
    code = error.get("code")
    numeric = code if isinstance(code, int) and not isinstance(code, bool) else status
    error_type = _typed(code, metadata.get("error_type"), error.get("error_type"), error.get("type"))
    lowered = message.lower()

    cls: ErrorClass | None = None
    if numeric == 403 and "budget" in lowered:
        # A key, guardrail or workspace budget: a 403 like permissions and moderation, told
        # apart only by its message ("Workspace monthly budget of $500.00 exceeded").
        cls = ErrorClass.SPEND_LIMIT
    availability = _mapping(error.get("availability"))
    if cls is None and isinstance(availability.get("code"), str):
        cls = _BY_AVAILABILITY.get(availability["code"])
    if cls is None and ("reasons" in metadata or "flagged_input" in metadata):
        cls = ErrorClass.MODERATION
    if cls is None and isinstance(error_type, str):
        cls = _BY_ERROR_TYPE.get(error_type)
        if error_type == "insufficient_quota" or "insufficient_quota" in lowered:
            cls = ErrorClass.BILLING
    if cls is None and numeric == 403 and ("request blocked" in lowered or "moderation" in lowered):
        cls = ErrorClass.MODERATION  # guardrail or moderation block without typed metadata
    if cls is None and ("context length" in lowered or "context window" in lowered or "too many tokens" in lowered):
        cls = ErrorClass.CONTEXT_LENGTH
    if cls is None:
        cls = by_status(numeric) if isinstance(numeric, int) else ErrorClass.PROVIDER_FAILURE

    parts = [f"{numeric}" if numeric is not None else "error"]
    if isinstance(error_type, str):
        parts.append(error_type)
    detail = " ".join(parts) + (f": {message}" if message else "")
    provider = metadata.get("provider_name")
    if isinstance(provider, str) and provider:
        detail += f" ({provider})"
    return cls, _short(detail)


_UNSUPPORTED = re.compile(r"\b(does not support|doesn't support|not supported|unsupported)\b", re.IGNORECASE)


def _names_unsupported(message: str) -> bool:
    return _UNSUPPORTED.search(message) is not None


def _typed(code: Any, *types: Any) -> str | None:
    """The name to classify by. A string ``code`` names the precise cause and ``type`` only
    its family (OpenAI sends ``type: invalid_request_error`` with
    ``code: content_policy_violation`` for a moderation block), so a code that names a
    known cause wins; then the first type given."""
    if isinstance(code, str) and code in _BY_ERROR_TYPE:
        return code
    for value in types:
        if isinstance(value, str) and value:
            return value
    return code if isinstance(code, str) else None  # OpenAI-style codes: "insufficient_quota"


def classify_http_error(status: int, body: Any, *, retry_after_s: float | None = None) -> Failure:
    """A non-2xx response. ``body`` is the parsed JSON, or None when it was not JSON."""
    error = _mapping(body).get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        cls, detail = classify_error_object(error, status)
        metadata = _mapping(error.get("metadata"))
        provider = metadata.get("provider_name")
        model = metadata.get("model_slug")
        message = error.get("message")
        return Failure(
            cls,
            detail,
            status=status,
            provider=provider if isinstance(provider, str) else None,
            model=model if isinstance(model, str) else None,
            retry_after_s=retry_after_s,
            walked_all=True,
            unsupported=cls is ErrorClass.BAD_REQUEST and isinstance(message, str) and _names_unsupported(message),
        )
    cls = by_status(status)
    what = "non-JSON body" if body is None else "no error object"
    return Failure(cls, f"HTTP {status} ({what})", status=status, retry_after_s=retry_after_s, walked_all=True)


def classify_completion(body: Any, status: int = 200) -> Failure | None:
    """A 2xx body that parsed as JSON: None when it is a usable completion, else the failure."""
    if not isinstance(body, Mapping):
        return Failure(ErrorClass.INVALID_RESPONSE, "response is not a JSON object", status=status)
    model = body.get("model") if isinstance(body.get("model"), str) else None
    provider = body.get("provider") if isinstance(body.get("provider"), str) else None
    error = body.get("error")
    if isinstance(error, Mapping):
        cls, detail = classify_error_object(error, None)
        return Failure(cls, f"in a {status} body: {detail}", status=status, provider=provider, model=model)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return Failure(
            ErrorClass.INVALID_RESPONSE,
            "no content generated (empty choices)",
            status=status,
            provider=provider,
            model=model,
        )
    choice = _mapping(choices[0])
    choice_error = choice.get("error")
    finish = choice.get("finish_reason")
    if isinstance(choice_error, Mapping):
        cls, detail = classify_error_object(choice_error, None)
        return Failure(cls, f"choice error: {detail}", status=status, provider=provider, model=model)
    if finish == "error":
        return Failure(
            ErrorClass.PROVIDER_FAILURE,
            "finish_reason 'error' with no error object",
            status=status,
            provider=provider,
            model=model,
        )
    if finish == "content_filter":
        return Failure(
            ErrorClass.MODERATION,
            "output stopped by a content filter",
            status=status,
            provider=provider,
            model=model,
        )
    message = choice.get("message")
    if not isinstance(message, Mapping):
        return Failure(
            ErrorClass.INVALID_RESPONSE,
            "choice has no message",
            status=status,
            provider=provider,
            model=model,
        )
    if not message.get("content") and not message.get("tool_calls"):
        return Failure(
            ErrorClass.INVALID_RESPONSE,
            "no content generated (empty message)",
            status=status,
            provider=provider,
            model=model,
        )
    return None


def classify_exception(exc: httpx.HTTPError, *, streaming_started: bool) -> Failure:
    """A transport exception: there is no (complete) response to read."""
    name = type(exc).__name__
    if streaming_started:
        # Tokens already reached us: whatever broke, the answer is incomplete.
        return Failure(ErrorClass.STREAM_TRUNCATED, f"stream cut: {name}")
    if isinstance(exc, httpx.TimeoutException):
        return Failure(ErrorClass.TIMEOUT, f"no answer in time: {name}")
    if isinstance(exc, httpx.DecodingError):
        return Failure(ErrorClass.INVALID_RESPONSE, f"undecodable body: {name}")
    # Connection refused, reset, protocol errors: the endpoint is down or broke mid-answer.
    return Failure(ErrorClass.PROVIDER_FAILURE, f"transport failure: {name}")
