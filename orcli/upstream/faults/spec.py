"""Fault specifications: what goes wrong, where, and when.

A fault is a frozen value with a ``kind`` (the discriminator), a target and an
activation. The target is a provider slug and/or a model id; with neither, the
fault targets everything. The activation conditions all have to hold for a fault
to fire (they compose with AND):

- ``from_request``/``to_request``: 1-based index of the chat request, inclusive;
- ``start_s``/``end_s``: simulated seconds since the simulator's start, ``[start, end)``;
- ``flap_period_s``/``flap_down_s``: down for the first ``flap_down_s`` of every period
  (half of it by default), counted from ``start_s`` (or 0);
- ``first``: fire on the first N matching events, then stay healthy;
- ``every``: fire on every Nth matching event;
- ``probability``: fire with this chance, drawn from the simulator's seed.

A "matching event" is one evaluation of the fault whose target and windows match: one
per request for request-level kinds (auth, billing, OpenRouter-wide rate limits), one per
provider attempt inside OpenRouter's failover for provider kinds (outage, timeout, ...),
one per served response for response and stream kinds.

Scenario files embed a list of these; :func:`parse_faults` reads a faults file with
``file:line`` errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orcli.sourcefile import load_document, parse_model

FaultId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=64)]
Stage = Literal["request", "route", "attempt", "response"]


class _Fault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: FaultId | None = None  # default: "<kind>-<n>", n = 1-based position in its list
    provider: str | None = Field(default=None, min_length=1)  # slug: a base slug matches all its endpoints
    model: str | None = Field(default=None, min_length=1)  # model id; a ":variant" suffix is ignored
    from_request: int | None = Field(default=None, ge=1)
    to_request: int | None = Field(default=None, ge=1)
    start_s: float | None = Field(default=None, ge=0)
    end_s: float | None = Field(default=None, gt=0)
    every: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, gt=0, le=1)
    first: int | None = Field(default=None, ge=1)
    flap_period_s: float | None = Field(default=None, gt=0)
    flap_down_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _coherent(self) -> _Fault:
        if self.from_request is not None and self.to_request is not None and self.to_request < self.from_request:
            raise ValueError("to_request must not be before from_request")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        if self.flap_down_s is not None:
            if self.flap_period_s is None:
                raise ValueError("flap_down_s needs flap_period_s")
            if self.flap_down_s >= self.flap_period_s:
                raise ValueError("flap_down_s must be shorter than flap_period_s")
        return self

    @property
    def kind_name(self) -> str:
        return str(getattr(self, "kind"))  # noqa: B009 - every concrete fault declares ``kind``

    @property
    def stage(self) -> Stage:
        return "attempt"

    @property
    def fault_id(self) -> str:
        """The id; only unset on a spec that never went through a fault list."""
        return self.id or self.kind_name


class OutageFault(_Fault):
    """The provider answers 5xx; OpenRouter fails over to the next endpoint."""

    kind: Literal["outage"] = "outage"
    status: Literal[500, 502, 503, 504, 524, 529] = 502
    latency_s: float = Field(default=0.2, ge=0)  # how long the failing attempt takes
    message: str | None = None


class RateLimitFault(_Fault):
    """429. ``scope: provider``: that provider's attempt fails and OpenRouter routes on.
    ``scope: openrouter``: OpenRouter itself refuses the request, before routing."""

    kind: Literal["rate_limit"] = "rate_limit"
    scope: Literal["provider", "openrouter"] = "provider"
    retry_after_s: float | None = Field(default=None, ge=0)
    limit: int = Field(default=60, ge=1)  # X-RateLimit-Limit (OpenRouter-wide only)
    reset_s: float = Field(default=60.0, gt=0)  # X-RateLimit-Reset = now + reset_s (OpenRouter-wide only)
    latency_s: float = Field(default=0.1, ge=0)
    message: str | None = None

    @property
    def stage(self) -> Stage:
        return "request" if self.scope == "openrouter" else "attempt"


class TimeoutFault(_Fault):
    """The provider stays silent. OpenRouter abandons it after ``seconds`` and fails over
    (a client with a shorter read timeout sees ``httpx.ReadTimeout`` first). ``hang: true``:
    the reply never arrives at all; only the client's own timeout ends the wait."""

    kind: Literal["timeout"] = "timeout"
    seconds: float = Field(default=60.0, gt=0)
    hang: bool = False


