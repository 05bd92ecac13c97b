from __future__ import annotations

from typing import Any

import httpx
import pytest

from orcli.client.classify import classify_completion, classify_exception, classify_http_error
from orcli.policy.model import ErrorClass

from .fakes import completion, error


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, error(400, "bad", error_type="invalid_request"), ErrorClass.BAD_REQUEST),
        (400, error(400, "openai/gpt-5x is not a valid model ID"), ErrorClass.BAD_REQUEST),
        (400, error(400, "too long", error_type="context_length_exceeded"), ErrorClass.CONTEXT_LENGTH),
        (400, error(400, "This model's maximum context length is 8192 tokens"), ErrorClass.CONTEXT_LENGTH),
        (400, error(400, "refused", error_type="content_policy_violation"), ErrorClass.MODERATION),
        (401, error(401, "No auth credentials found"), ErrorClass.AUTH),
        (402, error(402, "This request requires more credits"), ErrorClass.BILLING),
        (
            403,
            error(403, "flagged", reasons=["violence"], flagged_input="...", provider_name="OpenAI"),
            ErrorClass.MODERATION,
        ),
        (403, error(403, "Request blocked: guardrail"), ErrorClass.MODERATION),
        (403, error(403, "nope", error_type="permission_denied"), ErrorClass.AUTH),
        (404, error(404, "No endpoints found that support tool use."), ErrorClass.ROUTING_CONSTRAINT),
        (404, error(404, "No endpoints found matching your data policy"), ErrorClass.ROUTING_CONSTRAINT),
        (408, error(408, "Operation timed out. Please try again later."), ErrorClass.TIMEOUT),
        (413, error(413, "too large"), ErrorClass.CONTEXT_LENGTH),
        (429, error(429, "Rate limit exceeded"), ErrorClass.RATE_LIMIT),
        (
            429,
            {
                "error": {
                    "message": "You exceeded your quota",
                    "type": "insufficient_quota",
                    "code": "insufficient_quota",
                }
            },
            ErrorClass.BILLING,
        ),
        (500, error(500, "Internal Server Error"), ErrorClass.PROVIDER_FAILURE),
        (502, error(502, "Provider returned error", provider_name="DeepInfra"), ErrorClass.PROVIDER_FAILURE),
        (503, error(503, "overloaded", error_type="provider_overloaded"), ErrorClass.PROVIDER_FAILURE),
        (524, error(524, "edge timeout"), ErrorClass.TIMEOUT),
        (529, error(529, "Provider overloaded"), ErrorClass.PROVIDER_FAILURE),
        (502, None, ErrorClass.PROVIDER_FAILURE),
        (
            404,
            {"error": {"code": 404, "message": "x", "availability": {"code": "privacy_restricted"}}},
            ErrorClass.ROUTING_CONSTRAINT,
        ),
        (
            429,
            {"error": {"code": 429, "message": "x", "availability": {"code": "capacity_exhausted"}}},
            ErrorClass.RATE_LIMIT,
        ),
    ],
)
def test_http_errors(status: int, body: Any, expected: ErrorClass) -> None:
    failure = classify_http_error(status, body)
    assert failure.error_class is expected
    assert failure.status == status
    assert failure.walked_all


def test_detail_names_status_type_message_and_provider() -> None:
    failure = classify_http_error(
        502, error(502, "Provider returned error", error_type="provider_unavailable", provider_name="Groq")
    )
    assert failure.detail == "502 provider_unavailable: Provider returned error (Groq)"
    assert failure.provider == "Groq"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "error": {
                    "message": "Provider returned error",
                    "code": 524,
                    "metadata": {"provider_name": "Google AI Studio"},
                }
            },
            ErrorClass.TIMEOUT,
        ),
        (
            {
                **completion("partial", finish_reason="error"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "error",
                        "message": {"role": "assistant", "content": "par"},
                        "error": {"code": 502, "message": "upstream died"},
                    }
                ],
            },
            ErrorClass.PROVIDER_FAILURE,
        ),
        (completion("partial", finish_reason="error"), ErrorClass.PROVIDER_FAILURE),
        ({**completion(), "choices": []}, ErrorClass.INVALID_RESPONSE),
        (completion(None), ErrorClass.INVALID_RESPONSE),
        (completion("[removed]", finish_reason="content_filter"), ErrorClass.MODERATION),
        ([1, 2], ErrorClass.INVALID_RESPONSE),
    ],
)
def test_200_bodies_that_carry_a_failure(body: Any, expected: ErrorClass) -> None:
    failure = classify_completion(body)
    assert failure is not None and failure.error_class is expected
    assert not failure.walked_all


def test_a_good_completion_is_no_failure() -> None:
    assert classify_completion(completion("fine")) is None


@pytest.mark.parametrize(
    ("exc", "started", "expected"),
    [
        (httpx.ConnectTimeout, False, ErrorClass.TIMEOUT),
        (httpx.ReadTimeout, False, ErrorClass.TIMEOUT),
        (httpx.ConnectError, False, ErrorClass.PROVIDER_FAILURE),
        (httpx.RemoteProtocolError, False, ErrorClass.PROVIDER_FAILURE),
        (httpx.ReadError, True, ErrorClass.STREAM_TRUNCATED),
        (httpx.ReadTimeout, True, ErrorClass.STREAM_TRUNCATED),
    ],
)
def test_transport_exceptions(exc: type[httpx.HTTPError], started: bool, expected: ErrorClass) -> None:
    request = httpx.Request("POST", "https://openrouter.ai/api/v1/chat/completions")
    assert classify_exception(exc("boom", request=request), streaming_started=started).error_class is expected
