"""Circuit breakers: stop sending to a route that keeps failing, probe it after a pause.

One breaker per key; the client keeps one per model (``("m", None)``) and one per model
and provider (``("m", "Provider")``, the provider's display name). A breaker opens after
``failure_threshold`` consecutive failures, lets exactly one probe through once its
cool-down has passed (half-open), closes when the probe succeeds and opens again when it
fails. The first cool-down is ``cool_down_s``; each failed probe doubles it, up to
``max_cool_down_s``, so a route that stays down is probed less and less often while one
that recovers is back in use within one capped cool-down (a failed probe never re-arms a
long fixed pause). A success resets it.
Time is whatever clock the caller passes in, so the state machine is pure. Which
failures count is the caller's choice (``health`` in :mod:`orcli.client.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orcli.policy.model import CircuitBreaker

BreakerKey = tuple[str, str | None]  # (model, provider display name); None: the whole model


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class _Breaker:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    cool_down_s: float = 0.0  # the current cool-down, set when the breaker opens


class Breakers:
    def __init__(self, policy: CircuitBreaker) -> None:
        self.policy = policy
        self._by_key: dict[BreakerKey, _Breaker] = {}
        self._not_closed: set[BreakerKey] = set()  # keys whose breaker is open or half-open

    def state(self, key: BreakerKey, now: float) -> BreakerState:
        breaker = self._by_key.get(key)
        if breaker is None or breaker.opened_at is None:
            return BreakerState.CLOSED
        if now - breaker.opened_at >= breaker.cool_down_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allows(self, key: BreakerKey, now: float) -> bool:
        """May a request use this route now? Half-open admits one probe at a time."""
        if not self.policy.enabled:
            return True
        state = self.state(key, now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN:
            return not self._by_key[key].probing
        return False

    def sending(self, key: BreakerKey, now: float) -> None:
        """A request is going to this route: if half-open, it is the probe."""
        if self.policy.enabled and self.state(key, now) is BreakerState.HALF_OPEN:
            self._by_key[key].probing = True

    def success(self, key: BreakerKey) -> None:
        breaker = self._by_key.get(key)
        if breaker is not None:
            breaker.failures = 0
            breaker.opened_at = None
            breaker.probing = False
            breaker.cool_down_s = 0.0
            self._not_closed.discard(key)

    def failure(self, key: BreakerKey, now: float) -> None:
        if not self.policy.enabled:
            return
        breaker = self._by_key.setdefault(key, _Breaker())
        breaker.failures += 1
        if breaker.probing:
            breaker.cool_down_s = min(self.policy.max_cool_down_s, breaker.cool_down_s * 2)
        elif breaker.failures >= self.policy.failure_threshold and breaker.opened_at is None:
            breaker.cool_down_s = self.policy.cool_down_s
        elif breaker.opened_at is None:
            return
        # A failure while open (traffic the breaker let through so the chain is never
        # empty) restarts the current cool-down without growing it.
        breaker.opened_at = now
        breaker.probing = False
        self._not_closed.add(key)

    def opened_at(self, key: BreakerKey) -> float | None:
        """When the breaker last opened (or re-opened after a failed probe); None while closed."""
        breaker = self._by_key.get(key)
        return None if breaker is None else breaker.opened_at

    def cool_down(self, key: BreakerKey) -> float:
        """The breaker's current cool-down (0 while closed)."""
        breaker = self._by_key.get(key)
        return 0.0 if breaker is None else breaker.cool_down_s

    def release(self, key: BreakerKey) -> None:
        """The probe ended without a verdict on the route (e.g. a bad request): let another through."""
        breaker = self._by_key.get(key)
        if breaker is not None:
            breaker.probing = False

    def open_routes(self) -> list[tuple[str, str]]:
        """(model, provider) keys whose breaker is open or half-open: only a success closes a
        breaker again, so the set is kept up to date as failures and successes come in.

        Ordered as the text ``model@provider`` sorts, the order in which requests have
        always listed the providers they ignore."""
        routes = [(model, provider) for model, provider in self._not_closed if provider is not None]
        routes.sort(key=_route_order)
        return routes


def _route_order(key: tuple[str, str]) -> tuple[str, str]:
    return key[0] + "@", key[1]


def model_key(model: str) -> BreakerKey:
    return model, None


def route_key(model: str, provider: str) -> BreakerKey:
    return model, provider
