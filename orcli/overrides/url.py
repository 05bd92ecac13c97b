"""A ``redis://`` location of the overrides: parsed once, shown without its password.

Apart from the stores (and from redis-py) so that the Redis store and the module that
picks a store can both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from orcli.errors import InputError, InvalidValue

REDIS_SCHEMES = ("redis", "rediss")
DEFAULT_PREFIX = "orcli:"


class StoreUnavailable(InputError):
    """The store cannot be reached (Redis down, a timeout): nothing was read or written."""


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
