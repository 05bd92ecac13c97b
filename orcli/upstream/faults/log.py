"""The firing log: one frozen record per fault firing, so a drill can prove each fault fired."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Firing:
    fault_id: str
    kind: str
    request_index: int  # 1-based index of the chat request
    generation_id: str | None  # the request's generation id (None before one was assigned)
    at_s: float  # simulated seconds since the simulator's start
    provider: str | None  # endpoint tag of the attempt it hit; None for request-level faults
    model: str | None

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "at_s": round(self.at_s, 6)}
