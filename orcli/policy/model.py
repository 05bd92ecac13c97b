"""The policy language: one frozen, typed model per concept.

A policy file holds one or more workflows. Each workflow says which models may
serve it and in what order, the provider rules (mapped one to one onto
OpenRouter's ``provider`` object), what the requests need, the client-side
controls (timeouts, retries, error handling, circuit breaker, budgets) and how
the workflow degrades when its routes fail.

Units are in the field names (``_s`` seconds, ``_usd`` dollars,
``_per_million`` USD per million tokens) so a reader never has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from orcli.frozen import Frozen
from orcli.ids import ModelIdField, ProviderSlugField
from orcli.routing.rules import PercentileCutoffs as PercentileCutoffs
from orcli.routing.rules import PriceCeiling as PriceCeiling
from orcli.routing.rules import ProviderRules as ProviderRules
from orcli.routing.rules import SortBy as SortBy
from orcli.routing.rules import SortSpec as SortSpec
from orcli.sourcefile import described

WorkflowName = Annotated[
    str,
    Field(
        pattern=described(r"^[a-z0-9][a-z0-9_-]*$", "a workflow name of lowercase letters, digits, '-' and '_'"),
        max_length=64,
    ),
]
# BYOK keys are named, never written: a value that looks like a key fails this pattern.
EnvVarName = Annotated[
    str,
    Field(
        pattern=described(
            r"^[A-Z_][A-Z0-9_]*$", "the name of an environment variable holding the key, e.g. 'OPENAI_BYOK_KEY'"
        )
    ),
]


class ModelChain(Frozen):
    primary: ModelIdField
    fallbacks: tuple[ModelIdField, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return (self.primary, *self.fallbacks)


class Needs(Frozen):
    """What every request of the workflow needs from an endpoint."""

    tools: bool = False
    structured_output: bool = False
    min_context: int = Field(default=0, ge=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    streaming: bool = False

    @property
    def parameters(self) -> frozenset[str]:
        """The request parameters these needs put on the wire (for ``require_parameters``)."""
        params: set[str] = set()
        if self.tools:
            params |= {"tools", "tool_choice"}
        if self.structured_output:
            params.add("response_format")
        if self.max_output_tokens is not None:
            params.add("max_tokens")
        return frozenset(params)


class Timeouts(Frozen):
    connect_s: float = Field(default=5.0, gt=0)
    attempt_s: float = Field(default=30.0, gt=0)  # one attempt, request to last byte
    # Streams: the longest wait for the first token and the longest gap between chunks.
    # The seed's guidance: a chat that shows nothing for a few seconds feels broken, and a
    # stream quiet for longer than a first token takes is stalled, so 10 s each by default
    # rather than leaving a stall bounded only by attempt_s. ``null`` turns a limit off.
    first_token_s: float | None = Field(default=10.0, gt=0)
    stream_idle_s: float | None = Field(default=10.0, gt=0)
    # Deadline across every attempt and wait; the default covers the default retry worst case
    # (3 attempts of 30 s plus 1.5 s of backoff), so a policy of defaults lints clean.
    total_s: float = Field(default=120.0, gt=0)


class Backoff(Frozen):
    """Exponential backoff with full jitter: wait = uniform(0, min(max_s, initial_s * multiplier**n))."""

    initial_s: float = Field(default=0.5, gt=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_s: float = Field(default=8.0, gt=0)
    jitter: Literal["full", "none"] = "full"

    def cap_s(self, retry_number: int) -> float:
        """The ceiling of the ``retry_number``-th wait on a route (0-based):
        ``min(max_s, initial_s * multiplier**n)``, the client's and the lint's one formula."""
        if retry_number < 0:
            raise ValueError("retry_number starts at 0")
        # Stop growing once past the cap so a large n cannot overflow the float.
        grown = self.initial_s
        for _ in range(retry_number):
            grown *= self.multiplier
            if grown >= self.max_s:
                return self.max_s
        return min(self.max_s, grown)

    @model_validator(mode="after")
    def _ordered(self) -> Backoff:
        if self.max_s < self.initial_s:
            raise ValueError("max_s must be at least initial_s")
        return self


class ErrorClass(StrEnum):
    """The seed's failure types, plus the response-shape failures a client must catch."""

    BAD_REQUEST = "bad_request"
    AUTH = "auth"
    BILLING = "billing"
    # A spending cap set on the account's side (key, guardrail or workspace budget, 403) is
    # reached: unlike ``billing`` (402, too few credits) adding credits does not cure it.
    SPEND_LIMIT = "spend_limit"
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    PROVIDER_FAILURE = "provider_failure"
    ROUTING_CONSTRAINT = "routing_constraint"
    MODERATION = "moderation"
    CONTEXT_LENGTH = "context_length"
    INVALID_RESPONSE = "invalid_response"
    MALFORMED_TOOL_CALL = "malformed_tool_call"
    STREAM_TRUNCATED = "stream_truncated"


