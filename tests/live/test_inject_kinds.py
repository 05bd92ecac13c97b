"""The live injector plays a fault kind from its declared behaviour alone: a kind it has never
heard of, declared with a known effect, works without the injector changing."""

from __future__ import annotations

import json

import anyio
import httpx

from orcli.catalog.load import default_catalog
from orcli.live.inject import FaultInjectingTransport
from orcli.upstream.faults import ConnectionResetFault
from tests.upstream.faults.sandbox import QuotaFault

from .conftest import CHAT, PRIMARY, completion


def test_a_new_request_kind_is_answered_without_sending() -> None:
    sent: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=completion())

    transport = FaultInjectingTransport(
        httpx.MockTransport(api), [QuotaFault(scope="workspace", first=1)], default_catalog(), seed=1
    )
    body = {"model": PRIMARY, "messages": [{"role": "user", "content": "hi"}]}

    async def two_requests() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=transport) as client:
            return [await client.post(CHAT, json=body) for _ in range(2)]

    refused, served = anyio.run(two_requests)
    assert refused.status_code == 403
    assert json.loads(refused.content)["error"]["message"] == "workspace quota spent"
    assert served.status_code == 200 and len(sent) == 1
    assert [(i.fault_id, i.kind, i.effect, i.failure) for i in transport.injections] == [
        ("quota-1", "quota", "HTTP 403", True)
    ]


def test_a_connect_reset_aimed_at_a_provider_counts_once_per_request() -> None:
    # It acts before sending; the answer, whoever served it, does not count it a second time.
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=completion(provider="OpenAI"))

    fault = ConnectionResetFault(provider="openai", phase="connect", every=2)
    transport = FaultInjectingTransport(httpx.MockTransport(api), [fault], default_catalog(), seed=1)
    body = {"model": PRIMARY, "messages": [{"role": "user", "content": "hi"}]}

    async def two_requests() -> list[str]:
        outcomes = []
        async with httpx.AsyncClient(transport=transport) as client:
            for _ in range(2):
                try:
                    outcomes.append(str((await client.post(CHAT, json=body)).status_code))
                except httpx.TransportError as exc:
                    outcomes.append(type(exc).__name__)
        return outcomes

    assert anyio.run(two_requests) == ["200", "ConnectError"]
