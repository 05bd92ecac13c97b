"""How long the upstream asked us to wait, from headers and the error body.

Sources, all optional: ``Retry-After`` as delay-seconds or an HTTP date (RFC 9110
section 10.2.3), ``X-RateLimit-Reset`` as epoch milliseconds (OpenRouter; epoch
seconds and small delays are accepted too), the same header copied into
``error.metadata.headers`` by OpenRouter, and ``error.availability.retry_after``
(seconds). When several are present the longest wins: a hint is never undercut.

Dates are read relative to the response's own ``Date`` header when it has one, so the
wait does not depend on the two machines' clocks agreeing; otherwise relative to
``wall_now`` (injected, so tests are deterministic).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

_EPOCH_MS_FROM = 1e11  # larger numbers are epoch milliseconds (2001-09-09 in ms is 1e12)
_EPOCH_S_FROM = 1e9  # numbers between this and the above are epoch seconds


def _http_date(text: str) -> float | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # RFC 9110 dates are always GMT
        return None
    return parsed.timestamp()


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _reset_delay(raw: str, now_epoch_s: float) -> float | None:
    value = _number(raw)
    if value is None:
        return None
    if value >= _EPOCH_MS_FROM:
        return value / 1000.0 - now_epoch_s
    if value >= _EPOCH_S_FROM:
        return value - now_epoch_s
    return value  # a plain delay in seconds


def retry_after_s(
    headers: Mapping[str, str],
    body: Mapping[str, Any] | None = None,
    *,
    wall_now: Callable[[], float],
) -> float | None:
    """Seconds to wait before the next request to this route, or None if nothing said so."""
    date = _header(headers, "Date")
    now_epoch_s = (_http_date(date) if date else None) or wall_now()
    hints: list[float] = []

    raw = _header(headers, "Retry-After")
    if raw is not None:
        seconds = _number(raw)
        if seconds is None:
            when = _http_date(raw)
            seconds = None if when is None else when - now_epoch_s
        if seconds is not None:
            hints.append(seconds)

    reset = _header(headers, "X-RateLimit-Reset")
    error = body.get("error") if isinstance(body, Mapping) else None
    if reset is None and isinstance(error, Mapping):
        metadata = error.get("metadata")
        copied = metadata.get("headers") if isinstance(metadata, Mapping) else None
        if isinstance(copied, Mapping):
            value = _header({str(k): str(v) for k, v in copied.items()}, "X-RateLimit-Reset")
            reset = value
    if reset is not None:
        delay = _reset_delay(reset, now_epoch_s)
        if delay is not None:
            hints.append(delay)

    if isinstance(error, Mapping):
        availability = error.get("availability")
        if isinstance(availability, Mapping):
            value = availability.get("retry_after")
            if isinstance(value, int | float) and not isinstance(value, bool):
                hints.append(float(value))

    if not hints:
        return None
    return max(0.0, max(hints))
