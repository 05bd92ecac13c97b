"""What goes on the wire and what comes back: request bodies and headers, and the
reading of a finished response into a body, usage, trail and failure.

Shared by the sync and async clients, which only move bytes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from orcli.client.classify import Failure, classify_completion, classify_exception, classify_http_error
from orcli.client.keys import ApiKey
from orcli.client.ledger import UpstreamHop
from orcli.client.retry_after import retry_after_s
from orcli.client.stream import SseAssembler, StreamWatch
from orcli.policy.model import ErrorClass

DEFAULT_APP_TITLE = "orcli"


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptOutcome:
    """What one attempt produced, before the client judges it."""

    status: int | None
    body: dict[str, Any] | None  # the parsed (or reassembled) body, also for a 200 that failed
    failure: Failure | None
    ended_at: float
    first_token_at: float | None  # first token (streams) or response headers
    warnings: tuple[str, ...] = ()  # protocol slips that did not cost the answer
    partial_text: str = ""  # streams: the content that arrived, also when the stream failed
    streamed_chunks: int = 0  # streams: chunks that carried tokens (what was billed if usage is missing)


def headers(
    key: ApiKey | None,
    idempotency_key: str,
    *,
    app_url: str | None,
    app_title: str | None,
    stream: bool,
    ask_metadata: bool,
) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
    if key:
        out["Authorization"] = f"Bearer {key.reveal()}"
    if app_url:
        out["HTTP-Referer"] = app_url
    if app_title:
        out["X-OpenRouter-Title"] = app_title
    if ask_metadata:
        # The attempt trail (openrouter_metadata.attempts) feeds the ledger and the breakers.
        out["X-OpenRouter-Metadata"] = "enabled"
    out["Accept"] = "text/event-stream" if stream else "application/json"
    return out


def body(
    fragment: Mapping[str, Any],
    models: Sequence[str],
    messages: Sequence[Mapping[str, Any]],
    *,
    ignored_providers: Sequence[str],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
    response_format: Mapping[str, Any] | None,
    stream: bool,
    max_tokens: int | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One attempt's JSON body: the policy's fragment with this attempt's models and ignores.

    ``extra`` adds fields the policy does not own (``trace``, ``temperature``, ...); a field
    the policy or the call sets is never replaced by it."""
    out: dict[str, Any] = {"model": models[0]}
    if len(models) > 1:
        out["models"] = list(models[1:])
    provider = dict(fragment.get("provider") or {})
    if ignored_providers:
        provider["ignore"] = [
            *provider.get("ignore", []),
            *(p for p in ignored_providers if p not in provider.get("ignore", [])),
        ]
    if provider:
        out["provider"] = provider
    out["messages"] = list(messages)
    if tools:
        out["tools"] = list(tools)
    if tool_choice is not None:
        out["tool_choice"] = tool_choice
    if response_format is not None:
        out["response_format"] = dict(response_format)
    if max_tokens is not None:
        out["max_tokens"] = max_tokens
    if stream:
        out["stream"] = True
        # OpenRouter always ends a stream with usage; many OpenAI-compatible servers send it
        # only when asked, and without it the ledger cannot book what the answer cost.
        out["stream_options"] = {"include_usage": True}
    if extra:
        for name, value in extra.items():
            if name not in out and name not in OWNED_FIELDS:
                out[name] = value
    return out


