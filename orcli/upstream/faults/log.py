"""The firing log: one frozen record per fault firing, so a drill can prove each fault fired.

A fault *matches* (fires) when its target, window and activation hold for a request; it is
*applied* only when it changed what the client received. A second tool-call breakage on an
answer already broken, or a ``stream_cut`` after more tokens than the answer has, matches
and does nothing: such a firing is logged with ``applied=False``, because a fault that never
bit proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Firing:
    fault_id: str
    kind: str
    request_index: int  # 1-based index of the chat request
    generation_id: str | None  # the request's generation id (None before one was assigned)
    at_s: float  # simulated seconds since the simulator's start
    provider: str | None  # endpoint tag of the attempt it hit; None for request-level faults
    model: str | None
    applied: bool = True  # whether it changed what the client received

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "at_s": round(self.at_s, 6)}


def idle_among(
    faults: Sequence[T], base: S, fold: Callable[[S, T], S], render: Callable[[S], object], actual: object
) -> list[T]:
    """The ``faults`` that change nothing: folding every fault but one onto ``base`` renders
    the same as ``actual``, the rendering with them all. Used for effects that compose (stream
    shapes), where a later fault may override an earlier one or end the stream before it is
    reached."""
    if not faults:
        return []

    def shaped(kept: Sequence[T]) -> S:
        state = base
        for fault in kept:
            state = fold(state, fault)
        return state

    return [f for i, f in enumerate(faults) if render(shaped([*faults[:i], *faults[i + 1 :]])) == actual]
