"""The Redis store against a real redis-server: atomic changes, the audit stream, TTLs, many writers."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orcli.errors import InputError, InvalidValue
from orcli.overrides import Override, OverrideAction, OverridesFile, new_override
from orcli.overrides.location import RedisLocation, StoreUnavailable, open_store, parse_location, store_location
from orcli.overrides.redis_store import RedisStore
from tests.overrides.conftest import Env
from tests.overrides.test_route_cli import added_id
from tests.redis_server import free_port

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WRITERS = 8
WRITES_EACH = 10


def disable(provider: str, *, reason: str = "incident", at: datetime = T0, ttl: timedelta | None = None) -> Override:
    return new_override(
        action=OverrideAction.DISABLE,
        provider=provider,
        reason=reason,
        created_at=at,
        created_by="tester",
        expires_at=at + ttl if ttl else None,
    )


def redis_store(url: str, actor: str = "tester") -> RedisStore:
    store = open_store(url, actor=actor)
    assert isinstance(store, RedisStore)
    return store


def test_add_enable_clear_and_the_audit_stream(redis_url: str) -> None:
    store = redis_store(redis_url, "alice")
    groq = store.add(disable("groq", reason="5xx storm", ttl=timedelta(hours=2)), now=T0)
    together = store.add(disable("together", reason="slow"), now=T0 + timedelta(minutes=1))
    assert store.read() == OverridesFile(overrides=(groq, together))
    assert redis_store(redis_url).read() == OverridesFile(overrides=(groq, together))  # what every reader sees

    assert store.enable(groq.id, now=T0 + timedelta(minutes=5), why="recovered") == groq
    assert store.read().overrides == (together,)
    with pytest.raises(InvalidValue) as info:
        store.enable(groq.id, now=T0)
    assert info.value.message == f"{store.location}: no override '{groq.id}' (ids in the store: {together.id})"
    assert store.clear(now=T0 + timedelta(minutes=6), why="incident closed") == (together,)
    assert store.read().overrides == ()

    audit = store.audit()
    assert [(a["event"], a["id"], a["why"]) for a in audit] == [
        ("add", groq.id, "5xx storm"),
        ("add", together.id, "slow"),
        ("enable", groq.id, "recovered"),
        ("clear", together.id, "incident closed"),
    ]
    assert audit[0] == {  # the same record as a line of the file store's audit log
        "at": "2030-01-01T12:00:00Z",
        "actor": "alice",
        "event": "add",
        "id": groq.id,
        "what": "disable provider groq in every workflow",
        "why": "5xx storm",
        "expires_at": "2030-01-01T14:00:00Z",
        "override": groq.model_dump(mode="json"),
    }
    assert audit[1]["expires_at"] is None


def test_each_override_expires_by_its_ttl_in_redis(redis_url: str) -> None:
    store = redis_store(redis_url)
    now = datetime.now(UTC).replace(microsecond=0)
    timed = store.add(disable("groq", at=now, ttl=timedelta(minutes=15)), now=now)
    forever = store.add(disable("together", at=now), now=now)
    key = store.keys.override(timed.id)
    assert store.client.pexpiretime(key) == int((now + timedelta(minutes=15)).timestamp() * 1000)
    assert store.client.pexpiretime(store.keys.override(forever.id)) == -1  # no expiry: until enabled

    store.client.delete(key)  # what Redis does at the expiry time
    assert store.read().overrides == (forever,)
    assert store.client.zrange(store.keys.index, 0, -1) == [timed.id, forever.id]
    added = store.add(disable("novita", at=now), now=now)
    assert store.client.zrange(store.keys.index, 0, -1) == [forever.id, added.id]  # the next write tidies up


def test_a_refused_check_writes_nothing_and_replace_is_one_change(redis_url: str) -> None:
    store = redis_store(redis_url)
    first = store.add(disable("groq"), now=T0)

    def refuse(existing: tuple[Override, ...], candidate: Override) -> None:
        raise InvalidValue(f"refused with {len(existing)} in force")

    with pytest.raises(InvalidValue, match="refused with 1 in force"):
        store.add(disable("together"), now=T0, check=refuse)
    assert store.read().overrides == (first,)
    assert store.version() == 1

    second = store.add(disable("together"), now=T0, replace=[first.id])
    assert store.read().overrides == (second,)
    assert store.version() == 2  # one change, not two
    assert [(a["event"], a["id"], a["why"]) for a in store.audit()][1:] == [
        ("enable", first.id, f"replaced by {second.id}: incident"),
        ("add", second.id, "incident"),
    ]


def _writer(url: str, writer: int) -> None:
    store = redis_store(url, f"writer-{writer}")
    for n in range(WRITES_EACH):
        # Same content and instant in every process: ids clash on purpose, the store must resolve it.
        store.add(disable("groq", reason=f"w{writer} n{n}"), now=T0)


def test_concurrent_writers_lose_nothing(redis_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(redis_url, w)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    store = redis_store(redis_url)
    stored = store.read().overrides
    assert {o.reason for o in stored} == {f"w{w} n{n}" for w in range(WRITERS) for n in range(WRITES_EACH)}
    assert len({o.id for o in stored}) == len(stored) == WRITERS * WRITES_EACH
    audit = store.audit(count=1000)
    assert [a["id"] for a in audit] == [o.id for o in stored]  # the stream is in commit order, like the index
    assert store.version() == len(stored)


def test_locations() -> None:
    loc = parse_location("redis://:s3cret@cache.internal:6380/2?prefix=payments:")
    assert loc == RedisLocation("redis://:s3cret@cache.internal:6380/2", "payments:")
    assert loc.display == "redis://cache.internal:6380/2 (prefix payments:)"  # never the password
    assert parse_location("rediss://h") == RedisLocation("rediss://h/0", "orcli:")
    assert parse_location("state/o.yaml") == Path("state/o.yaml")
    assert store_location(None, {"ORCLI_OVERRIDES": "redis://h:1/0"}) == RedisLocation("redis://h:1/0", "orcli:")
    for bad, message in (
        ("http://h/x", "--overrides: expected a file path or a redis:// URL, got a 'http://' URL"),
        ("redis://h/x", "--overrides: the database after the host must be a number, got '/x'"),
        ("redis://h/0?prefix=", "--overrides: prefix= must not be empty (it keeps orcli's keys apart from others')"),
    ):
        with pytest.raises(InvalidValue) as info:
            parse_location(bad)
        assert info.value.message == message


def test_an_unreachable_redis_is_one_line_without_the_password() -> None:
    port = free_port()  # nothing listens there
    store = open_store(f"redis://:hunter2@127.0.0.1:{port}/0")
    with pytest.raises(StoreUnavailable) as info:
        store.read()
    assert info.value.message.startswith(f"redis://127.0.0.1:{port}/0 (prefix orcli:): cannot reach Redis (")
    assert "hunter2" not in info.value.message
    assert isinstance(info.value, InputError)  # the command line exits 2: the store it was given is unusable


def test_orcli_route_against_redis(env: Env, redis_url: str) -> None:
    shown = parse_location(redis_url)
    assert isinstance(shown, RedisLocation)
    added = env.run(
        "route",
        "disable",
        "--provider",
        "groq",
        "--reason",
        "storm",
        "--ttl",
        "1h",
        "--overrides",
        redis_url,
        "--policy",
        str(env.policies),
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.endswith(f"  store: {shown.display}\n")
    override_id = added_id(added.stdout)
    listed = json.loads(env.run("route", "list", "--json", "--overrides", redis_url).stdout)
    assert [o["id"] for o in listed] == [override_id]
    compiled = env.run("compile", str(env.policy_file), "-w", "chat", env={"ORCLI_OVERRIDES": redis_url})
    assert json.loads(compiled.stdout)["request"]["provider"]["ignore"] == ["groq"]
    cleared = env.run("route", "clear", "--reason", "over", "--overrides", redis_url)
    assert cleared.stdout == f"removed 1 override(s): {override_id}\n  store: {shown.display}\n"


def test_orcli_route_with_redis_down_is_one_line_exit_2(env: Env) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    result = env.run("route", "disable", "--provider", "groq", "--reason", "r", "--overrides", url)
    assert result.exit_code == 2
    assert result.stderr.startswith("redis://127.0.0.1:")
    assert len(result.stderr.splitlines()) == 1 and "hunter2" not in result.output
