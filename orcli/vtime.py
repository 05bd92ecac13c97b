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
from types import ModuleType
from typing import Any, TypeVar

sniffio: ModuleType | None
try:
    import sniffio
except ImportError:  # then anyio assumes asyncio without asking anyone
    sniffio = None

T = TypeVar("T")


class _VirtualSelector(selectors.DefaultSelector):
    """A selector that never blocks: waiting ``timeout`` seconds moves virtual time instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            # Nothing scheduled: only a real descriptor (the loop's self-pipe, written by
            # call_soon_threadsafe) could still wake the loop. Callbacks from other threads
            # reach the ready queue directly, so the pipe is polled only here, not on every
            # turn: a system call per turn was a twentieth of a drill's time.
            ready = super().select(0)
            if ready:
                return ready
            raise RuntimeError("virtual-time loop would block forever: a task waits on something that never comes")
        self.now += max(0.0, timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


async def _declared_asyncio(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    # Where sniffio is installed (trio and the openai SDK bring it), anyio asks it which
    # library runs on every current_time(), sleep() and cancel scope, and for asyncio
    # sniffio finds out with an import statement and current_task() each time: a tenth of
    # a drill's time. A library may declare it instead; set here, every task of the drill
    # inherits it with its context.
    if sniffio is not None:
        sniffio.current_async_library_cvar.set("asyncio")
    return await main(*args)


def run_virtual(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``main(*args)`` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(_declared_asyncio(main, *args))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