class Action(StrEnum):
    RETRY = "retry"  # retry the same route (bounded, with backoff), then fall back
    NEXT_PROVIDER = "next_provider"  # the same model again, without the provider that failed
    FALLBACK = "fallback"  # move on to the next model of the chain at once
    STOP = "stop"  # give up now: degrade as the workflow says


# Defaults from the seed's error-handling table.
DEFAULT_ACTIONS: dict[ErrorClass, Action] = {
    ErrorClass.BAD_REQUEST: Action.STOP,  # fix the request, don't repeat it
    ErrorClass.AUTH: Action.STOP,  # alert operations, stop automatic retries
    ErrorClass.BILLING: Action.STOP,  # billing alert, fail gracefully
    ErrorClass.SPEND_LIMIT: Action.STOP,  # alert; every model and route meets the same budget
    ErrorClass.RATE_LIMIT: Action.RETRY,  # respect retry timing, back off, consider fallback
    # "Retry if safe": a route that stayed silent past its limit would most likely make the
    # next attempt wait as long again, which blows the first-token limit twice over; the
    # next route is the safe retry.
    ErrorClass.TIMEOUT: Action.FALLBACK,
    ErrorClass.PROVIDER_FAILURE: Action.FALLBACK,  # provider or model fallback
    ErrorClass.ROUTING_CONSTRAINT: Action.STOP,  # loosen only if policy allows, else fail safely
    ErrorClass.MODERATION: Action.FALLBACK,  # never the same model again; compliant alternative
    ErrorClass.CONTEXT_LENGTH: Action.FALLBACK,  # larger-context fallback or fail
    ErrorClass.INVALID_RESPONSE: Action.RETRY,
    ErrorClass.MALFORMED_TOOL_CALL: Action.RETRY,
    ErrorClass.STREAM_TRUNCATED: Action.RETRY,
}

# Classes whose alert must reach operations whatever the action.
ALERTING_CLASSES = frozenset({ErrorClass.AUTH, ErrorClass.BILLING, ErrorClass.SPEND_LIMIT})
# Classes the policy cannot give another action: a spent budget refuses every retry and
# every fallback model alike, so anything but ``stop`` would only repeat the refusal.
STOP_ONLY_CLASSES = frozenset({ErrorClass.SPEND_LIMIT})


class Retry(Frozen):
    max_attempts: int = Field(default=3, ge=1, le=20)  # attempts per request, across every route
    max_attempts_per_route: int = Field(default=2, ge=1, le=10)
    backoff: Backoff = Backoff()
    honor_retry_after: bool = True
    max_retry_after_s: float = Field(default=30.0, ge=0)  # a longer Retry-After falls back instead
    # Quick retries on the same route for a transient 500/502/503 before the class's action
    # (fallback by default) applies: one blip should not cost the primary.
    same_route: int = Field(default=1, ge=0, le=5)
    on: dict[ErrorClass, Action] = Field(default_factory=dict)  # overrides of DEFAULT_ACTIONS

    @field_validator("on")
    @classmethod
    def _stop_only(cls, on: dict[ErrorClass, Action]) -> dict[ErrorClass, Action]:
        for error_class, action in on.items():
            if error_class in STOP_ONLY_CLASSES and action is not Action.STOP:
                raise ValueError(
                    f"{error_class.value} can only stop: a spent budget refuses every retry and fallback alike"
                )
        return on

    def action(self, error: ErrorClass) -> Action:
        return self.on.get(error, DEFAULT_ACTIONS[error])

    def per_route(self) -> int:
        """The most attempts one route gets in a row: a retried class's
        ``max_attempts_per_route``, or a transient 5xx's first try plus ``same_route``."""
        return max(self.max_attempts_per_route, self.same_route + 1)


DEFAULT_MAX_COOL_DOWN_S = 60.0


