"""Time, injected. Nothing in orcli reads the wall clock directly.

Synchronous code takes a :class:`Clock`. Asynchronous code takes an :class:`AsyncClock`,
by default :class:`LoopClock`: anyio's ``current_time()`` and ``sleep()``, which under
trio's ``MockClock(autojump_threshold=0)`` (or :mod:`orcli.vtime`) are virtual, so a
simulated hour of latency, timeouts, Retry-After waits and outage windows costs no wall
time; under a normal event loop they are real.
"""

from __future__ import annotations

import time
from typing import Protocol

import anyio


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (the origin is arbitrary)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class AsyncClock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (the origin is arbitrary)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The event loop's time, through anyio."""

    def now(self) -> float:
        return anyio.current_time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    def __repr__(self) -> str:
        return "LoopClock()"


LOOP_CLOCK = LoopClock()


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """A clock that only moves when someone sleeps on it (or calls :meth:`advance`)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:.3f})"
