"""OpenRouter's response cache, asked for per request with ``X-OpenRouter-Cache: true``.

An identical request (the same body, from the same API key) within the TTL is answered
from the cache: the same content with a new generation id, zero usage and zero cost, and
``X-OpenRouter-Cache-Status: HIT`` with ``X-OpenRouter-Cache-Age``. Only 200 answers are
stored. ``X-OpenRouter-Cache-TTL`` sets the lifetime (1 to 86400 s, default 300; a value
out of range is clamped, one that is not a number means the default: OpenRouter does not
document either case). ``X-OpenRouter-Cache-Clear: true`` drops the stored answer first.

The simulator caches non-streamed answers only: a streamed request is routed as usual and
carries no cache headers. An answer is stored as of its request's arrival, so an identical
request sent while the first one is still generating is already a HIT (OpenRouter does not
merge such requests; only bursts of identical requests see the difference). Requests
without the header never reach this module.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orcli.upstream.protocol import dumps

CACHE_HEADER = "x-openrouter-cache"
TTL_HEADER = "x-openrouter-cache-ttl"
CLEAR_HEADER = "x-openrouter-cache-clear"
DEFAULT_TTL_S = 300
MAX_TTL_S = 86_400


@dataclass(frozen=True, slots=True)
class CacheControl:
    """What a request asked of the cache. ``key_id`` is a digest of the API key (a cache is
    per key); the key itself never reaches the simulator."""

    key_id: str
    ttl_s: int = DEFAULT_TTL_S
    clear: bool = False


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1")


def cache_control(header: Callable[[str], str | None], authorization: str | None) -> CacheControl | None:
    """The request's cache wish from its headers (``header(name)`` reads one), or None."""
    if not _true(header(CACHE_HEADER)):
        return None
    ttl_text = header(TTL_HEADER)
    try:
        ttl = int(ttl_text.strip()) if ttl_text is not None else DEFAULT_TTL_S
    except ValueError:
        ttl = DEFAULT_TTL_S
    key_id = hashlib.blake2b((authorization or "").encode(), digest_size=8).hexdigest()
    return CacheControl(key_id, min(max(ttl, 1), MAX_TTL_S), _true(header(CLEAR_HEADER)))


@dataclass(frozen=True, slots=True)
class CacheEntry:
    stored_at_s: float
    expires_at_s: float
    body: bytes  # the 200 as it was served
    source_id: str  # the generation that produced it (``X-OpenRouter-Cache-Source-Id``)
    model: str | None
    provider: str | None


class ResponseCache:
    """Stored 200 answers by (key digest, request body). Not thread-safe: the simulator
    serialises chat requests."""

    def __init__(self, limit: int) -> None:
        self._limit = max(limit, 1)
        self._entries: OrderedDict[tuple[str, bytes], CacheEntry] = OrderedDict()

    def lookup(self, control: CacheControl, body: bytes, now_s: float) -> CacheEntry | None:
        key = (control.key_id, body)
        if control.clear:
            self._entries.pop(key, None)
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now_s >= entry.expires_at_s:
            del self._entries[key]
            return None
        return entry

    def store(self, control: CacheControl, body: bytes, now_s: float, answer: bytes, source_id: str) -> None:
        model, provider = _served_by(answer)
        self._entries[(control.key_id, body)] = CacheEntry(
            now_s, now_s + control.ttl_s, answer, source_id, model, provider
        )
        while len(self._entries) > self._limit:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def _served_by(answer: bytes) -> tuple[str | None, str | None]:
    try:
        data = json.loads(answer)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    model, provider = data.get("model"), data.get("provider")
    return (model if isinstance(model, str) else None), (provider if isinstance(provider, str) else None)


def hit_body(entry: CacheEntry, gen_id: str, created: int) -> bytes:
    """The stored answer under a new generation id, with zero usage and cost and no router
    metadata (OpenRouter sends none on a hit). A stored body that is not a JSON object (a
    broken 200 was served and stored) comes back as it was."""
    try:
        data: Any = json.loads(entry.body)
    except ValueError:
        return entry.body
    if not isinstance(data, dict):
        return entry.body
    data["id"] = gen_id
    data["created"] = created
    data.pop("openrouter_metadata", None)
    usage = data.get("usage")
    if isinstance(usage, dict):
        zeroed = {**usage, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": 0}
        details = usage.get("cost_details")
        if isinstance(details, dict):
            zeroed["cost_details"] = {k: (0 if isinstance(v, int | float) else v) for k, v in details.items()}
        data["usage"] = zeroed
    return dumps(data)
