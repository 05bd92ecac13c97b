"""``orcli mock serve``: the simulator over real HTTP (starlette + uvicorn), on real time.

One ASGI endpoint hands every request to :meth:`Simulator.handle` and plays the reply out
with real sleeps (scaled by ``time_scale``; 0 answers at once, for benchmarks). Connection
faults drop the TCP connection; a cut stream ends its chunked body without the last chunk,
so HTTP clients see exactly what a real network failure looks like. The server answers
every malformed request with an OpenRouter-style error and never dies on bad input.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from orcli.errors import InvalidValue
from orcli.upstream.cache import cache_control
from orcli.upstream.protocol import ApiError
from orcli.upstream.records import Reply
from orcli.upstream.simulator import METADATA_HEADERS, Simulator, WireRequest, error_reply, has_bearer, wants_metadata

MAX_BODY_BYTES = 4 * 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
# A reply that never arrives keeps the connection open this long at most (then it is dropped).
MAX_HANG_S = 3600.0


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _SimulatorEndpoint:
    """A raw ASGI endpoint (starlette routes every path here)."""

    def __init__(self, sim: Simulator, time_scale: float) -> None:
        self.sim = sim
        self.time_scale = time_scale
        self.origin = time.monotonic()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        if body is None:
            await _send_reply(
                send, error_reply(ApiError(413, "Request body too large", {"error_type": "payload_too_large"}))
            )
            return
        authorization = None
        metadata = False
        caching: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name.decode("latin-1") in METADATA_HEADERS:
                metadata = metadata or wants_metadata(value.decode("latin-1"))
            elif name.startswith(b"x-openrouter-cache"):
                caching[name.decode("latin-1")] = value.decode("latin-1")
        request = WireRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            body=body,
            authorized=has_bearer(authorization),
            metadata=metadata,
            cache=cache_control(caching.get, authorization) if caching else None,
        )
        try:
            reply = self.sim.handle(request, time.monotonic() - self.origin)
        except Exception:  # the simulator never should; if it does, the server stays up
            logging.getLogger("orcli.mock").exception("simulator failed on %s %s", scope["method"], scope["path"])
            reply = error_reply(ApiError(500, "Internal Server Error", {"error_type": "server"}))
        await self._play(reply, receive, send)

    async def _play(self, reply: Reply, receive: Receive, send: Send) -> None:
        if reply.failure == "connect":
            await _drop(receive, send)
            return
        await self._wait(min(reply.delay_s, MAX_HANG_S))
        if reply.never_arrives or reply.failure == "reset":
            await _drop(receive, send)
            return
        if reply.chunks is None:
            await _send_reply(send, reply)
            return
        await send({"type": "http.response.start", "status": reply.status, "headers": _headers(reply)})
        for i, (delay_s, data) in enumerate(reply.chunks):
            if i > 0:
                await self._wait(delay_s)
            await send({"type": "http.response.body", "body": data, "more_body": True})
        if reply.stream_end == "reset":
            await _drop(receive, send)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _wait(self, seconds: float) -> None:
        scaled = seconds * self.time_scale
        if scaled > 0:
            await asyncio.sleep(scaled)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        data = message.get("body", b"")
        size += len(data)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(data)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]


async def _send_reply(send: Send, reply: Reply) -> None:
    headers = [*_headers(reply), (b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


async def _drop(receive: Receive, send: Send) -> None:
    """Drop the TCP connection the way a failing peer does. uvicorn does not expose the
    transport through ASGI, so we reach it through ``receive``'s bound cycle; the loop then
    marks the connection lost and uvicorn stays quiet."""
    transport: Any = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is not None:
        transport.abort()
        for _ in range(3):
            await asyncio.sleep(0)
        return
    # Another ASGI server: announce more body than will ever come and stop.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})


class _QuietDrops(logging.Filter):
    """Deliberately dropped connections are not server errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def create_app(sim: Simulator, *, time_scale: float = 1.0) -> Starlette:
    """The ASGI app: the OpenRouter API under ``/api/v1`` and the admin API under ``/_orcli``."""
    endpoint = _SimulatorEndpoint(sim, time_scale)
    methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
    return Starlette(routes=[Route("/{path:path}", endpoint=endpoint, methods=methods)])


def bind(host: str, port: int, *, allow_remote: bool = False) -> socket.socket:
    """A listening socket, or a ``InvalidValue`` naming the problem."""
    if not allow_remote and not is_loopback(host):
        raise InvalidValue(f"--host {host}: not a loopback address; pass --allow-remote to serve other machines")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidValue(f"--host {host}: cannot resolve ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InvalidValue(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _server(app: Starlette) -> Any:
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http="auto", backlog=2048)
    return uvicorn.Server(config)


def run(sim: Simulator, sock: socket.socket, *, time_scale: float = 1.0) -> None:
    """Serve until interrupted."""
    server = _server(create_app(sim, time_scale=time_scale))
    server.run(sockets=[sock])


@contextmanager
def serve_in_thread(sim: Simulator, *, time_scale: float = 1.0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``sim`` from a background thread on a free loopback port; yields the base URL
    (``http://127.0.0.1:PORT/api/v1``). The socket listens before this returns, so clients
    can connect at once."""
    sock = bind(host, 0)
    port = sock.getsockname()[1]
    server = _server(create_app(sim, time_scale=time_scale))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="orcli-mock")
    thread.start()
    try:
        yield f"http://{host}:{port}/api/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
