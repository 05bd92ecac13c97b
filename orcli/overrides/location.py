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
from datetime import datetime
from pathlib import Path
from typing import Protocol

from orcli.overrides.changes import AddCheck
from orcli.overrides.model import Override, OverridesFile
from orcli.overrides.store import ENV_VAR, FileStore, overrides_path
from orcli.overrides.url import DEFAULT_PREFIX, Location, RedisLocation, StoreUnavailable, parse_location

__all__ = [
    "DEFAULT_PREFIX",
    "Location",
    "RedisLocation",
    "Store",
    "StoreUnavailable",
    "describe_location",
    "open_store",
    "parse_location",
    "read_overrides",
    "store_location",
]


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
