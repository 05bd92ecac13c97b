"""An asyncio event loop on virtual time, for drills on the mock upstream.

When every task is waiting on a timer, the loop jumps straight to the next one
instead of sleeping, so a simulated hour of latency, timeouts, backoff and
outage windows runs in seconds. asyncio runs ready callbacks in FIFO order, so
(unlike a randomised scheduler) the same program and seed interleave the same
way every run: that is what makes drill reports byte-identical.

anyio code (``anyio.sleep``, ``anyio.current_time``, ``anyio.fail_after``) runs
unchanged on this loop. Real I/O is not supported: the mock is in-process.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _VirtualSelector(selectors.DefaultSelector):
    """A selector that never blocks: waiting ``timeout`` seconds moves virtual time instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        # Poll real descriptors without blocking (the loop's self-pipe lives here).
        ready = super().select(0)
        if ready:
            return ready
        if timeout is None:
            # Nothing scheduled and nothing ready: a real loop would block forever.
            raise RuntimeError("virtual-time loop would block forever: a task waits on something that never comes")
        self.now += max(0.0, timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run_virtual(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``main(*args)`` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main(*args))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