class CircuitBreaker(Frozen):
    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1)  # consecutive failures that open it
    cool_down_s: float = Field(default=5.0, gt=0)  # then one half-open probe
    # Each failed probe doubles the cool-down, up to this cap; a success resets it. A route
    # that recovers is back in use within one capped cool-down.
    max_cool_down_s: float = Field(default=DEFAULT_MAX_COOL_DOWN_S, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _cap_unset(cls, data: Any) -> Any:
        # A cool-down written longer than the default cap, with no cap written: the cap
        # is the cool-down itself (no growth), rather than an error on an older policy.
        if isinstance(data, dict) and "max_cool_down_s" not in data:
            cool = data.get("cool_down_s")
            if isinstance(cool, int | float) and not isinstance(cool, bool) and cool > DEFAULT_MAX_COOL_DOWN_S:
                return {**data, "max_cool_down_s": cool}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> CircuitBreaker:
        if self.max_cool_down_s < self.cool_down_s:
            raise ValueError("max_cool_down_s must be at least cool_down_s")
        return self


class AppFallback(Frozen):
    """The chain the client walks itself when the upstream lacks OpenRouter's ``models``."""

    # "auto": OpenRouter's ``models`` when the target is OpenRouter (or its simulator),
    # the client's own chain for any other OpenAI-compatible base URL.
    mode: Literal["auto", "openrouter", "client"] = "auto"


class Budget(Frozen):
    max_cost_per_request_usd: Decimal | None = Field(default=None, gt=0)
    max_cost_per_run_usd: Decimal | None = Field(default=None, gt=0)


class DegradationMode(StrEnum):
    FALLBACK = "fallback"  # answer from an allowed fallback route
    FAIL_SAFE = "fail_safe"  # show the approved message rather than reroute further
    QUEUE = "queue"  # hold the work and try again later


class Degradation(Frozen):
    mode: DegradationMode = DegradationMode.FALLBACK
    user_message: str | None = Field(default=None, min_length=1)
    queue_max_wait_s: float | None = Field(default=None, gt=0)  # queue mode: how long work may wait
    queue_retry_interval_s: float = Field(default=60.0, gt=0)


class DataClass(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    REGULATED = "regulated"


class Byok(Frozen):
    """Bring-your-own-key: keys referenced by environment-variable name, never by value."""

    keys: dict[ProviderSlugField, EnvVarName] = Field(default_factory=dict)
    # "strict": only our own key may serve those providers (its 429s reach us);
    # "shared_fallback": OpenRouter's shared capacity takes over when our key fails.
    mode: Literal["strict", "shared_fallback"] = "shared_fallback"


class Workflow(Frozen):
    description: str | None = None
    data_class: DataClass = DataClass.INTERNAL
    models: ModelChain
    provider: ProviderRules = ProviderRules()
    needs: Needs = Needs()
    timeouts: Timeouts = Timeouts()
    retry: Retry = Retry()
    circuit_breaker: CircuitBreaker = CircuitBreaker()
    app_fallback: AppFallback = AppFallback()
    budget: Budget = Budget()
    degradation: Degradation = Degradation()
    byok: Byok = Byok()

    def worst_case(self) -> WorstCase:
        """The longest the client's retry schedule can run, as the client walks it: each
        attempt up to its limit (``attempt_s``; a stream's first-token limit ends a silent
        attempt sooner, and a timed-out route falls back without a wait, but an error or a
        stall after the first token may still take the whole ``attempt_s``), and before each
        further attempt on the same route the backoff ceiling for its place on that route
        (the count restarts on every new route). Attempts stop at ``max_attempts`` or when
        every model of the chain has had its attempts per route."""
        retry, timeouts = self.retry, self.timeouts
        per_route = retry.per_route()
        attempts = min(retry.max_attempts, per_route * len(self.models.all))
        waits = sum(retry.backoff.cap_s(i % per_route - 1) for i in range(attempts) if i % per_route)
        return WorstCase(attempts, timeouts.attempt_s, waits)


@dataclass(frozen=True, slots=True)
class WorstCase:
    attempts: int
    attempt_s: float
    waits_s: float

    @property
    def total_s(self) -> float:
        return self.attempts * self.attempt_s + self.waits_s


class PolicyFile(Frozen):
    version: Literal[1] = 1
    workflows: dict[WorkflowName, Workflow] = Field(min_length=1)
