"""What the client decided after an attempt, as values rather than sentences.

Every attempt that is not the last of its request says why another followed: a
:class:`RetryHop` (the same route after a wait), a :class:`FallbackHop` (the next model,
or the same model without the provider that failed) or a :class:`QueuedHop` (the whole
chain again, queue degradation). A request that ends says why in a :class:`StopReason`.
Code that counts retries, measures queue time or recognises a budget stop reads ``kind``;
the sentence in reports is ``str()`` of the value and is written only here, so rewording
it changes no count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from orcli.policy.model import ErrorClass


class HopKind(Enum):
    RETRY = "retry"
    FALLBACK = "fallback"
    QUEUED = "queued"


class Forgone(Enum):
    """Why a retry the policy asked for became a fallback."""

    RETRY_AFTER_TOO_LONG = "retry_after_too_long"  # the hint is over max_retry_after_s
    ROUTE_ATTEMPTS_USED = "route_attempts_used"  # max_attempts_per_route reached
    WAIT_PASSES_DEADLINE = "wait_passes_deadline"  # the backoff would end after the deadline
    LAST_ATTEMPT = "last_attempt"  # the last attempt goes to a fresh route, not a rate-limited one


@dataclass(frozen=True, slots=True)
class RetryForgone:
    """A retry that did not happen, with the figures that ruled it out."""

    why: Forgone
    value: float  # the hint or the wait in seconds, or the attempts per route
    limit_s: float = 0.0  # max_retry_after_s, for RETRY_AFTER_TOO_LONG

    def __str__(self) -> str:
        if self.why is Forgone.RETRY_AFTER_TOO_LONG:
            return f" (Retry-After {self.value:g} s is over max_retry_after_s {self.limit_s:g})"
        if self.why is Forgone.ROUTE_ATTEMPTS_USED:
            return f" (max_attempts_per_route {int(self.value)} used)"
        if self.why is Forgone.LAST_ATTEMPT:
            return " (the last attempt goes to a route that has not failed)"
        return f" (a {self.value:.2f} s wait would pass the deadline)"


@dataclass(frozen=True, slots=True)
class RetryHop:
    """The same route again after ``wait_s``; ``retry_after``: the upstream's hint set the wait.
    ``quick``: a quick retry after a transient 5xx (``retry.same_route``), which repeats the
    attempt the upstream blipped on and does not count against ``retry.max_attempts``."""

    kind: ClassVar[HopKind] = HopKind.RETRY
    wait_s: float
    retry_after: bool = False
    quick: bool = False

    def __str__(self) -> str:
        what = "quick retry" if self.quick else "retry"
        return f"{what} in {self.wait_s:.3f} s" + (" (Retry-After)" if self.retry_after else "")


@dataclass(frozen=True, slots=True)
class FallbackHop:
    """The next model of the chain, at once; ``forgone`` when the policy wanted a retry.
    With ``without``, the next provider of the same model: ``to`` again, that provider
    (display name) excluded for the rest of the request."""

    kind: ClassVar[HopKind] = HopKind.FALLBACK
    to: str
    forgone: RetryForgone | None = None
    without: str | None = None

    def __str__(self) -> str:
        if self.without is not None:
            return f"next provider for {self.to} (without {self.without})"
        return f"fallback to {self.to}{self.forgone or ''}"


@dataclass(frozen=True, slots=True)
class QueuedHop:
    """The request would have ended with ``after``; it waits ``interval_s`` and walks the chain again."""

    kind: ClassVar[HopKind] = HopKind.QUEUED
    after: StopReason
    interval_s: float

    def __str__(self) -> str:
        return f"queued after '{self.after}': whole chain again in {self.interval_s:g} s"


NextHop = RetryHop | FallbackHop | QueuedHop


class StopKind(Enum):
    SERVED = "served"
    BUDGET = "budget"  # a spending cap refused the next attempt
    LIVE_CAP = "live cap"  # a live drill's cap or abort refused the send
    CLIENT_ERROR = "client error"  # the client raised instead of returning a result
    DEADLINE = "deadline"  # the total deadline passed
    DEADLINE_AHEAD = "deadline_ahead"  # the next attempt would start after the deadline
    RATE_LIMITED = "rate_limited"  # every remaining route waits longer than max_retry_after_s
    POLICY_STOP = "policy_stop"  # the policy's action for the error class is stop
    MAX_ATTEMPTS = "max_attempts"  # retry.max_attempts used
    NO_FALLBACK = "no_fallback"  # the chain ran out
    ROUTE_OVERRIDE = "route override"  # on-call's overrides left the workflow no model: nothing sent


@dataclass(frozen=True, slots=True)
class StopReason:
    """Why a request ended. ``error_class``, ``value`` and ``forgone`` fill in the sentence
    for the kinds that need them (see :meth:`__str__`)."""

    kind: StopKind
    error_class: ErrorClass | None = None  # POLICY_STOP, NO_FALLBACK
    value: float = 0.0  # seconds (DEADLINE_AHEAD: total_s, RATE_LIMITED: the wait) or MAX_ATTEMPTS' count
    forgone: RetryForgone | None = None  # NO_FALLBACK after a retry that could not happen

    def __str__(self) -> str:
        kind = self.kind
        if kind is StopKind.DEADLINE_AHEAD:
            return f"deadline: the next attempt would start after the {self.value:g} s limit"
        if kind is StopKind.RATE_LIMITED:
            return f"every remaining route is rate-limited for {self.value:.1f} s more"
        if kind is StopKind.POLICY_STOP:
            return f"{self._class()}: the policy says stop"
        if kind is StopKind.MAX_ATTEMPTS:
            return f"max_attempts ({int(self.value)}) used"
        if kind is StopKind.NO_FALLBACK:
            return f"no fallback left after {self._class()}{self.forgone or ''}"
        text: str = kind.value
        return text

    def _class(self) -> str:
        return self.error_class.value if self.error_class is not None else "error"


# The reasons without parameters, shared rather than built per request.
SERVED = StopReason(StopKind.SERVED)
BUDGET = StopReason(StopKind.BUDGET)
LIVE_CAP = StopReason(StopKind.LIVE_CAP)
CLIENT_ERROR = StopReason(StopKind.CLIENT_ERROR)
DEADLINE = StopReason(StopKind.DEADLINE)
