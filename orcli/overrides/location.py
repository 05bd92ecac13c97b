"""Where the overrides live: a file path or a ``redis://`` URL, and the store for it.

``--overrides`` (or ``ORCLI_OVERRIDES``) takes either. A file suits one machine; a
Redis URL is how a fleet shares one set of overrides::

    redis://host:6379/0?prefix=orcli:      # prefix: the keys' namespace (default orcli:)
    rediss://:password@host:6380/2          # TLS, with a password

Nothing here imports redis: the Redis store is loaded only when a URL names it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from orcli.errors import InputError, InvalidValue
from orcli.overrides.changes import AddCheck
from orcli.overrides.model import Override, OverridesFile
from orcli.overrides.store import ENV_VAR, FileStore, overrides_path

REDIS_SCHEMES = ("redis", "rediss")
DEFAULT_PREFIX = "orcli:"


class StoreUnavailable(InputError):
    """The store cannot be reached (Redis down, a timeout): nothing was read or written."""


class Store(Protocol):
    """What ``orcli route``, the client and drills need from a store of overrides."""

    @property
    def location(self) -> str:
        """Where it is, for messages: a path, or the URL without its password."""
        ...

    def read(self) -> OverridesFile: ...

    def add(
        self, override: Override, *, now: datetime, check: AddCheck | None = None, replace: Sequence[str] = ()
    ) -> Override: ...

    def enable(self, override_id: str, *, now: datetime, why: str | None = None) -> Override: ...

    def clear(self, *, now: datetime, expired_only: bool = False, why: str | None = None) -> tuple[Override, ...]: ...


@dataclass(frozen=True)
class RedisLocation:
    url: str  # what redis-py connects to (``prefix`` removed; may hold a password)
    prefix: str

    @property
    def display(self) -> str:
        """The URL without user or password, plus the prefix: safe for any output."""
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/0", "", "")) + f" (prefix {self.prefix})"


Location = Path | RedisLocation


def parse_location(text: str | Path) -> Location:
    """A path, or a ``redis://``/``rediss://`` URL; any other ``scheme://`` is a usage error."""
    if isinstance(text, Path):
        return text
    if "://" not in text:
        return Path(text)
    parts = urlsplit(text)
    if parts.scheme not in REDIS_SCHEMES:
        raise InvalidValue(f"--overrides: expected a file path or a redis:// URL, got a '{parts.scheme}://' URL")
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX)
    if not prefix:
        raise InvalidValue("--overrides: prefix= must not be empty (it keeps orcli's keys apart from others')")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise InvalidValue(f"--overrides: the database after the host must be a number, got '/{path}'")
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return RedisLocation(urlunsplit((parts.scheme, parts.netloc, f"/{path or 0}", rest, "")), prefix)


def store_location(
    flag: str | Path | None = None, environ: Mapping[str, str] | None = None, cwd: str | Path | None = None
) -> Location:
    """``--overrides``, else ``$ORCLI_OVERRIDES``, else the project's ``.orcli/overrides.yaml``."""
    if flag is not None:
        return parse_location(flag)
    env = os.environ if environ is None else environ
    from_env = env.get(ENV_VAR)
    if from_env:
        return parse_location(from_env)
    return overrides_path(None, {}, cwd)


def describe_location(location: Location) -> str:
    return location.display if isinstance(location, RedisLocation) else str(location)


def open_store(location: Location | str | None, *, actor: str | None = None) -> Store:
    """The store at ``location`` (parsed by :func:`store_location` when a string or None)."""
    if not isinstance(location, Path | RedisLocation):
        location = store_location(location)
    if isinstance(location, RedisLocation):
        from orcli.overrides.redis_store import RedisStore

        return RedisStore(location, actor=actor)
    return FileStore(location, actor=actor)


def read_overrides(location: Location | str | None) -> OverridesFile:
    """Every override in the store (expired ones included: callers judge expiry at their own time)."""
    return open_store(location).read()
