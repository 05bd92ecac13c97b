"""Durations on the command line: ``--ttl 90s|15m|2h|1d`` in, ``1h 59m`` out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orcli.errors import InvalidValue

_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TTL = re.compile(r"(?:\d+[smhd])+")
_PART = re.compile(r"(\d+)([smhd])")


def parse_ttl(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d`` or combinations such as ``1h30m``."""
    cleaned = text.strip().lower()
    if not _TTL.fullmatch(cleaned):
        raise InvalidValue(f"--ttl: expected a duration such as 90s, 15m, 2h or 1d, got '{text}'")
    seconds = sum(int(n) * _UNIT_S[unit] for n, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise InvalidValue(f"--ttl: must be longer than zero, got '{text}'")
    return timedelta(seconds=seconds)


def parse_until(text: str, now: datetime) -> datetime:
    """An ISO 8601 instant with a time zone, in the future."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"--until: expected an ISO 8601 time such as 2030-01-31T18:00:00Z, got '{text}'") from None
    if when.tzinfo is None:
        raise InvalidValue(f"--until: '{text}' has no time zone; add one, e.g. 'Z' for UTC or '+02:00'")
    if when <= now:
        raise InvalidValue(f"--until: {iso_utc(when)} is not in the future")
    return when.astimezone(UTC)


def expiry(ttl: str | None, until: str | None, now: datetime, *, required: bool) -> datetime | None:
    if ttl is not None and until is not None:
        raise InvalidValue("--ttl and --until: give one or the other, not both")
    if ttl is not None:
        return now + parse_ttl(ttl)
    if until is not None:
        return parse_until(until, now)
    if required:
        raise InvalidValue("--ttl or --until is required: a forced route must expire")
    return None


def human_duration(delta: timedelta) -> str:
    """``2d 3h``, ``1h 59m``, ``4m 10s``, ``45s``: the two largest units."""
    seconds = max(0, int(delta.total_seconds()))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def iso_utc(when: datetime) -> str:
    """``2030-01-31T18:00:00Z``: one spelling of an instant in every output."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
