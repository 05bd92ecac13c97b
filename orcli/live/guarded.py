"""The transport that enforces a live drill's caps on every request bound for the network.

Chat completions cost money; they and the ``/generation`` look-ups of ``--trail`` count
against ``--max-requests`` (a look-up reserves nothing: it is free). Only ``GET /key``, read
once after a budget refused the drill, passes straight through. A refused send raises
:class:`~orcli.live.guard.CapReached` before a byte leaves the machine.

Every chat request asks OpenRouter not to answer from its response cache
(``X-OpenRouter-Cache: false``): a cached answer says nothing about the route it would have
taken now. An answer that comes from the cache all the same (``X-OpenRouter-Cache-Status:
HIT``) is noted by idempotency key, so the drill can refuse it as evidence. A budget's 403
(classified as the client does, :data:`ErrorClass.SPEND_LIMIT`) stops the drill.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx

from orcli.catalog.model import Catalog
from orcli.client.classify import classify_error_object
from orcli.live.guard import LiveGuard, Ticket, reported_cost_usd, stream_cost_usd, worst_case_usd
from orcli.policy.model import ErrorClass

CHAT_PATH_SUFFIX = "/chat/completions"
_BODY_LIMIT_BYTES = 16 * 1024 * 1024  # cost is read from at most this much of a body


GENERATION_PATH_SUFFIX = "/generation"
CACHE_HEADER = "X-OpenRouter-Cache"
CACHE_STATUS_HEADER = "X-OpenRouter-Cache-Status"


def is_chat(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith(CHAT_PATH_SUFFIX)


def is_generation(request: httpx.Request) -> bool:
    return request.method == "GET" and request.url.path.endswith(GENERATION_PATH_SUFFIX)


class GuardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, guard: LiveGuard, catalog: Catalog) -> None:
        self.inner = inner
        self.guard = guard
        self.catalog = catalog
        self.openrouter_compatible = getattr(inner, "openrouter_compatible", False) is True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if is_generation(request):
            ticket = self.guard.reserve(Decimal(0), "a /generation look-up")
            self.guard.settle(ticket, Decimal(0))
            return await self.inner.handle_async_request(request)
        if not is_chat(request):
            return await self.inner.handle_async_request(request)
        body = json.loads(await request.aread())
        # Cost is read from the body on its way through: ask for it uncompressed.
        request.headers["Accept-Encoding"] = "identity"
        request.headers[CACHE_HEADER] = "false"
        worst, basis = worst_case_usd(body, self.catalog)
        ticket = self.guard.reserve(worst, basis)
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.HTTPError as exc:
            # Refused connections cost nothing; anything later may have been billed.
            self.guard.settle(ticket, Decimal(0) if isinstance(exc, httpx.ConnectError) else None)
            self.guard.observe(failed=True)
            raise
        except BaseException:
            self.guard.settle(ticket, None)
            raise
        if response.headers.get(CACHE_STATUS_HEADER, "").upper() == "HIT":
            self.guard.cache_hits.add(request.headers.get("idempotency-key"))
        stream = _SettlingStream(response, self.guard, ticket)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=stream,
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _SettlingStream(httpx.AsyncByteStream):
    """Passes the body through and books its cost when the reader is done with it."""

    def __init__(self, response: httpx.Response, guard: LiveGuard, ticket: Ticket) -> None:
        self._response = response
        self._guard = guard
        self._ticket = ticket
        self._seen = bytearray()
        self._complete = False
        self._settled = False
        self._chunks: AsyncIterator[bytes] | None = None
        self._event_stream = "text/event-stream" in response.headers.get("content-type", "").lower()

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An iterator object, not an async generator: a reader that stops at [DONE] leaves no
        # half-run generator for the garbage collector to finalise after the loop is gone.
        return self

    async def __anext__(self) -> bytes:
        if self._chunks is None:
            # The inner stream itself, not ``aiter_raw``: a response built from bytes counts as
            # read already, and its stream can still be iterated.
            stream = self._response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            self._chunks = stream.__aiter__()
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._complete = True
            raise
        if len(self._seen) < _BODY_LIMIT_BYTES:
            self._seen.extend(chunk)
        return chunk

    async def aclose(self) -> None:
        try:
            closing = getattr(self._chunks, "aclose", None)
            if closing is not None:
                await closing()
            await self._response.aclose()
        finally:
            self._settle()

    def _settle(self) -> None:
        if self._settled:
            return
        self._settled = True
        status = self._response.status_code
        text = self._seen.decode("utf-8", "replace")
        cost: Decimal | None
        failed = status >= 400
        if self._event_stream:
            lines = text.splitlines()
            cost = stream_cost_usd(lines)
            # A reader may stop at ``data: [DONE]`` without asking for the end of the body: the
            # stream is whole all the same.
            whole = self._complete or any(line.strip() == "data: [DONE]" for line in lines)
            failed = failed or not whole or any(_error_event(line) for line in lines)
        else:
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = None
            cost = reported_cost_usd(parsed)
            failed = failed or parsed is None or (isinstance(parsed, dict) and "error" in parsed)
            error = parsed.get("error") if isinstance(parsed, dict) else None
            if isinstance(error, dict) and classify_error_object(error, status)[0] is ErrorClass.SPEND_LIMIT:
                self._guard.spend_limit_reached(str(error.get("message") or f"HTTP {status}"))
        if cost is None and status >= 400:
            cost = Decimal(0)  # OpenRouter bills no failed request
        self._guard.settle(self._ticket, cost)
        if self._response.headers.get(CACHE_STATUS_HEADER, "").upper() == "HIT":
            return  # not evidence either way: the error rate is about the routes
        self._guard.observe(failed=failed)


def _error_event(line: str) -> bool:
    """An event whose JSON carries OpenRouter's in-band ``error`` (not the word in the text)."""
    if not line.startswith("data:") or '"error"' not in line:
        return False
    try:
        event = json.loads(line[5:].strip())
    except ValueError:
        return True  # a broken event on an error path: count it failed
    return isinstance(event, dict) and "error" in event
