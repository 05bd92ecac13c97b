"""What the simulator hands back and what it remembers: frozen, slotted records.

A :class:`Reply` is the whole answer to one HTTP request including its timing, computed
up front; the adapters (httpx transports, the HTTP server) only play it out in time.
No record holds a header value from the request, so an API key can never end up here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Chunk = tuple[float, bytes]  # (seconds after the previous piece, bytes)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    delay_s: float = 0.0  # until the response (headers; and the whole body unless streamed) arrives
    chunks: tuple[Chunk, ...] | None = None  # a streamed body, piece by piece
    failure: Literal["connect", "reset"] | None = None  # the connection fails instead, after delay_s
    stream_end: Literal["complete", "reset"] = "complete"  # a streamed body may end by a dropped connection

    @property
    def never_arrives(self) -> bool:
        return math.isinf(self.delay_s)

    @property
    def streamed(self) -> bool:
        return self.chunks is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    """One provider attempt inside OpenRouter's failover."""

    request_index: int
    generation_id: str
    attempt: int  # 1-based within the request
    model: str
    provider: str  # display name
    endpoint: str  # routing tag
    is_byok: bool
    started_at_s: float
    latency_s: float
    status: int  # 200, the provider's error status, or 408 for an upstream timeout
    outcome: str  # "ok" or the fault kind that failed it
    fault_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequestRecord:
    """One HTTP request to ``/chat/completions`` as the client saw it."""

    index: int
    generation_id: str | None
    at_s: float
    models: tuple[str, ...]
    stream: bool
    status: int | None  # None when the connection failed or the reply never came
    outcome: str  # "ok", an error type, or "connect_error" / "connection_reset" / "no_reply"
    served_model: str | None
    served_provider: str | None
    latency_s: float  # until the whole answer arrived (last chunk, for streams); inf if never
    cost_usd: float
