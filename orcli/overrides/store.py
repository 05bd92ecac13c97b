"""The overrides file on disk: read it, change it safely, and log every change.

Every change is decided on a snapshot read without the lock (deciding may plan routes
over the whole catalog), then committed under an exclusive file lock (``<file>.lock``)
only if the file still holds the snapshot's bytes: compare, write the new content to a
temporary file in the same folder and rename it over the old one. If another writer got
in first, the change is decided again on the new content, outside the lock, as a Redis
``WATCH`` would. So writers hold the lock for milliseconds instead of queueing behind each
other's checks, never lose each other's changes, and a crash mid-write leaves either the
old file or the new one, never half of either. The lock is an OS lock: a writer killed
while holding it releases it.

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

import yaml

from orcli.errors import InputError
from orcli.overrides.changes import AuditEvent, Change, PlannedStore
from orcli.overrides.model import OverridesFile
from orcli.project import project_root
from orcli.sourcefile import load_document, parse_model

DEFAULT_PATH = Path(".orcli") / "overrides.yaml"
ENV_VAR = "ORCLI_OVERRIDES"
ACTOR_VARS = ("ORCLI_ACTOR", "USER", "LOGNAME")
LOCK_TIMEOUT_S = 120.0  # a wait, not a refusal: 20 writers deciding under it on a swamped machine can queue that long
OPTIMISTIC_TRIES = 3  # decisions made outside the lock before one is made under it
NEW_FILE_MODE = 0o644  # a team's shared state: readable by everyone who resolves policies


_HEADER = (
    "# Route overrides in force, managed by `orcli route` (see docs/overrides.md).\n"
    "# Every change is logged to the audit file next to this one. If you edit this file\n"
    "# by hand and break it, `orcli route` refuses to write until it parses again.\n"
)


def overrides_path(
    flag: str | Path | None = None, environ: Mapping[str, str] | None = None, cwd: str | Path | None = None
) -> Path:
    """``--overrides`` if given, else ``$ORCLI_OVERRIDES``, else ``.orcli/overrides.yaml`` in
    the project root (see :func:`orcli.project.project_root`), whichever folder this runs from."""
    if flag is not None:
        return Path(flag)
    env = os.environ if environ is None else environ
    from_env = env.get(ENV_VAR)
    return Path(from_env) if from_env else project_root(cwd) / DEFAULT_PATH


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
    return _parse(path, None)


def _parse(path: Path, raw: bytes | None) -> OverridesFile:
    """``path``'s overrides, from ``raw`` when the bytes were already read."""
    text = None
    if raw is not None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # let the loader read it again and name the bad byte
    document = load_document(path, text)
    if document.data is None:
        return OverridesFile()
    return parse_model(document, OverridesFile)


def _read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def render_overrides(content: OverridesFile) -> str:
    data = content.model_dump(mode="json")
    return _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


class FileStore(PlannedStore):
    """The overrides file at ``path`` and its audit log (see the module's notes on writing)."""

    def __init__(self, path: str | Path, *, actor: str | None = None, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.audit_path = audit_log_path(self.path)
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self.actor = actor if actor is not None else current_actor()
        self.lock_timeout_s = lock_timeout_s

    @property
    def location(self) -> str:
        return str(self.path)

    def read(self) -> OverridesFile:
        return load_overrides(self.path)

    def _commit(self, decide: Callable[[OverridesFile], Change], now: datetime) -> Change:
        """Decide on a snapshot without the lock; commit under it only if the file still
        holds the snapshot's exact bytes, else decide again on what is there now. After
        OPTIMISTIC_TRIES lost races the decision is made under the lock, so a writer among
        many busy ones still gets through instead of giving up."""
        for _ in range(OPTIMISTIC_TRIES):
            raw = _read_bytes(self.path)
            change = decide(self._parse(raw))
            if change.empty:
                return change
            with self._locked():
                if _read_bytes(self.path) == raw:
                    return self._apply(change, now)
        with self._locked():
            change = decide(self._parse(_read_bytes(self.path)))
            return change if change.empty else self._apply(change, now)

    def _parse(self, raw: bytes | None) -> OverridesFile:
        return OverridesFile() if raw is None else _parse(self.path, raw)

    def _apply(self, change: Change, now: datetime) -> Change:
        self._write(change.after)
        self._audit(change.events, now)
        return change

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

    def _audit(self, events: Sequence[AuditEvent], now: datetime) -> None:
        lines = [json.dumps(event.record(now, self.actor), sort_keys=False) for event in events]
        try:
            with open(self.audit_path, "a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise InputError(f"{self.audit_path}: cannot append to the audit log: {exc.strerror or exc}") from None


OverrideStore = FileStore  # the name this class had before the Redis store existed


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
