"""What a write to the overrides store does, decided without touching any store.

Every store (the file, Redis) runs the same loop: read what is stored, decide the
change here, then commit it only if nothing changed in between (the file store
re-decides under its lock, Redis retries its WATCH). Keeping the decision pure means
the expensive part (a caller's check, which may plan routes over the whole catalog)
runs outside any lock, and both stores refuse and audit in exactly the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from orcli.errors import InvalidValue
from orcli.overrides.model import Override, OverridesFile, unique_id
from orcli.overrides.timefmt import iso_utc

AuditEventKind = Literal["add", "enable", "clear"]
# Runs with the overrides the addition would join (after any --replace) and the one
# being added; raises to refuse the addition.
AddCheck = Callable[[tuple[Override, ...], Override], None]


@dataclass(frozen=True)
class AuditEvent:
    kind: AuditEventKind
    override: Override
    why: str | None

    def record(self, now: datetime, actor: str) -> dict[str, Any]:
        """One audit entry: the same fields in the file's JSON lines and Redis's stream."""
        o = self.override
        return {
            "at": iso_utc(now),
            "actor": actor,
            "event": self.kind,
            "id": o.id,
            "what": o.describe(),
            "why": self.why,
            "expires_at": iso_utc(o.expires_at) if o.expires_at else None,
            "override": o.audit_json(),
        }


@dataclass(frozen=True)
class Change:
    """The stored overrides after a write, and what the audit log says about it."""

    before: OverridesFile
    after: OverridesFile
    removed: tuple[Override, ...]
    added: Override | None
    events: tuple[AuditEvent, ...]

    @property
    def empty(self) -> bool:
        return not self.events


def plan_add(
    current: OverridesFile,
    override: Override,
    *,
    check: AddCheck | None = None,
    replace: Sequence[str] = (),
    location: str = "the store",
) -> Change:
    """Add ``override`` (a fresh id if its id is taken), first removing the ``replace`` ids."""
    removed: list[Override] = []
    for override_id in replace:
        found = current.find(override_id)
        if found is None:
            raise InvalidValue(f"--replace: {_unknown(override_id, current, location)}")
        removed.append(found)
    kept = tuple(o for o in current.overrides if o not in removed)
    stored = unique_id(override, {o.id for o in current.overrides})
    if check is not None:
        check(kept, stored)
    replaced = tuple(AuditEvent("enable", o, f"replaced by {stored.id}: {stored.reason}") for o in removed)
    return Change(
        current,
        OverridesFile(overrides=(*kept, stored)),
        tuple(removed),
        stored,
        (*replaced, AuditEvent("add", stored, stored.reason)),
    )


def plan_enable(current: OverridesFile, override_id: str, *, why: str | None, location: str = "the store") -> Change:
    """Remove one override, which re-enables the route it disabled or forced."""
    found = current.find(override_id)
    if found is None:
        raise InvalidValue(_unknown(override_id, current, location))
    kept = tuple(o for o in current.overrides if o.id != override_id)
    return Change(current, OverridesFile(overrides=kept), (found,), None, (AuditEvent("enable", found, why),))


def plan_clear(current: OverridesFile, *, now: datetime, expired_only: bool, why: str | None) -> Change:
    """Remove every override, or only those expired at ``now``."""
    removed = tuple(o for o in current.overrides if not (expired_only and o.is_active(now)))
    kept = tuple(o for o in current.overrides if o not in removed)
    events = tuple(AuditEvent("clear", o, why) for o in removed)
    return Change(current, OverridesFile(overrides=kept), removed, None, events)


def _unknown(override_id: str, current: OverridesFile, location: str) -> str:
    known = ", ".join(o.id for o in current.overrides) or "none"
    return f"{location}: no override '{override_id}' (ids in the store: {known})"


class PlannedStore(ABC):
    """The writing verbs every store shares: each is a decision above, committed by the
    store's own ``_commit`` (a file swap under a lock, or a Redis transaction)."""

    @property
    @abstractmethod
    def location(self) -> str: ...

    @abstractmethod
    def _commit(self, decide: Callable[[OverridesFile], Change], now: datetime) -> Change: ...

    def add(
        self, override: Override, *, now: datetime, check: AddCheck | None = None, replace: Sequence[str] = ()
    ) -> Override:
        """Append ``override`` (with a fresh id if its id is taken) and return it as stored."""
        change = self._commit(
            lambda current: plan_add(current, override, check=check, replace=replace, location=self.location), now
        )
        assert change.added is not None
        return change.added

    def enable(self, override_id: str, *, now: datetime, why: str | None = None) -> Override:
        """Remove one override, which re-enables the route it disabled or forced."""
        change = self._commit(lambda current: plan_enable(current, override_id, why=why, location=self.location), now)
        return change.removed[0]

    def clear(self, *, now: datetime, expired_only: bool = False, why: str | None = None) -> tuple[Override, ...]:
        """Remove every override (or only the expired ones); returns what was removed."""
        change = self._commit(lambda current: plan_clear(current, now=now, expired_only=expired_only, why=why), now)
        return change.removed