# Body fields the client sets from the policy and the call: ``extra`` never supplies them.
OWNED_FIELDS = frozenset(
    {
        "model",
        "models",
        "provider",
        "route",
        "messages",
        "tools",
        "tool_choice",
        "response_format",
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "stream_options",
    }
)


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or None when it is not JSON at all."""
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def interpret(
    status: int,
    response_headers: Mapping[str, str],
    raw: bytes,
    *,
    wall_now: Callable[[], float],
    ended_at: float,
    first_token_at: float | None,
) -> AttemptOutcome:
    """A complete (non-streamed) response."""
    parsed = parse_json(raw)
    if status >= 300:
        wait = retry_after_s(response_headers, parsed if isinstance(parsed, dict) else None, wall_now=wall_now)
        failure = classify_http_error(status, parsed, retry_after_s=wait)
        return AttemptOutcome(
            status=status,
            body=parsed if isinstance(parsed, dict) else None,
            failure=failure,
            ended_at=ended_at,
            first_token_at=first_token_at,
        )
    if parsed is None:
        failure = Failure(ErrorClass.INVALID_RESPONSE, f"HTTP {status} with a body that is not JSON", status=status)
        return AttemptOutcome(
            status=status, body=None, failure=failure, ended_at=ended_at, first_token_at=first_token_at
        )
    return AttemptOutcome(
        status=status,
        body=parsed if isinstance(parsed, dict) else None,
        failure=classify_completion(parsed, status),
        ended_at=ended_at,
        first_token_at=first_token_at,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def usage(body: Mapping[str, Any] | None) -> tuple[int, int, Decimal | None]:
    """(prompt tokens, completion tokens, reported cost in USD or None)."""
    if not body or not isinstance(body.get("usage"), Mapping):
        return 0, 0, None
    block = body["usage"]
    cost: Decimal | None = None
    raw_cost = block.get("cost")
    if isinstance(raw_cost, int | float | str) and not isinstance(raw_cost, bool):
        try:
            cost = Decimal(str(raw_cost))
        except InvalidOperation:
            cost = None
        if cost is not None and (not cost.is_finite() or cost < 0):
            cost = None
    return _int(block.get("prompt_tokens")), _int(block.get("completion_tokens")), cost


def hops(body: Mapping[str, Any] | None) -> tuple[UpstreamHop, ...]:
    """OpenRouter's own failover trail, from ``openrouter_metadata.attempts`` when it was sent."""
    if not body:
        return ()
    metadata = body.get("openrouter_metadata")
    if not isinstance(metadata, Mapping):
        error = body.get("error")
        metadata = error.get("openrouter_metadata") if isinstance(error, Mapping) else None
    trail = metadata.get("attempts") if isinstance(metadata, Mapping) else None
    if not isinstance(trail, list):
        return ()
    out: list[UpstreamHop] = []
    for hop in trail:
        if not isinstance(hop, Mapping):
            continue
        provider, model, status = hop.get("provider"), hop.get("model"), hop.get("status")
        if isinstance(provider, str) and isinstance(model, str) and isinstance(status, int):
            out.append(UpstreamHop(provider, model, status))
    return tuple(out)


def served(body: Mapping[str, Any] | None) -> tuple[str | None, str | None, str | None]:
    """(model, provider display name, generation id) as the response states them. Model and
    provider names are interned: every attempt record holds them, and a long run of attempts
    should share a few strings rather than keep one copy per response."""
    if not body:
        return None, None, None
    model, provider, gen = body.get("model"), body.get("provider"), body.get("id")
    return (
        sys.intern(model) if isinstance(model, str) else None,
        sys.intern(provider) if isinstance(provider, str) else None,
        gen if isinstance(gen, str) else None,
    )


def stream_outcome(
    status: int,
    assembler: SseAssembler,
    watch: StreamWatch,
    ended_at: float,
    failure: Failure | None = None,
) -> AttemptOutcome:
    """A stream that ended (``failure`` None), or was cut short by a limit or a transport error.

    A failure the stream itself reported in-band wins: it says more than the cut that followed.
    A cut after the finish reason costs nothing: the answer had arrived whole.
    """
    if failure is None:
        failure = assembler.outcome()
    elif assembler.failure is not None:
        failure = assembler.failure
    elif assembler.complete:
        failure = None  # cut or stalled after the finish reason: the answer is whole
    body = assembler.completion() if assembler.events else None
    if failure is None:
        failure = classify_completion(body, status)
    return AttemptOutcome(
        status=status,
        body=body,
        failure=failure,
        ended_at=ended_at,
        first_token_at=watch.first_token_at,
        warnings=assembler.warnings() if failure is None else (),
        partial_text=assembler.partial_text,
        streamed_chunks=assembler.token_chunks,
    )


def stream_exception_failure(exc: httpx.HTTPError, assembler: SseAssembler, watch: StreamWatch) -> Failure:
    """A transport error while reading a stream."""
    if isinstance(exc, httpx.TimeoutException):
        return watch.timed_out()
    return classify_exception(exc, streaming_started=assembler.got_token or assembler.events > 0)


def failed(failure: Failure, ended_at: float, status: int | None = None) -> AttemptOutcome:
    """An attempt that produced no usable response (no body, no first token)."""
    return AttemptOutcome(status=status, body=None, failure=failure, ended_at=ended_at, first_token_at=None)


def late_failure(limit_s: float, what: str) -> Failure:
    return Failure(ErrorClass.TIMEOUT, f"no {what} within the attempt's {limit_s:g} s", abandoned=True)


def is_event_stream(content_type: str | None) -> bool:
    return content_type is not None and "text/event-stream" in content_type.lower()
