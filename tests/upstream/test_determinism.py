"""Same seed, same bytes: a whole session of requests replays identically."""

from __future__ import annotations

from orcli.catalog.model import Catalog
from orcli.clock import VirtualClock
from orcli.upstream.faults import LatencyFault, MalformedSseFault, OutageFault, RateLimitFault
from orcli.upstream.simulator import Simulator
from tests.upstream.support import client_for, request_body

FAULTS = [
    OutageFault(provider="alpha", probability=0.4),
    RateLimitFault(model="acme/backup", every=3, retry_after_s=1),
    LatencyFault(add_s=0.5, distribution="uniform"),
    MalformedSseFault(probability=0.5),
]
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
    "q": {"type": "string"}, "n": {"type": "number"}}, "required": ["q"]}}}]  # fmt: skip


def session(catalog: Catalog, seed: int) -> list[bytes]:
    sim = Simulator(catalog, FAULTS, seed=seed)
    clock = VirtualClock()
    out: list[bytes] = []
    with client_for(sim, clock) as client:
        for i in range(30):
            body = request_body(
                models=["acme/backup"], stream=i % 3 == 0, tools=TOOLS if i % 4 == 0 else None, temperature=i
            )
            response = client.post("/chat/completions", json=body)
            out.append(str(response.status_code).encode() + b" " + response.read())
            out.append(repr(sorted(response.headers.items())).encode())
            out.append(f"{clock.now():.9f}".encode())
            clock.advance(1.5)
    out.append(repr(sim.firings).encode())
    out.append(repr(sim.log).encode())
    return out


def test_same_seed_same_bytes(catalog: Catalog) -> None:
    assert session(catalog, 11) == session(catalog, 11)


def test_another_seed_differs(catalog: Catalog) -> None:
    assert session(catalog, 11) != session(catalog, 12)


def test_content_depends_on_the_request_not_on_its_position(catalog: Catalog) -> None:
    sim = Simulator(catalog, seed=3)
    first = sim.chat(request_body(provider={"only": ["alpha"]}))
    sim.chat(request_body(messages=[{"role": "user", "content": "something else"}]))
    again = sim.chat(request_body(provider={"only": ["alpha"]}))
    import json

    def content(reply: object) -> str:
        return str(json.loads(reply.body)["choices"][0]["message"]["content"])  # type: ignore[attr-defined]

    assert content(first) == content(again)
    assert json.loads(first.body)["id"] != json.loads(again.body)["id"]
