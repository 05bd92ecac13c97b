"""httpx transports over the simulator: the network edge, replaced.

Each transport turns an ``httpx.Request`` into a :class:`WireRequest`, asks the simulator
for the complete timed reply, and plays it out on its clock:

- the response (or, for streams, the headers and first chunk) arrives after the reply's
  delay; each later chunk after its own delay, so a client can measure time to first token
  and gaps between chunks;
- httpx's per-request read timeout is honoured: when the next piece would take longer,
  the transport waits exactly the timeout and raises ``httpx.ReadTimeout``;
- connection faults raise what the network would: ``httpx.ConnectError`` before the
  request is sent, ``httpx.RemoteProtocolError`` when the peer drops the connection.

``SimulatorTransport`` takes an :class:`orcli.clock.Clock` (default: a fresh
``VirtualClock``, so nothing ever waits on the wall clock). ``AsyncSimulatorTransport``
uses ``anyio.sleep``/``anyio.current_time``: virtual under trio's
``MockClock(autojump_threshold=0)``, real under asyncio, or an injected
:class:`AsyncClock` (the pytest fixture's virtual clock). Time 0 of the simulator is
``origin_s`` on that clock, or the moment of the first request.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx

from orcli.clock import LOOP_CLOCK, AsyncClock, Clock, VirtualClock
from orcli.upstream.cache import cache_control
from orcli.upstream.records import Reply
from orcli.upstream.simulator import METADATA_HEADERS, Simulator, WireRequest, has_bearer, wants_metadata

# A reply that never arrives, awaited without any read timeout, gives up after a simulated day.
NO_TIMEOUT_CAP_S = 86_400.0


def _wire(request: httpx.Request, body: bytes) -> WireRequest:
    return WireRequest(
        method=request.method,
        path=request.url.path,
        query=request.url.query.decode("ascii", "replace"),
        body=body,
        authorized=has_bearer(request.headers.get("authorization")),
        metadata=any(wants_metadata(request.headers.get(name)) for name in METADATA_HEADERS),
        cache=cache_control(request.headers.get, request.headers.get("authorization")),
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout: dict[str, Any] = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _wait_plan(delay_s: float, read_timeout_s: float | None) -> tuple[float, bool]:
    """How long to wait before the next piece, and whether the read times out instead."""
    if read_timeout_s is not None and delay_s > read_timeout_s:
        return read_timeout_s, True
    if math.isinf(delay_s):
        return NO_TIMEOUT_CAP_S, True
    return delay_s, False


def _response(
    reply: Reply, request: httpx.Request, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    return httpx.Response(reply.status, headers=list(reply.headers), stream=stream, request=request)


def _complete(reply: Reply, request: httpx.Request) -> httpx.Response:
    """A whole body, its length stated as a server would (``stream=`` skips httpx's
    re-encoding of ``content=``, a fifth of an in-process round trip)."""
    headers = [*reply.headers, ("content-length", str(len(reply.body)))]
    return httpx.Response(reply.status, headers=headers, stream=httpx.ByteStream(reply.body), request=request)


def _timeout_error(request: httpx.Request) -> httpx.ReadTimeout:
    return httpx.ReadTimeout("The read operation timed out", request=request)


def _reset_error(request: httpx.Request, streaming: bool) -> httpx.RemoteProtocolError:
    if streaming:
        message = "peer closed connection without sending complete message body (incomplete chunked read)"
    else:
        message = "Server disconnected without sending a response."
    return httpx.RemoteProtocolError(message, request=request)


# A reply, played out, is a series of steps: wait this long (None: not at all), then either
# hand over this piece or raise this error. The sync and async transports below only play
# the steps on their clock; every decision about timing and failure is made here.
Step = tuple[float | None, bytes | Exception | None]


def _head_step(reply: Reply, request: httpx.Request) -> Step:
    """Until the response starts: how long it takes, and the error it ends in instead, if any
    (None: the headers arrive)."""
    if reply.failure == "connect":
        return None, httpx.ConnectError("[Errno 111] Connection refused", request=request)
    wait_s, timed_out = _wait_plan(reply.delay_s, _read_timeout(request))
    if timed_out:
        return wait_s, _timeout_error(request)
    if reply.failure == "reset":
        return wait_s, _reset_error(request, streaming=False)
    return wait_s, None


def _body_steps(reply: Reply, request: httpx.Request) -> Iterator[Step]:
    """The chunks of a streamed body, each after its own delay (the first one with the headers)."""
    assert reply.chunks is not None
    read_timeout_s = _read_timeout(request)
    for i, (delay_s, data) in enumerate(reply.chunks):
        if i > 0 and delay_s > 0:
            wait_s, timed_out = _wait_plan(delay_s, read_timeout_s)
            if timed_out:
                yield wait_s, _timeout_error(request)
                return
            yield wait_s, data
        else:
            yield None, data
    if reply.stream_end == "reset":
        yield None, _reset_error(request, streaming=True)


class _Origin:
    """Time 0 of the simulator on a transport's clock: ``origin_s``, or the first request."""

    clock: Clock | AsyncClock

    def __init__(self, origin_s: float | None) -> None:
        self._origin_s = origin_s

    def _now_s(self) -> float:
        now = self.clock.now()
        if self._origin_s is None:
            self._origin_s = now
        return now - self._origin_s


