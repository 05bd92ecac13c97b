"""The overrides file on disk: read it, change it safely, and log every change.

Every change runs under an exclusive file lock (``<file>.lock``), re-reads the file,
writes the new content to a temporary file in the same folder and renames it over
the old one. So concurrent writers queue instead of losing each other's changes, and
a crash mid-write leaves either the old file or the new one, never half of either.

A file that does not parse stops every write with the loader's
``file:line:col: field: message`` error: it is never replaced by a "fixed" version
that would silently drop what someone wrote by hand.

Each change appends one JSON line per override touched to the audit log next to the
file (``overrides.audit.jsonl``): who, when, what, why and the expiry.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml

from orcli.errors import InputError, InvalidValue
from orcli.overrides.model import Override, OverridesFile, unique_id
from orcli.overrides.timefmt import iso_utc
from orcli.sourcefile import load_document, parse_model

DEFAULT_PATH = Path(".orcli") / "overrides.yaml"
ENV_VAR = "ORCLI_OVERRIDES"
ACTOR_VARS = ("ORCLI_ACTOR", "USER", "LOGNAME")
LOCK_TIMEOUT_S = 10.0
NEW_FILE_MODE = 0o644  # a team's shared state: readable by everyone who resolves policies

AuditEvent = Literal["add", "enable", "clear"]
# Runs under the lock with the overrides already in the file and the one being added;
# raises to refuse the addition.
AddCheck = Callable[[tuple[Override, ...], Override], None]

_HEADER = (
    "# Route overrides in force, managed by `orcli route` (see docs/overrides.md).\n"
    "# Every change is logged to the audit file next to this one. If you edit this file\n"
    "# by hand and break it, `orcli route` refuses to write until it parses again.\n"
)


def overrides_path(flag: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``--overrides`` if given, else ``$ORCLI_OVERRIDES``, else ``.orcli/overrides.yaml`` here."""
    if flag is not None:
        return Path(flag)
    env = os.environ if environ is None else environ
    from_env = env.get(ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_PATH


def audit_log_path(path: str | Path) -> Path:
    """``.orcli/overrides.yaml`` -> ``.orcli/overrides.audit.jsonl``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.audit.jsonl")


def current_actor(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for name in ACTOR_VARS:
        value = env.get(name, "").strip()
        if value:
            return value
    return "unknown"


def load_overrides(path: str | Path) -> OverridesFile:
    """The overrides in ``path``; a missing or empty file holds none."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return OverridesFile()
    document = load_document(path)
    if document.data is None:
        return OverridesFile()
    return parse_model(document, OverridesFile)


def render_overrides(content: OverridesFile) -> str:
    data = content.model_dump(mode="json")
    return _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


class OverrideStore:
    """The overrides file at ``path`` and its audit log; every method that writes takes the lock."""

    def __init__(self, path: str | Path, *, actor: str | None = None, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.audit_path = audit_log_path(self.path)
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self.actor = actor if actor is not None else current_actor()
        self.lock_timeout_s = lock_timeout_s

    def read(self) -> OverridesFile:
        return load_overrides(self.path)

    def add(self, override: Override, *, now: datetime, check: AddCheck | None = None) -> Override:
        """Append ``override`` (with a fresh id if its id is taken) and return it as stored."""
        with self._locked():
            current = self.read()
            stored = unique_id(override, {o.id for o in current.overrides})
            if check is not None:
                check(current.overrides, stored)
            self._write(OverridesFile(overrides=(*current.overrides, stored)))
            self._audit("add", [stored], now, why=stored.reason)
        return stored

    def enable(self, override_id: str, *, now: datetime, why: str | None = None) -> Override:
        """Remove one override, which re-enables the route it disabled or forced."""
        with self._locked():
            current = self.read()
            found = current.find(override_id)
            if found is None:
                known = ", ".join(o.id for o in current.overrides) or "none"
                raise InvalidValue(f"{self.path}: no override '{override_id}' (ids in the file: {known})")
            kept = tuple(o for o in current.overrides if o.id != override_id)
            self._write(OverridesFile(overrides=kept))
            self._audit("enable", [found], now, why=why)
        return found

    def clear(self, *, now: datetime, expired_only: bool = False, why: str | None = None) -> tuple[Override, ...]:
        """Remove every override (or only the expired ones); returns what was removed."""
        with self._locked():
            current = self.read()
            removed = tuple(o for o in current.overrides if not (expired_only and o.is_active(now)))
            if removed:
                kept = tuple(o for o in current.overrides if o not in removed)
                self._write(OverridesFile(overrides=kept))
                self._audit("clear", removed, now, why=why)
        return removed

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout  # imported here: read-only commands never lock

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.path.parent}: cannot create folder: {exc.strerror or exc}") from None
        lock = FileLock(str(self.lock_path), timeout=self.lock_timeout_s)
        try:
            lock.acquire()
        except Timeout:
            raise InputError(
                f"{self.path}: another writer has held the lock for over {self.lock_timeout_s:g} s "
                f"({self.lock_path}); try again"
            ) from None
        except OSError as exc:
            raise InputError(f"{self.lock_path}: cannot lock: {exc.strerror or exc}") from None
        try:
            yield
        finally:
            lock.release()

    def _write(self, content: OverridesFile) -> None:
        text = render_overrides(content)
        folder = self.path.parent
        try:
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise InputError(f"{folder}: cannot write: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())  # the bytes are on disk before the rename publishes them
            os.chmod(tmp_name, mode)
            os.replace(tmp_name, self.path)
        except OSError as exc:
            with suppress(OSError):
                os.unlink(tmp_name)
            raise InputError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        _fsync_folder(folder)

    def _audit(self, event: AuditEvent, overrides: Sequence[Override], now: datetime, *, why: str | None) -> None:
        lines = [
            json.dumps(
                {
                    "at": iso_utc(now),
                    "actor": self.actor,
                    "event": event,
                    "id": o.id,
                    "what": o.describe(),
                    "why": why,
                    "expires_at": iso_utc(o.expires_at) if o.expires_at else None,
                    "override": o.audit_json(),
                },
                sort_keys=False,
            )
            for o in overrides
        ]
        try:
            with open(self.audit_path, "a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise InputError(f"{self.audit_path}: cannot append to the audit log: {exc.strerror or exc}") from None


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable. Best effort: not every platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
