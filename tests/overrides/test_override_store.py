"""The overrides file on disk: concurrent writers, the audit log, broken files."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from filelock import FileLock

from orcli.errors import InputError, InvalidValue, SourceError
from orcli.overrides import (
    Override,
    OverrideAction,
    OverridesFile,
    OverrideStore,
    audit_log_path,
    current_actor,
    load_overrides,
    new_override,
    overrides_path,
)

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


def _writer(path: str, writer: int) -> None:
    store = OverrideStore(path, actor=f"writer-{writer}")
    for n in range(WRITES_EACH):
        # Same content and instant in every process: ids clash on purpose, the store must resolve it.
        store.add(disable("groq", reason=f"w{writer} n{n}"), now=T0)
        if n == 0:
            store.add(disable("together", reason="same everywhere"), now=T0)


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".orcli" / "overrides.yaml"
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no state shared through fork
    procs = [ctx.Process(target=_writer, args=(str(path), w)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    stored = load_overrides(path).overrides
    expected = {f"w{w} n{n}" for w in range(WRITERS) for n in range(WRITES_EACH)}
    assert {o.reason for o in stored if o.provider == "groq"} == expected
    assert sum(o.provider == "together" for o in stored) == WRITERS  # identical content: still eight entries
    assert len(stored) == WRITERS * WRITES_EACH + WRITERS
    assert len({o.id for o in stored}) == len(stored)
    audit = [json.loads(line) for line in audit_log_path(path).read_text().splitlines()]
    assert len(audit) == len(stored)
    assert [a["id"] for a in audit] == [o.id for o in stored]  # the log is in commit order, like the file
    assert {a["actor"] for a in audit} == {f"writer-{w}" for w in range(WRITERS)}
    assert not list(path.parent.glob("*.tmp"))


def test_add_enable_clear_and_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    store = OverrideStore(path, actor="alice")
    groq = store.add(disable("groq", reason="5xx storm", ttl=timedelta(hours=2)), now=T0)
    together = store.add(
        disable("together", reason="slow", at=T0 + timedelta(minutes=1)), now=T0 + timedelta(minutes=1)
    )
    assert load_overrides(path) == OverridesFile(overrides=(groq, together))

    assert store.enable(groq.id, now=T0 + timedelta(minutes=5), why="recovered") == groq
    assert store.read().overrides == (together,)
    with pytest.raises(InvalidValue) as info:
        store.enable(groq.id, now=T0)
    assert info.value.message == f"{path}: no override '{groq.id}' (ids in the store: {together.id})"

    assert store.clear(now=T0 + timedelta(minutes=6)) == (together,)
    assert store.read().overrides == ()
    assert store.clear(now=T0 + timedelta(minutes=7)) == ()

    audit = [json.loads(line) for line in (tmp_path / "overrides.audit.jsonl").read_text().splitlines()]
    assert [(a["event"], a["id"], a["why"]) for a in audit] == [
        ("add", groq.id, "5xx storm"),
        ("add", together.id, "slow"),
        ("enable", groq.id, "recovered"),
        ("clear", together.id, None),
    ]
    assert audit[0] == {
        "at": "2030-01-01T12:00:00Z",
        "actor": "alice",
        "event": "add",
        "id": groq.id,
        "what": "disable provider groq in every workflow",
        "why": "5xx storm",
        "expires_at": "2030-01-01T14:00:00Z",
        "override": groq.model_dump(mode="json"),
    }


def test_clear_expired_keeps_active_ones(tmp_path: Path) -> None:
    store = OverrideStore(tmp_path / "o.yaml", actor="bob")
    short = store.add(disable("groq", ttl=timedelta(minutes=15)), now=T0)
    long = store.add(disable("together", ttl=timedelta(hours=3)), now=T0)
    forever = store.add(disable("novita"), now=T0)
    assert store.clear(now=T0 + timedelta(minutes=14), expired_only=True) == ()
    assert store.clear(now=T0 + timedelta(minutes=15), expired_only=True) == (short,)
    assert store.read().overrides == (long, forever)


def test_missing_and_empty_files_hold_no_overrides(tmp_path: Path) -> None:
    assert load_overrides(tmp_path / "nope.yaml") == OverridesFile()
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    assert load_overrides(empty) == OverridesFile()


BROKEN = {
    "syntax": (
        "overrides:\n  - id: ovr-12345678\n    action: [disable\n",
        "4:1: YAML syntax error: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence at 3:13)",
    ),
    "field": (
        "overrides:\n  - id: ovr-12345678\n    action: disable\n    provider: groq\n    reason: x\n"
        "    created_at: 2030-01-01T12:00:00Z\n    created_by: me\n    expires: 2h\n",
        "8:5: overrides[0].expires: unknown key; did you mean 'expires_at'?",
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_file_is_reported_and_never_overwritten(tmp_path: Path, kind: str) -> None:
    text, where = BROKEN[kind]
    path = tmp_path / "overrides.yaml"
    path.write_text(text)
    before = path.read_bytes()
    store = OverrideStore(path, actor="carol")
    for action in (
        lambda: store.read(),
        lambda: store.add(disable("groq"), now=T0),
        lambda: store.clear(now=T0),
        lambda: store.enable("ovr-12345678", now=T0),
    ):
        with pytest.raises(SourceError) as info:
            action()
        assert info.value.message == f"{path}:{where}"
    assert path.read_bytes() == before
    assert not audit_log_path(path).exists()


def test_a_leftover_temporary_file_from_a_crashed_writer_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    store = OverrideStore(path, actor="dan")
    kept = store.add(disable("groq"), now=T0)
    (tmp_path / ".overrides.yaml.abc123.tmp").write_text("overrides: [half a wri")
    assert store.read().overrides == (kept,)
    added = store.add(disable("together"), now=T0)
    assert store.read().overrides == (kept, added)


def test_a_held_lock_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    store = OverrideStore(path, actor="erin", lock_timeout_s=0)
    with FileLock(str(store.lock_path)), pytest.raises(InputError) as info:
        store.add(disable("groq"), now=T0)
    assert info.value.message == (
        f"{path}: another writer has held the lock for over 0 s ({store.lock_path}); try again"
    )
    assert not path.exists()


def test_a_refused_check_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    store = OverrideStore(path, actor="fay")
    first = store.add(disable("groq"), now=T0)
    seen: list[tuple[tuple[Override, ...], Override]] = []

    def refuse(existing: tuple[Override, ...], candidate: Override) -> None:
        seen.append((existing, candidate))
        raise InvalidValue("refused")

    with pytest.raises(InvalidValue):
        store.add(disable("together"), now=T0, check=refuse)
    assert seen[0][0] == (first,) and seen[0][1].provider == "together"
    assert store.read().overrides == (first,)
    assert len(audit_log_path(path).read_text().splitlines()) == 1


def test_path_and_actor_resolution(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "src").mkdir()
    assert overrides_path("x.yaml", {"ORCLI_OVERRIDES": "env.yaml"}) == Path("x.yaml")
    assert overrides_path(None, {"ORCLI_OVERRIDES": "env.yaml"}) == Path("env.yaml")
    assert overrides_path(None, {}, cwd=tmp_path / "src") == tmp_path / ".orcli/overrides.yaml"
    assert current_actor({"ORCLI_ACTOR": "pager", "USER": "u"}) == "pager"
    assert current_actor({"USER": "u", "LOGNAME": "l"}) == "u"
    assert current_actor({"LOGNAME": "l"}) == "l"
    assert current_actor({}) == "unknown"


def test_checks_run_outside_the_lock_and_are_decided_again_when_someone_got_in_first(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    slow = OverrideStore(path, actor="slow", lock_timeout_s=0)
    quick = OverrideStore(path, actor="quick", lock_timeout_s=0)  # any wait for the lock refuses it
    seen: list[tuple[str, ...]] = []

    def check(existing: tuple[Override, ...], candidate: Override) -> None:
        seen.append(tuple(o.provider or "" for o in existing))
        # Other on-call engineers write while this (slow) check is still running, twice:
        # neither the first decision nor the second may hold the lock meanwhile.
        if len(seen) == 1:
            quick.add(disable("together"), now=T0)
        elif len(seen) == 2:
            quick.add(disable("novita"), now=T0)

    added = slow.add(disable("groq"), now=T0, check=check)
    assert seen == [(), ("together",), ("together", "novita")]  # decided again on what was stored
    assert [o.provider for o in load_overrides(path).overrides] == ["together", "novita", added.provider]
    audit = [json.loads(line)["actor"] for line in audit_log_path(path).read_text().splitlines()]
    assert audit == ["quick", "quick", "slow"]
