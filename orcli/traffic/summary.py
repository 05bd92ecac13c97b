"""The shape of a traffic log: rates per hour, the kind mix, size percentiles, shares.

Counts are scaled back by each entry's sampling rate, so a log written at ``sample: 0.1``
shows the rates of the traffic it sampled, not a tenth of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from orcli.traffic.log import TrafficEntry

PERCENTILES = (50, 90, 99)
_HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Sizes:
    p50: int
    p90: int
    p99: int
    max: int


@dataclass(frozen=True, slots=True)
class TrafficShape:
    requests: int  # lines in the log
    estimated_requests: float  # scaled back by the sampling rate
    span_s: float
    per_hour: tuple[tuple[int, float], ...]  # (hour from the first arrival, requests), scaled
    mean_per_hour: float
    kinds: tuple[tuple[str, float], ...]  # (kind, share), largest first
    workflows: tuple[tuple[str, float], ...]
    stream_share: float
    tools_share: float
    schema_share: float
    answered_share: float
    prompt_tokens: Sizes | None
    answer_tokens: Sizes | None
    conversations: int
    turns_per_conversation: float


def summarize(entries: Sequence[TrafficEntry]) -> TrafficShape:
    assert entries, "a traffic log has at least one request"
    weights = [1.0 / e.sample for e in entries]
    total = sum(weights)
    first = min(e.t for e in entries)
    span_s = max(e.t for e in entries) - first
    hours: Counter[int] = Counter()
    for entry, weight in zip(entries, weights, strict=True):
        hours[int((entry.t - first) // _HOUR_S)] += weight  # type: ignore[assignment]
    conversations = Counter(e.conversation for e in entries if e.conversation is not None)
    in_conversations = sum(conversations.values())
    return TrafficShape(
        requests=len(entries),
        estimated_requests=round(total, 1),
        span_s=round(span_s, 3),
        per_hour=tuple((hour, round(hours[hour], 1)) for hour in range(max(hours) + 1)),
        mean_per_hour=round(total / max(span_s / _HOUR_S, 1e-9), 1) if span_s > 0 else round(total, 1),
        kinds=_shares([e.kind or "(unlabelled)" for e in entries], weights),
        workflows=_shares([e.workflow for e in entries], weights),
        stream_share=_share([e.stream for e in entries], weights),
        tools_share=_share([e.tools for e in entries], weights),
        schema_share=_share([e.schema for e in entries], weights),
        answered_share=_share([e.ok for e in entries], weights),
        prompt_tokens=_sizes([e.prompt_tokens for e in entries]),
        answer_tokens=_sizes([e.answer_tokens for e in entries]),
        conversations=len(conversations),
        turns_per_conversation=round(in_conversations / len(conversations), 2) if conversations else 0.0,
    )


def _shares(labels: list[str], weights: list[float]) -> tuple[tuple[str, float], ...]:
    counts: Counter[str] = Counter()
    for label, weight in zip(labels, weights, strict=True):
        counts[label] += weight  # type: ignore[assignment]
    total = sum(counts.values())
    return tuple((label, round(n / total, 4)) for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _share(flags: list[bool], weights: list[float]) -> float:
    total = sum(weights)
    return round(sum(w for f, w in zip(flags, weights, strict=True) if f) / total, 4)


def _sizes(values: list[int | None]) -> Sizes | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    p50, p90, p99 = (_percentile(known, p) for p in PERCENTILES)
    return Sizes(p50=p50, p90=p90, p99=p99, max=known[-1])


def _percentile(ordered: list[int], p: int) -> int:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def render(shape: TrafficShape, source: str) -> list[str]:
    sampled = shape.estimated_requests != shape.requests
    count = f"{shape.requests} requests" + (f" (about {shape.estimated_requests:g} before sampling)" if sampled else "")
    lines = [f"Traffic {source}", f"requests      {count} over {_duration(shape.span_s)}"]
    lines.append(f"rate          {shape.mean_per_hour:g} per hour on average")
    shown = ", ".join(f"h{hour} {n:g}" for hour, n in shape.per_hour[:24])
    more = f" (+{len(shape.per_hour) - 24} more hours)" if len(shape.per_hour) > 24 else ""
    lines.append(f"per hour      {shown}{more}")
    lines.append(f"kinds         {_mix(shape.kinds)}")
    lines.append(f"workflows     {_mix(shape.workflows)}")
    lines.append(
        f"shares        stream {_pct(shape.stream_share)}, tools {_pct(shape.tools_share)}, "
        f"schema {_pct(shape.schema_share)}, answered {_pct(shape.answered_share)}"
    )
    for name, sizes in (("prompt tokens", shape.prompt_tokens), ("answer tokens", shape.answer_tokens)):
        shown = "n/a" if sizes is None else f"p50 {sizes.p50}  p90 {sizes.p90}  p99 {sizes.p99}  max {sizes.max}"
        lines.append(f"{name:<14}{shown}")
    if shape.conversations:
        lines.append(f"conversations {shape.conversations}, {shape.turns_per_conversation:g} requests each on average")
    return lines


def _mix(shares: tuple[tuple[str, float], ...]) -> str:
    return ", ".join(f"{label} {_pct(share)}" for label, share in shares)


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 2 * _HOUR_S:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / _HOUR_S:.1f} h"
