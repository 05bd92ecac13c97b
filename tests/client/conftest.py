from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import trio
import trio.testing

from orcli.client.async_client import AsyncClient
from orcli.client.ledger import ChatResult
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.policy.model import Workflow

from .fakes import FakeOpenRouter, Reply, Script
from .helpers import CANARY_KEY, GATEWAY, HELLO, workflow


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    # Virtual time: trio jumps the clock whenever every task is asleep.
    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})


@dataclass(frozen=True)
class ChatRun:
    result: ChatResult
    fake: FakeOpenRouter


class ChatDriver:
    """One logical request through the sync client (on a VirtualClock the fake advances)
    or the async client (under trio's MockClock): the behaviour must be the same.

    ``client`` holds constructor arguments; the other keywords go to ``chat``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"ChatDriver({self.kind!r})"

    def __call__(
        self,
        script: Script,
        wf: Workflow | None = None,
        *,
        client: Mapping[str, Any] | None = None,
        openrouter: bool = False,
        **chat: Any,
    ) -> ChatRun:
        options = {"api_key": CANARY_KEY, "base_url": GATEWAY, **(client or {})}
        if self.kind == "sync":
            clock = VirtualClock()
            fake = FakeOpenRouter(script, clock)
            fake.openrouter_compatible = openrouter
            with Client(wf or workflow(), transport=fake.transport(), clock=clock, **options) as sync:
                return ChatRun(sync.chat(HELLO, **chat), fake)
        fake = FakeOpenRouter(script)
        fake.openrouter_compatible = openrouter

        async def go() -> ChatResult:
            async with AsyncClient(wf or workflow(), transport=fake.async_transport(), **options) as client:
                return await client.chat(HELLO, **chat)

        return ChatRun(trio.run(go, clock=trio.testing.MockClock(autojump_threshold=0)), fake)

    def series(
        self, upstream: Callable[[dict[str, Any], float], Reply], wf: Workflow, at: Sequence[float]
    ) -> list[ChatResult]:
        """One request at each of the times ``at`` (seconds from the start) through one client,
        so breakers carry over; ``upstream`` answers each request from its body and the time."""
        options = {"api_key": CANARY_KEY, "base_url": GATEWAY}
        if self.kind == "sync":
            clock = VirtualClock()
            fake = FakeOpenRouter(lambda body: upstream(body, clock.now()), clock)
            results = []
            with Client(wf, transport=fake.transport(), clock=clock, **options) as sync:
                for t in at:
                    clock.advance(t - clock.now())
                    results.append(sync.chat(HELLO))
            return results

        async def go() -> list[ChatResult]:
            start = trio.current_time()
            fake = FakeOpenRouter(lambda body: upstream(body, trio.current_time() - start))
            out = []
            async with AsyncClient(wf, transport=fake.async_transport(), **options) as client:
                for t in at:
                    await trio.sleep_until(start + t)
                    out.append(await client.chat(HELLO))
            return out

        return trio.run(go, clock=trio.testing.MockClock(autojump_threshold=0))


@pytest.fixture(params=["sync", "async"])
def chat(request: pytest.FixtureRequest) -> ChatDriver:
    """Runs the test once through each client."""
    return ChatDriver(request.param)