class SimulatorTransport(_Origin, httpx.BaseTransport):
    openrouter_compatible = True  # speaks OpenRouter's routing fields: clients send ``models``

    def __init__(self, sim: Simulator, clock: Clock | None = None, *, origin_s: float | None = None) -> None:
        super().__init__(origin_s)
        self.sim = sim
        self.clock: Clock = clock if clock is not None else VirtualClock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.sim.handle(_wire(request, request.read()), self._now_s())
        self._play(_head_step(reply, request))
        if reply.chunks is None:
            return _complete(reply, request)
        return _response(reply, request, _ClockedStream(self._play, _body_steps(reply, request)))

    def _play(self, step: Step) -> bytes:
        wait_s, piece = step
        if wait_s is not None:
            self.clock.sleep(wait_s)
        if isinstance(piece, Exception):
            raise piece
        return piece or b""


class _ClockedStream(httpx.SyncByteStream):
    """A streamed body whose chunks arrive on the clock."""

    def __init__(self, play: Callable[[Step], bytes], steps: Iterator[Step]) -> None:
        self._play = play
        self._steps = steps

    def __iter__(self) -> Iterator[bytes]:
        for step in self._steps:
            yield self._play(step)


class AsyncSimulatorTransport(_Origin, httpx.AsyncBaseTransport):
    openrouter_compatible = True  # speaks OpenRouter's routing fields: clients send ``models``

    def __init__(self, sim: Simulator, *, origin_s: float | None = None, clock: AsyncClock | None = None) -> None:
        super().__init__(origin_s)
        self.sim = sim
        self.clock: AsyncClock = clock if clock is not None else LOOP_CLOCK

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.sim.handle(_wire(request, await request.aread()), self._now_s())
        await self._play(_head_step(reply, request))
        if reply.chunks is None:
            return _complete(reply, request)
        return _response(reply, request, _AsyncClockedStream(self._play, _body_steps(reply, request)))

    async def _play(self, step: Step) -> bytes:
        wait_s, piece = step
        if wait_s is not None:
            await self.clock.sleep(wait_s)
        if isinstance(piece, Exception):
            raise piece
        return piece or b""


class _AsyncClockedStream(httpx.AsyncByteStream):
    def __init__(self, play: Callable[[Step], Awaitable[bytes]], steps: Iterator[Step]) -> None:
        self._play = play
        self._steps = steps

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for step in self._steps:
            yield await self._play(step)
