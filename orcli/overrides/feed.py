"""The overrides a long-running process (the client) sees, kept fresh without a restart.

A feed hands out the overrides it last read, instantly and without raising; the client
judges expiry itself, at request time (:mod:`orcli.overrides.effect`). How a feed stays
fresh depends on the store:

- a file is re-checked at most once a second: one ``stat`` (mtime, size, inode), and a
  re-read only when it changed;
- Redis is watched by a background thread subscribed to the store's channel: every
  ``orcli route`` change publishes, and the thread re-reads at once. It also re-reads
  every ``refresh_s`` and after every reconnect, in case an announcement was missed.

A store that cannot be read (a file broken by hand, Redis down) leaves the feed with the
overrides it last knew; the first failure is logged once as a warning on the
``orcli.overrides`` logger, the recovery once as info. No exception reaches the app.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from orcli.errors import OrcliError
from orcli.overrides.location import Location, RedisLocation, store_location
from orcli.overrides.model import Override
from orcli.overrides.store import load_overrides

log = logging.getLogger("orcli.overrides")
FILE_CHECK_INTERVAL_S = 1.0
REDIS_REFRESH_S = 30.0
REDIS_FIRST_READ_WAIT_S = 2.0  # how long opening a feed waits for Redis before starting with none
RECONNECT_BACKOFF_S = (0.2, 5.0)  # first and longest wait between reconnection attempts


class Feed(Protocol):
    @property
    def location(self) -> str: ...

    def overrides(self) -> tuple[Override, ...]:
        """The overrides last read, expired ones included. Never raises."""
        ...

    def close(self) -> None: ...


class FixedFeed:
    """Overrides read once: a drill's snapshot, or a test's own list."""

    def __init__(self, overrides: tuple[Override, ...] = (), location: str = "(fixed)") -> None:
        self._overrides = overrides
        self._location = location

    @property
    def location(self) -> str:
        return self._location

    def overrides(self) -> tuple[Override, ...]:
        return self._overrides

    def close(self) -> None:
        pass


class _Health:
    """Says once that the store is unreachable, and once that it is back."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.failing = False
        self.failures = 0  # failed reads so far, logged or not

    def failed(self, problem: str, kept: int) -> None:
        self.failures += 1
        if not self.failing:
            self.failing = True
            log.warning(
                "route overrides: cannot read %s (%s); keeping the %d override(s) last read until it can be read again",
                self.location,
                problem,
                kept,
            )

    def recovered(self) -> None:
        if self.failing:
            self.failing = False
            log.info("route overrides: %s can be read again", self.location)


class FileFeed:
    """An overrides file, re-checked by its mtime at most once a second."""

    def __init__(
        self,
        path: Path,
        *,
        interval_s: float = FILE_CHECK_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._checked_at: float | None = None
        self._signature: tuple[int, int, int] | None = None
        self._overrides: tuple[Override, ...] = ()
        self._health = _Health(str(path))
        self._lock = threading.Lock()  # one re-check at a time when threads share a client
        self._refresh()

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def healthy(self) -> bool:
        return not self._health.failing

    def overrides(self) -> tuple[Override, ...]:
        checked = self._checked_at
        if checked is None or self._monotonic() - checked >= self._interval_s:
            with self._lock:
                self._refresh()
        return self._overrides

    def close(self) -> None:
        pass

    def _refresh(self) -> None:
        self._checked_at = self._monotonic()
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._signature = None
            self._overrides = ()  # a missing file holds no overrides: someone removed it on purpose
            self._health.recovered()
            return
        except OSError as exc:
            self._health.failed(exc.strerror or str(exc), len(self._overrides))
            return
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if signature == self._signature:
            return
        try:
            content = load_overrides(self.path)
        except OrcliError as exc:
            self._health.failed(exc.message, len(self._overrides))
            return
        self._signature = signature
        self._overrides = content.overrides
        self._health.recovered()


class RedisFeed:
    """A Redis store, followed by a background thread through its pub/sub channel."""

    def __init__(
        self,
        location: RedisLocation,
        *,
        refresh_s: float = REDIS_REFRESH_S,
        first_read_wait_s: float = REDIS_FIRST_READ_WAIT_S,
    ) -> None:
        from orcli.overrides.redis_store import RedisStore

        self._store = RedisStore(location)
        self._refresh_s = refresh_s
        self._overrides: tuple[Override, ...] = ()
        self._version = -1
        self._health = _Health(location.display)
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="orcli-overrides-feed", daemon=True)
        self._thread.start()
        with self._changed:
            self._changed.wait_for(lambda: self._version >= 0 or self._health.failing, first_read_wait_s)

    @property
    def location(self) -> str:
        return self._store.location

    @property
    def healthy(self) -> bool:
        return not self._health.failing

    @property
    def failures(self) -> int:
        return self._health.failures

    @property
    def version(self) -> int:
        """The store version last read; -1 before the first read."""
        return self._version

    def overrides(self) -> tuple[Override, ...]:
        return self._overrides

    def wait_for(self, predicate: Callable[[RedisFeed], bool], timeout_s: float) -> bool:
        """Block until ``predicate(self)`` holds after a read or a failure (for tests and benchmarks)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout_s)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._store.close()

    def _follow(self) -> None:
        from orcli.overrides.redis_store import describe_error, import_redis

        redis = import_redis()
        backoff = RECONNECT_BACKOFF_S[0]
        while not self._stop.is_set():
            pubsub: Any = None
            try:
                pubsub = self._store.client.pubsub()
                pubsub.subscribe(self._store.keys.channel)
                read_at = self._read()  # after subscribing: no change can fall between the two
                backoff = RECONNECT_BACKOFF_S[0]
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    # "subscribe" also arrives after redis-py reconnects by itself: re-read then too.
                    due = time.monotonic() - read_at >= self._refresh_s
                    if message is not None or due:
                        read_at = self._read()
            except (redis.RedisError, OSError, OrcliError) as exc:
                problem = exc.message if isinstance(exc, OrcliError) else describe_error(exc)
                with self._changed:
                    self._health.failed(problem, len(self._overrides))
                    self._changed.notify_all()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_BACKOFF_S[1])
            finally:
                if pubsub is not None:
                    with contextlib.suppress(redis.RedisError, OSError):
                        pubsub.close()

    def _read(self) -> float:
        snap = self._store.snapshot(self._store.client)
        with self._changed:
            self._overrides = snap.content.overrides
            self._version = snap.version
            self._health.recovered()
            self._changed.notify_all()
        return time.monotonic()


def open_feed(location: Location | str | None = None) -> Feed:
    """The feed for ``location`` (default: ``ORCLI_OVERRIDES``, else the project's file)."""
    if not isinstance(location, Path | RedisLocation):
        location = store_location(location)
    if isinstance(location, RedisLocation):
        return RedisFeed(location)
    return FileFeed(location)