class LatencyFault(_Fault):
    """Added time to first token (``add_s``: fixed, uniform on [0, 2*add_s], or
    exponential with mean add_s) and slower generation (throughput divided by
    ``throughput_factor``). Several latency faults add up."""

    kind: Literal["latency"] = "latency"
    add_s: float = Field(default=1.0, ge=0)
    distribution: Literal["fixed", "uniform", "exponential"] = "fixed"
    throughput_factor: float = Field(default=1.0, ge=1)


class ConnectionResetFault(_Fault):
    """The connection drops. ``phase: connect``: before the request reaches OpenRouter
    (``httpx.ConnectError``); ``phase: read``: while the targeted provider is serving,
    before any response byte (``httpx.RemoteProtocolError``)."""

    kind: Literal["connection_reset"] = "connection_reset"
    phase: Literal["connect", "read"] = "read"

    @property
    def stage(self) -> Stage:
        return "request" if self.phase == "connect" else "attempt"


class MalformedToolCallFault(_Fault):
    """The served tool call is broken: arguments that are not JSON, arguments that violate
    the tool's schema, a tool name not offered, or no tool call although one was required."""

    kind: Literal["malformed_tool_call"] = "malformed_tool_call"
    mode: Literal["invalid_json", "schema_violation", "unknown_tool", "missing_tool_calls"] = "invalid_json"

    @property
    def stage(self) -> Stage:
        return "response"


class InvalidResponseFault(_Fault):
    """A 200 that is not a usable completion. Non-streamed requests only."""

    kind: Literal["invalid_response"] = "invalid_response"
    mode: Literal["non_json", "empty_choices", "error_in_200", "choice_error", "invalid_structured_output"] = "non_json"

    @property
    def stage(self) -> Stage:
        return "response"


class AuthFault(_Fault):
    """401 before routing (a disabled or unknown key)."""

    kind: Literal["auth"] = "auth"
    message: str | None = None

    @property
    def stage(self) -> Stage:
        return "request"


class BillingFault(_Fault):
    """402 before routing: too few credits for the request."""

    kind: Literal["billing"] = "billing"
    message: str | None = None

    @property
    def stage(self) -> Stage:
        return "request"


class ModerationFault(_Fault):
    """403: the model's moderation flags the input; OpenRouter moves to the next model."""

    kind: Literal["moderation"] = "moderation"
    reasons: tuple[str, ...] = Field(default=("harassment",), min_length=1)
    message: str | None = None


class ContextLengthFault(_Fault):
    """400 context_length_exceeded from the targeted model; OpenRouter moves to the next model."""

    kind: Literal["context_length"] = "context_length"
    message: str | None = None


class BadRequestFault(_Fault):
    """400 invalid_request from the targeted model: it rejects what the request asks for (an
    assistant prefill, a parameter it does not take). OpenRouter moves to the next model."""

    kind: Literal["bad_request"] = "bad_request"
    message: str | None = None


class NoEndpointsFault(_Fault):
    """The targeted endpoints drop out of routing; a model left with none answers 404."""

    kind: Literal["no_endpoints"] = "no_endpoints"
    message: str | None = None

    @property
    def stage(self) -> Stage:
        return "route"


class _StreamFault(_Fault):
    @property
    def stage(self) -> Stage:
        return "response"


class StreamCutFault(_StreamFault):
    """The stream stops after ``after_tokens`` completion tokens: no finish chunk, no usage,
    no ``[DONE]``; the connection closes mid-body (``httpx.RemoteProtocolError``)."""

    kind: Literal["stream_cut"] = "stream_cut"
    after_tokens: int = Field(default=10, ge=0)


