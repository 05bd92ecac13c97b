"""Feeds: what a running client sees of the store, fresh within a second, and never an exception."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orcli.overrides import Override, OverrideAction, new_override
from orcli.overrides.feed import FileFeed, RedisFeed, open_feed
from orcli.overrides.location import RedisLocation, open_store, parse_location
from orcli.overrides.store import FileStore
from tests.redis_server import redis_server

NOW = datetime.now(UTC).replace(microsecond=0)


def disable(provider: str) -> Override:
    return new_override(
        action=OverrideAction.DISABLE,
        provider=provider,
        reason="incident",
        created_at=NOW,
        created_by="tester",
        expires_at=NOW + timedelta(hours=1),
    )


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_rechecked_at_most_once_a_second(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    store = FileStore(path, actor="oncall")
    ticks = Ticks()
    feed = FileFeed(path, monotonic=ticks)
    assert feed.overrides() == ()

    groq = store.add(disable("groq"), now=NOW)
    ticks.now += 0.5
    assert feed.overrides() == ()  # checked half a second ago: not yet
    ticks.now += 0.5
    assert feed.overrides() == (groq,)
    store.enable(groq.id, now=NOW)
    ticks.now += 1.0
    assert feed.overrides() == ()


def test_a_broken_file_keeps_the_last_overrides_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "overrides.yaml"
    groq = FileStore(path, actor="oncall").add(disable("groq"), now=NOW)
    ticks = Ticks()
    feed = FileFeed(path, monotonic=ticks)
    assert feed.overrides() == (groq,)
    good = path.read_text()
    with caplog.at_level(logging.INFO, logger="orcli.overrides"):
        path.write_text(good.replace("action: disable", "action: [broken"))
        for _ in range(3):
            ticks.now += 1.0
            assert feed.overrides() == (groq,)
        assert not feed.healthy
        path.write_text(good + "\n")
        ticks.now += 1.0
        assert feed.overrides() == (groq,) and feed.healthy
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(messages) == 2
    assert messages[0][0] == "WARNING" and f"cannot read {path} (" in messages[0][1]
    assert "keeping the 1 override(s) last read" in messages[0][1]
    assert messages[1] == ("INFO", f"route overrides: {path} can be read again")


def test_a_redis_feed_applies_a_disable_made_by_another_process_within_a_second(redis_url: str) -> None:
    feed = open_feed(redis_url)
    assert isinstance(feed, RedisFeed)
    try:
        assert feed.overrides() == ()
        started = feed.version
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "orcli",
                "route",
                "disable",
                "--provider",
                "groq",
                "--reason",
                "storm",
                "--overrides",
                redis_url,
                "--ttl",
                "1h",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        returned = time.monotonic()
        assert done.returncode == 0, done.stderr
        assert feed.wait_for(lambda f: f.version > started, timeout_s=1.0)
        assert time.monotonic() - returned < 1.0
        assert [o.provider for o in feed.overrides()] == ["groq"]
    finally:
        feed.close()


def test_redis_going_down_keeps_the_last_overrides_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="orcli.overrides"):
        with redis_server() as port:
            url = f"redis://127.0.0.1:{port}/0"
            groq = open_store(url).add(disable("groq"), now=NOW)
            location = parse_location(url)
            assert isinstance(location, RedisLocation)
            feed = RedisFeed(location)
            assert feed.overrides() == (groq,)
        try:
            assert feed.wait_for(lambda f: f.failures >= 3, timeout_s=30)  # retried, and still quiet
            assert feed.overrides() == (groq,)  # the app keeps routing around groq
            assert not feed.healthy
        finally:
            feed.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"route overrides: cannot read redis://127.0.0.1:{port}/0 (prefix orcli:) (")
    assert warnings[0].endswith("keeping the 1 override(s) last read until it can be read again")
