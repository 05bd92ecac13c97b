"""The client applies on-call route overrides: per request, refreshed live, named in the result,
and a store that fails never reaches the app."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orcli.client.async_client import AsyncClient
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.overrides import Override, OverrideAction, new_override
from orcli.overrides.feed import FileFeed, FixedFeed, RedisFeed, open_feed
from orcli.overrides.store import FileStore
from orcli.policy.model import ErrorClass, Workflow
from orcli.upstream.simulator import Simulator
from orcli.upstream.transport import AsyncSimulatorTransport, SimulatorTransport
from tests.redis_server import free_port

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HELLO = [{"role": "user", "content": "Hello?"}]
CHAT = Workflow.model_validate(
    {"models": {"primary": "openai/gpt-4o-mini", "fallbacks": ["anthropic/claude-haiku-4.5"]}}
)
PINNED = Workflow.model_validate({"models": {"primary": "openai/gpt-4o-mini"}, "provider": {"only": ["azure"]}})


def disable(*, provider: str | None = None, model: str | None = None, ttl: timedelta | None = None) -> Override:
    return new_override(
        action=OverrideAction.DISABLE,
        provider=provider,
        model=model,
        reason="incident",
        created_at=T0,
        created_by="oncall",
        expires_at=T0 + ttl if ttl else None,
    )


class WallClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


def client(sim: Simulator, wf: Workflow = CHAT, **kwargs: Any) -> Client:
    kwargs.setdefault("wall_now", WallClock(T0))
    return Client(
        wf, api_key="sk-or-v1-test", transport=SimulatorTransport(sim, VirtualClock()), workflow_name="chat", **kwargs
    )


def providers(sim: Simulator) -> list[str]:
    return [a.provider for a in sim.log]


def test_an_override_shapes_the_request_and_the_result_names_it() -> None:
    sim = Simulator()
    openai = disable(provider="openai")
    result = client(sim, overrides=FixedFeed((openai,))).chat(HELLO)
    assert result.ok
    assert result.overrides == (openai.id,)
    assert "OpenAI" not in providers(sim)
    assert result.served_provider != "OpenAI"


def test_without_overrides_nothing_changes() -> None:
    sim = Simulator()
    result = client(sim).chat(HELLO)  # ORCLI_OVERRIDES is not set in tests
    assert result.ok and result.overrides == ()


def test_expiry_is_judged_at_request_time() -> None:
    sim = Simulator()
    wall = WallClock(T0 + timedelta(minutes=14))
    timed = disable(model="openai/gpt-4o-mini", ttl=timedelta(minutes=15))
    app = client(sim, overrides=FixedFeed((timed,)), wall_now=wall)
    assert app.chat(HELLO).chain == ("anthropic/claude-haiku-4.5",)
    wall.at = T0 + timedelta(minutes=15)
    after = app.chat(HELLO)
    assert after.overrides == ()
    assert after.chain == ("openai/gpt-4o-mini", "anthropic/claude-haiku-4.5")


def test_a_file_store_changed_by_another_process_applies_after_the_next_check(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    ticks = [0.0]
    feed = FileFeed(path, monotonic=lambda: ticks[0])
    sim = Simulator()
    app = client(sim, overrides=feed, wall_now=lambda: datetime.now(UTC).timestamp())
    assert app.chat(HELLO).overrides == ()
    done = subprocess.run(
        [sys.executable, "-m", "orcli", "route", "disable", "--provider", "openai", "--reason", "openai 5xx",
         "--ttl", "1h", "--overrides", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    override_id = done.stdout.split()[1].rstrip(":")
    assert app.chat(HELLO).overrides == ()  # checked less than a second ago: not yet
    ticks[0] += 1.0
    result = app.chat(HELLO)
    assert result.overrides == (override_id,)
    assert result.served_provider != "OpenAI"


def test_a_redis_store_changed_by_another_process_applies_within_a_second(redis_url: str) -> None:
    feed = open_feed(redis_url)
    assert isinstance(feed, RedisFeed)
    sim = Simulator()
    app = client(sim, overrides=feed, wall_now=lambda: datetime.now(UTC).timestamp())
    try:
        assert app.chat(HELLO).overrides == ()
        seen = feed.version
        done = subprocess.run(
            [sys.executable, "-m", "orcli", "route", "disable", "--provider", "openai", "--reason", "openai 5xx",
             "--ttl", "1h", "--overrides", redis_url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert feed.wait_for(lambda f: f.version > seen, timeout_s=1.0)
        result = app.chat(HELLO)
        assert result.overrides == (done.stdout.split()[1].rstrip(":"),)
        assert result.served_provider != "OpenAI"
    finally:
        app.close()


def test_the_url_in_the_environment_is_the_default(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from orcli.overrides.location import open_store

    stored = open_store(redis_url).add(disable(provider="openai"), now=T0)
    monkeypatch.setenv("ORCLI_OVERRIDES", redis_url)
    app = client(Simulator())
    try:
        assert app.chat(HELLO).overrides == (stored.id,)
    finally:
        app.close()
    assert client(Simulator(), overrides=None).chat(HELLO).overrides == ()  # None: the policy alone


def test_a_404_caused_by_an_override_names_it_beside_openrouters_words() -> None:
    sim = Simulator()
    azure = disable(provider="azure")
    result = client(sim, PINNED, overrides=FixedFeed((azure,))).chat(HELLO)
    assert not result.ok
    assert result.error_class is ErrorClass.ROUTING_CONSTRAINT
    assert result.error_message is not None
    assert result.error_message.startswith("404 not_found: No allowed providers are available for the selected model.")
    assert result.error_message.endswith(f"(route override {azure.id} (disable provider azure in every workflow))")
    assert result.overrides == (azure.id,)


def test_an_override_that_removes_every_model_refuses_without_sending() -> None:
    sim = Simulator()
    gone = disable(model="openai/gpt-4o-mini")
    result = client(sim, PINNED, overrides=FixedFeed((gone,))).chat(HELLO)
    assert not result.ok and result.attempts == ()
    assert sim.requests == ()  # nothing was sent
    assert result.error_class is ErrorClass.ROUTING_CONSTRAINT
    assert result.error_message == (
        f"workflow 'chat': override {gone.id} (disable model openai/gpt-4o-mini in every workflow) removes its "
        f"last model; run 'orcli route enable {gone.id}' to restore it"
    )
    assert result.overrides == (gone.id,)


def test_overrides_keep_the_breakers_and_the_spend() -> None:
    sim = Simulator()
    wall = WallClock(T0)
    app = client(sim, overrides=FixedFeed((disable(provider="groq", ttl=timedelta(minutes=1)),)), wall_now=wall)
    first = app.chat(HELLO)
    spent = app.spent_usd
    assert first.ok and spent > 0
    wall.at = T0 + timedelta(minutes=2)
    app.chat(HELLO)
    assert app.spent_usd > spent  # one lifetime spend, whichever overrides shaped each request


def test_redis_down_keeps_serving_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="orcli.overrides"):
        app = client(Simulator(), overrides=f"redis://127.0.0.1:{free_port()}/0")
        try:
            results = [app.chat(HELLO) for _ in range(3)]
        finally:
            app.close()
    assert all(r.ok and r.overrides == () for r in results)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot read redis://127.0.0.1:" in warnings[0]


def test_a_broken_file_keeps_the_last_overrides(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    stored = FileStore(path, actor="oncall").add(disable(provider="openai"), now=T0)
    ticks = [0.0]
    app = client(Simulator(), overrides=FileFeed(path, monotonic=lambda: ticks[0]))
    assert app.chat(HELLO).overrides == (stored.id,)
    path.write_text("overrides: [broken")
    ticks[0] += 5
    assert app.chat(HELLO).overrides == (stored.id,)


@pytest.mark.anyio
async def test_the_async_client_applies_them_the_same_way() -> None:
    sim = Simulator()
    openai = disable(provider="openai")
    app = AsyncClient(
        CHAT,
        api_key="sk-or-v1-test",
        transport=AsyncSimulatorTransport(sim),
        workflow_name="chat",
        wall_now=WallClock(T0),
        overrides=FixedFeed((openai,)),
    )
    result = await app.chat(HELLO)
    await app.aclose()
    assert result.ok and result.overrides == (openai.id,)
    assert "OpenAI" not in providers(sim)


def test_the_openai_sdk_drop_in_applies_them_through_the_same_client(orcli_mock: Any) -> None:
    import openai

    import orcli

    disabled = disable(model="openai/gpt-4o-mini")
    http_client = orcli.openai_http_client(
        CHAT,
        "support",
        transport=orcli_mock.transport(),
        clock=orcli_mock.clock,
        wall_now=WallClock(T0),
        overrides=FixedFeed((disabled,)),
    )
    sdk = openai.OpenAI(base_url=orcli_mock.base_url, api_key="sk-or-test", http_client=http_client, max_retries=0)
    raw = sdk.chat.completions.with_raw_response.create(model="openai/gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    result = orcli.chat_result(raw)
    assert result is not None and result.ok
    assert result.overrides == (disabled.id,)
    assert raw.parse().model == "anthropic/claude-haiku-4.5"