class StreamStallFault(_StreamFault):
    """After ``after_tokens`` tokens the stream goes quiet for ``seconds``, then resumes."""

    kind: Literal["stream_stall"] = "stream_stall"
    after_tokens: int = Field(default=5, ge=0)
    seconds: float = Field(default=30.0, gt=0)


class MalformedSseFault(_StreamFault):
    """After ``after_tokens`` tokens one event's data is not valid JSON; the stream goes on."""

    kind: Literal["malformed_sse"] = "malformed_sse"
    after_tokens: int = Field(default=5, ge=0)


class MissingDoneFault(_StreamFault):
    """The stream ends cleanly after the usage chunk but never sends ``data: [DONE]``."""

    kind: Literal["missing_done"] = "missing_done"


class StreamErrorFault(_StreamFault):
    """After ``after_tokens`` tokens, OpenRouter's in-band terminal error chunk
    (``finish_reason: "error"``), then the stream ends. No failover: the stream had started."""

    kind: Literal["stream_error"] = "stream_error"
    after_tokens: int = Field(default=5, ge=0)
    code: int = Field(default=502, ge=400, le=599)
    message: str | None = None


FaultSpec = Annotated[
    OutageFault
    | RateLimitFault
    | TimeoutFault
    | LatencyFault
    | ConnectionResetFault
    | MalformedToolCallFault
    | InvalidResponseFault
    | AuthFault
    | BillingFault
    | ModerationFault
    | ContextLengthFault
    | BadRequestFault
    | NoEndpointsFault
    | StreamCutFault
    | StreamStallFault
    | MalformedSseFault
    | MissingDoneFault
    | StreamErrorFault,
    Field(discriminator="kind"),
]

FAULT_KINDS: tuple[str, ...] = (
    "outage",
    "rate_limit",
    "timeout",
    "latency",
    "connection_reset",
    "malformed_tool_call",
    "invalid_response",
    "auth",
    "billing",
    "moderation",
    "context_length",
    "bad_request",
    "no_endpoints",
    "stream_cut",
    "stream_stall",
    "malformed_sse",
    "missing_done",
    "stream_error",
)


def with_ids(faults: tuple[FaultSpec, ...] | list[FaultSpec], *, start: int = 1) -> tuple[FaultSpec, ...]:
    """Give every fault without an ``id`` the default ``<kind>-<n>`` (``n`` = 1-based position,
    counted from ``start``). Raises ``ValueError`` on duplicate ids."""
    out: list[FaultSpec] = []
    seen: set[str] = set()
    for n, fault in enumerate(faults, start=start):
        if fault.id is None:
            fault = fault.model_copy(update={"id": f"{fault.kind_name}-{n}"})
        assert fault.id is not None
        if fault.id in seen:
            raise ValueError(f"fault id '{fault.id}' appears twice")
        seen.add(fault.id)
        out.append(fault)
    return tuple(out)


class FaultPlan(BaseModel):
    """A faults file: ``faults: [...]`` (a bare list is accepted too)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    faults: tuple[FaultSpec, ...] = ()

    @field_validator("faults")
    @classmethod
    def _ids(cls, faults: tuple[FaultSpec, ...]) -> tuple[FaultSpec, ...]:
        return with_ids(faults)  # raises on duplicate ids


def parse_faults(path: str | Path, text: str | None = None) -> tuple[FaultSpec, ...]:
    """Read a YAML/JSON faults file; errors name ``file:line:col: field``."""
    document = load_document(path, text)
    if document.data is None:
        return ()
    if isinstance(document.data, list):
        document = type(document)(
            document.path,
            {"faults": document.data},
            {("faults", *loc): pos for loc, pos in document.positions.items()},
            {("faults", *loc): pos for loc, pos in document.key_positions.items()},
        )
    return parse_model(document, FaultPlan).faults
