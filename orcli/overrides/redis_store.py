"""The overrides in Redis: one store for a fleet, changed atomically, announced at once.

Keys, all under the location's prefix (default ``orcli:``)::

    {prefix}override:{id}   one override as JSON; Redis deletes it at its expiry (PXAT)
    {prefix}index           sorted set of ids, scored by the order they were added
    {prefix}seq             a counter bumped by every change: the version writers WATCH
    {prefix}audit           stream: one entry per override touched (the file store's audit lines)
    {prefix}changes         pub/sub channel: the new version, published by every change

A write reads everything under ``WATCH {prefix}seq``, decides its change with the same
pure functions as the file store (:mod:`orcli.overrides.changes`), then commits the
keys, the audit entries, the version bump and the announcement in one ``MULTI``/``EXEC``.
If another writer got in between, ``EXEC`` fails and the write is decided again on what
is there now. A writer killed mid-change never reaches ``EXEC``: Redis drops the queued
commands with the connection, so the store holds the old state or the new, never a mix.

Reads run one Lua script, so a reader sees the index and the overrides of one version.
Ids whose key has expired are skipped, and the next write drops them from the index.

redis-py is imported when a store is opened: ``pip install 'orcli[redis]'``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from orcli.errors import InputError, InvalidValue
from orcli.overrides.changes import Change, PlannedStore
from orcli.overrides.model import Override, OverridesFile
from orcli.overrides.store import current_actor
from orcli.overrides.url import RedisLocation, StoreUnavailable

CONNECT_TIMEOUT_S = 2.0
COMMAND_TIMEOUT_S = 5.0
WRITE_DEADLINE_S = 30.0  # how long a write keeps retrying against other writers
AUDIT_MAXLEN = 100_000  # trimmed approximately: a bounded history, oldest entries first out

T = TypeVar("T")

# KEYS: index, seq. ARGV: the prefix of override keys. Returns [version, ids, values].
_READ_SCRIPT = """
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local values = {}
if #ids > 0 then
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = ARGV[1] .. id end
  values = redis.call('MGET', unpack(keys))
