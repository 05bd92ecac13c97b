"""The vocabulary of fault effects that the simulator and the live injector share.

A fault kind (``orcli.upstream.faults.kinds``) declares its behaviour as data and builds the
details of its effect with the helpers here: OpenRouter's error types per status, its
``Retry-After`` wording, an attempt's error and duration, a slowdown, and whether a served
answer meets what a response fault needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from orcli.catalog.model import Endpoint
from orcli.upstream.content import Completion
from orcli.upstream.protocol import ApiError, ChatRequest


class Need(StrEnum):
    """What a served answer must have for a response fault to act on it (checked before counting,
    so a fault that cannot act never uses up its ``first``)."""

    STREAM = "stream"  # the request asked for a stream
    NO_STREAM = "no_stream"  # the request asked for one JSON body
    STRUCTURED_OUTPUT = "structured_output"  # a ``response_format`` other than text
    TOOL_CALLS = "tool_calls"  # the answer calls a tool
    TOOL_CHOICE_NOT_AUTO = "tool_choice_not_auto"  # the request did not leave tool use to the model


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
MODEL_CHECK_S = 0.05  # how long a model-level refusal (context length, moderation) takes


def seconds_header(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


@dataclass(frozen=True, slots=True)
class AttemptError:
    error: ApiError
    duration_s: float  # how long the failing attempt took
    retry_after_s: float | None = None  # the provider's hint, if it gave one
    outage: bool = False  # counts as an outage for the 30-second health rule


@dataclass(frozen=True, slots=True)
class Slowdown:
    added_s: float  # added to the time to first token
    throughput_factor: float  # generation throughput is divided by this


def provider_meta(ep: Endpoint, error_type: str, **more: object) -> dict[str, object]:
    """The metadata of an error a provider answered with: its type, the provider, whether the key was the user's."""
    return {"error_type": error_type, "provider_name": ep.provider_name, "is_byok": ep.is_byok, **more}


def flagged_input(chat: ChatRequest) -> str:
    """The flagged text, at most 100 characters, the middle cut out with an ellipsis."""
    text = ""
    for message in reversed(chat.messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            text = message["content"]
            break
    return text if len(text) <= 100 else text[:49] + "…" + text[-50:]


def needs_met(needs: Iterable[Need], chat: ChatRequest, completion: Completion) -> bool:
    """Whether a served answer has everything a response fault needs to act on it."""
    for need in needs:
        if need is Need.STREAM:
            met = chat.stream
        elif need is Need.NO_STREAM:
            met = not chat.stream
        elif need is Need.STRUCTURED_OUTPUT:
            met = chat.response_format is not None and chat.response_format.type != "text"
        elif need is Need.TOOL_CALLS:
            met = bool(completion.tool_calls)
        else:  # Need.TOOL_CHOICE_NOT_AUTO
            met = chat.tool_choice != "auto"
        if not met:
            return False
    return True
