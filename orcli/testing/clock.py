"""The fixture's clock: virtual time a test can move, or wall time scaled down.

With ``time_scale`` 0 (the default) the clock is virtual: it moves only when a transport
plays out a reply (by that reply's simulated latency) or when a test calls
:meth:`MockClock.advance`, so a 60 s outage window costs no wall time. With a positive
``time_scale`` every simulated second takes ``time_scale`` real seconds: for apps whose own
timeouts run on the wall clock (a 0.01 scale turns a 30 s stall into 0.3 s).
"""

from __future__ import annotations

import time

import anyio


class MockClock:
    """Seconds since the fixture started, in simulated time. Satisfies :class:`orcli.clock.Clock`."""

    def __init__(self, time_scale: float = 0.0) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must be 0 (virtual) or positive, got {time_scale}")
        self.time_scale = time_scale
        self._offset_s = 0.0
        self._origin = time.monotonic()

    @property
    def virtual(self) -> bool:
        return self.time_scale == 0

    def now(self) -> float:
        if self.virtual:
            return self._offset_s
        return self._offset_s + (time.monotonic() - self._origin) / self.time_scale

    def advance(self, seconds: float) -> None:
        """Move simulated time forward at once (fault windows, breaker cool-downs, Retry-After)."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._offset_s += seconds

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.virtual:
            self._offset_s += seconds
        else:
            time.sleep(seconds * self.time_scale)

    async def async_sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.virtual:
            self._offset_s += seconds
            await anyio.sleep(0)  # still a checkpoint: other tasks get their turn
        else:
            await anyio.sleep(seconds * self.time_scale)

    def __repr__(self) -> str:
        mode = "virtual" if self.virtual else f"time_scale={self.time_scale:g}"
        return f"MockClock(now={self.now():.3f}, {mode})"


class AsyncView:
    """The same clock as the async transport wants it: ``now`` and an awaitable ``sleep``."""

    def __init__(self, clock: MockClock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now()

    async def sleep(self, seconds: float) -> None:
        await self._clock.async_sleep(seconds)