end
return {redis.call('GET', KEYS[2]) or '0', ids, values}
"""


def import_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise InvalidValue(
            "--overrides: a redis:// store needs the redis package: pip install 'orcli[redis]'"
        ) from None
    return redis


class RedisKeys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.override_prefix = f"{prefix}override:"
        self.index = f"{prefix}index"
        self.seq = f"{prefix}seq"
        self.audit = f"{prefix}audit"
        self.channel = f"{prefix}changes"

    def override(self, override_id: str) -> str:
        return f"{self.override_prefix}{override_id}"


class Snapshot:
    """One version of the store, as read by the script."""

    def __init__(self, version: int, content: OverridesFile, dangling: tuple[str, ...]) -> None:
        self.version = version
        self.content = content
        self.dangling = dangling  # ids in the index whose override Redis has expired


def connect(location: RedisLocation) -> Any:
    """A ``redis.Redis`` (typed ``Any``: redis-py's sync and async return types share one union)."""
    module = import_redis()
    return module.Redis.from_url(
        location.url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=COMMAND_TIMEOUT_S,
    )


class RedisStore(PlannedStore):
    """The overrides at a ``redis://`` location; the same methods as the file store."""

    def __init__(self, location: RedisLocation, *, actor: str | None = None, client: Any = None) -> None:
        self.where = location
        self.keys = RedisKeys(location.prefix)
        self.actor = actor if actor is not None else current_actor()
        self.client: Any = client if client is not None else connect(location)
        self._redis = import_redis()

    @property
    def location(self) -> str:
        return self.where.display

    def close(self) -> None:
        self.client.close()

    def read(self) -> OverridesFile:
        return self._guard(lambda: self.snapshot(self.client).content)

    def version(self) -> int:
        return self._guard(lambda: int(self.client.get(self.keys.seq) or 0))

    def snapshot(self, conn: Any) -> Snapshot:
        """Everything stored, at one version (``conn``: the client, or a pipeline under WATCH)."""
        version, ids, values = conn.eval(_READ_SCRIPT, 2, self.keys.index, self.keys.seq, self.keys.override_prefix)
        overrides: list[Override] = []
        dangling: list[str] = []
        for override_id, value in zip(ids, values or [None] * len(ids), strict=True):
            if value is None:
                dangling.append(override_id)
                continue
            try:
                overrides.append(Override.model_validate_json(value))
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]["msg"]
                raise InputError(f"{self.location}: key {self.keys.override(override_id)}: {problem}") from None
        try:
            content = OverridesFile(overrides=tuple(overrides))
        except ValidationError as exc:
            raise InputError(f"{self.location}: {exc.errors(include_url=False)[0]['msg']}") from None
        return Snapshot(int(version), content, tuple(dangling))

    def _commit(self, decide: Callable[[OverridesFile], Change], now: datetime) -> Change:
        return self._guard(lambda: self._commit_once_settled(decide, now))

    def _commit_once_settled(self, decide: Callable[[OverridesFile], Change], now: datetime) -> Change:
        deadline = time.monotonic() + WRITE_DEADLINE_S
        while True:
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(self.keys.seq)
                    snap = self.snapshot(pipe)
                    change = decide(snap.content)
                    if change.empty:
                        return change
                    pipe.multi()
                    self._queue(pipe, snap, change, now)
                    pipe.execute()
                    return change
                except self._redis.WatchError:
                    if time.monotonic() > deadline:
                        raise StoreUnavailable(
                            f"{self.location}: other writers kept changing the overrides for "
                            f"{WRITE_DEADLINE_S:g} s; try again"
                        ) from None

    def _queue(self, pipe: Any, snap: Snapshot, change: Change, now: datetime) -> None:
        keys = self.keys
        gone = [o.id for o in change.removed] + list(snap.dangling)
        if gone:
            pipe.delete(*(keys.override(i) for i in gone))
            pipe.zrem(keys.index, *gone)
        if change.added is not None:
            added = change.added
            expires = added.expires_at
            pipe.set(
                keys.override(added.id),
                added.model_dump_json(),
                pxat=int(expires.timestamp() * 1000) if expires is not None else None,
            )
            pipe.zadd(keys.index, {added.id: snap.version + 1})
        for event in change.events:
            record = event.record(now, self.actor)
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in record.items() if v is not None}
            pipe.xadd(keys.audit, fields, maxlen=AUDIT_MAXLEN, approximate=True)
        pipe.incr(keys.seq)
        pipe.publish(keys.channel, str(snap.version + 1))

    def audit(self, count: int = 100) -> list[dict[str, Any]]:
        """The newest ``count`` audit entries, oldest first, with the file log's field types."""

        def read() -> list[dict[str, Any]]:
            entries = self.client.xrevrange(self.keys.audit, count=count)
            return [audit_entry(fields) for _, fields in reversed(entries)]

        return self._guard(read)

    def _guard(self, action: Callable[[], T]) -> T:
        """Run ``action``, turning an unreachable Redis into one secret-free line."""
        try:
            return action()
        except self._redis.AuthenticationError:  # before ConnectionError, its base class
            raise StoreUnavailable(f"{self.location}: Redis refused the credentials in the URL") from None
        except (self._redis.ConnectionError, self._redis.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"{self.location}: cannot reach Redis ({describe_error(exc)})") from None
        except self._redis.ResponseError as exc:
            raise StoreUnavailable(f"{self.location}: Redis answered an error ({describe_error(exc)})") from None


AUDIT_FIELDS = ("at", "actor", "event", "id", "what", "why", "expires_at", "override")


def audit_entry(fields: dict[str, str]) -> dict[str, Any]:
    """A stream entry back as the audit record it was written from (absent fields were None)."""
    record: dict[str, Any] = {key: fields.get(key) for key in AUDIT_FIELDS}
    if record["override"] is not None:
        record["override"] = json.loads(record["override"])
    return record


def describe_error(exc: BaseException) -> str:
    """The error's class and first line; redis-py's messages name host and port, never the password."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
