"""The outer shell both clients share: the same arguments, the same properties."""

from __future__ import annotations

import inspect
from pathlib import Path

import anyio
import pytest

from orcli.client import AsyncClient, Client
from orcli.clock import LOOP_CLOCK, SystemClock, VirtualClock
from orcli.policy.model import ErrorClass

from .fakes import FakeOpenRouter, Reply, fail, ok
from .helpers import CANARY_KEY, GATEWAY, HELLO, workflow

POLICY = """\
version: 1
workflows:
  support:
    models: {primary: openai/gpt-4o-mini, fallbacks: [anthropic/claude-haiku-4.5]}
"""


def test_both_clients_take_the_same_arguments() -> None:
    sync, asyn = inspect.signature(Client), inspect.signature(AsyncClient)
    assert [(p.name, p.kind, p.default) for p in sync.parameters.values()] == [
        (p.name, p.kind, p.default) for p in asyn.parameters.values()
    ]
    assert "clock" in sync.parameters


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_from_policy_properties_and_repr(cls: type[Client] | type[AsyncClient], tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    client = cls.from_policy(path, "support", base_url=GATEWAY, api_key=CANARY_KEY)
    assert type(client) is cls
    assert client.fallback_mode == "client" and client.spent_usd == 0
    assert repr(client) == (f"{cls.__name__}(workflow='support', url='{GATEWAY}/chat/completions', mode='client')")
    assert CANARY_KEY not in repr(client)


def test_default_clocks() -> None:
    assert isinstance(Client(workflow(), base_url=GATEWAY)._clock, SystemClock)
    assert AsyncClient(workflow(), base_url=GATEWAY)._clock is LOOP_CLOCK
    clock = VirtualClock()
    assert Client(workflow(), base_url=GATEWAY, clock=clock)._clock is clock


class Shifted:
    """The event loop's time seen from an origin 1000 s earlier."""

    def now(self) -> float:
        return anyio.current_time() + 1000.0

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


@pytest.mark.anyio
async def test_the_async_client_keeps_time_on_its_clock() -> None:
    fake = FakeOpenRouter([Reply(delay_s=500), fail(429, "slow down", {"Retry-After": "7"}), ok()])
    wf = workflow(
        timeouts={"attempt_s": 10, "total_s": 60},
        retry={"max_attempts": 4, "max_attempts_per_route": 3, "on": {"timeout": "retry"}},
    )
    start = anyio.current_time()
    async with AsyncClient(
        wf, api_key=CANARY_KEY, base_url=GATEWAY, transport=fake.async_transport(), clock=Shifted()
    ) as client:
        result = await client.chat(HELLO)
    first, second, third = result.attempts
    assert first.started_at == pytest.approx(start + 1000.0)
    # The limits are cancel scopes on the loop: a limit read on the clock is cut on time.
    assert first.error_class is ErrorClass.TIMEOUT and first.latency_s == pytest.approx(10.0)
    assert fake.sent_at[1] - fake.sent_at[0] == pytest.approx(10.0 + second.wait_before_s)
    assert second.retry_after_s == 7.0 and third.wait_before_s >= 7.0
    assert result.ok and third.model == second.model == first.model
    assert third.started_at == pytest.approx(fake.sent_at[2] + 1000.0)
