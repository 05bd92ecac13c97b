"""The incident timeline as data: one lane per model@provider, one step per attempt.

A request's steps are its attempts in order, with OpenRouter's own failover inside
one HTTP request (the attempt's upstream hops) spelled out as steps of their own, so
a provider OpenRouter skipped still gets a mark on its lane. Each step is classified
by what happened next: it answered, the client retried, the request moved on to
another route, or it was the last word and failed. Pure functions of the records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from orcli.client.hops import HopKind
from orcli.client.ledger import Attempt
from orcli.drill.chain import OPENROUTER, refused_by_openrouter
from orcli.drill.records import DrillResult, RequestRecord
from orcli.reports.common import attempt_token

UNKNOWN_PROVIDER = "?"  # no response arrived, so nobody said which provider it was (as in the attempt chain)
UNKNOWN_PROVIDER_LABEL = "(no answer)"


class StepKind(StrEnum):
    OK = "ok"
    RETRIED = "retried"  # the client tried the same route (or the whole chain) again
    FELL_BACK = "fell_back"  # the request moved on to another model or provider
    FAILED = "failed"  # the last attempt, and it failed

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Step:
    """One mark's worth: where a request went, when, and how it ended there."""

    model: str
    provider: str
    at_s: float
    kind: StepKind
    token: str  # "ok", "429", "timeout", ... as in the attempt chain
    detail: str
    next_hop: str | None
    latency_s: float
    internal: bool  # a hop inside OpenRouter's own failover, not an HTTP request the client sent

    @property
    def route(self) -> str:
        return f"{self.model}@{self.provider}"


@dataclass(frozen=True, slots=True)
class Mark:
    at_s: float
    kind: StepKind
    request: int  # RequestRecord.index
    step: int  # position of the step in the request's chain
    internal: bool = False  # OpenRouter's own failover hop, not an HTTP request the client sent


@dataclass(frozen=True, slots=True)
class Lane:
    route: str
    model: str
    provider: str
    marks: tuple[Mark, ...]  # in time order

    def counts(self) -> dict[StepKind, int]:
        totals = dict.fromkeys(StepKind, 0)
        for mark in self.marks:
            totals[mark.kind] += 1
        return totals


def attempt_kind(attempt: Attempt) -> StepKind:
    if attempt.ok:
        return StepKind.OK
    if attempt.next_hop is None:
        return StepKind.FAILED
    if attempt.next_hop.kind is HopKind.FALLBACK:
        return StepKind.FELL_BACK
    return StepKind.RETRIED  # "retry in ...", or queued to walk the whole chain again


def request_steps(record: RequestRecord) -> tuple[Step, ...]:
    steps: list[Step] = []
    for attempt in record.result.attempts:
        # The trail's last hop is the attempt itself; the ones before it are providers
        # OpenRouter tried and left inside the same HTTP request. The trail carries no
        # times, so those hops are placed when the attempt started.
        for hop in attempt.upstream_hops[:-1]:
            steps.append(
                Step(
                    model=hop.model,
                    provider=hop.provider,
                    at_s=attempt.started_at,
                    kind=StepKind.FELL_BACK,
                    token=str(hop.status),
                    detail="",
                    next_hop="OpenRouter tried the next provider",
                    latency_s=0.0,
                    internal=True,
                )
            )
        steps.append(
            Step(
                model=attempt.served_model or attempt.model,
                provider=attempt.provider or (OPENROUTER if refused_by_openrouter(attempt) else UNKNOWN_PROVIDER),
                at_s=attempt.started_at,
                kind=attempt_kind(attempt),
                token=attempt_token(attempt),
                detail=attempt.detail,
                next_hop=None if attempt.next_hop is None else str(attempt.next_hop),
                latency_s=attempt.latency_s,
                internal=False,
            )
        )
    return tuple(steps)


def build_lanes(records: Sequence[RequestRecord]) -> tuple[Lane, ...]:
    """Lanes grouped by model (chain order: primaries first), providers alphabetical, unknown last."""
    model_rank: dict[str, int] = {}
    marks: dict[tuple[str, str], list[Mark]] = {}
    for record in records:
        for model in record.result.chain:
            model_rank.setdefault(model, len(model_rank))
        for position, step in enumerate(request_steps(record)):
            model_rank.setdefault(step.model, len(model_rank))
            marks.setdefault((step.model, step.provider), []).append(
                Mark(step.at_s, step.kind, record.index, position, step.internal)
            )
    keys = sorted(marks, key=lambda key: (model_rank[key[0]], key[1] == UNKNOWN_PROVIDER, key[1].lower(), key[1]))
    return tuple(
        Lane(
            route=f"{model}@{provider}",
            model=model,
            provider=provider,
            marks=tuple(sorted(marks[(model, provider)], key=lambda m: (m.at_s, m.request, m.step))),
        )
        for model, provider in keys
    )


def time_span_s(result: DrillResult) -> float:
    """The x axis' extent: the drill, and any step or firing that lies beyond its recorded span."""
    latest = [result.duration_s]
    latest.extend(r.finished_at_s for r in result.requests)
    latest.extend(a.started_at for r in result.requests for a in r.result.attempts)
    latest.extend(f.at_s for f in result.fired)
    end = max((t for t in latest if math.isfinite(t)), default=0.0)
    return end if end > 0 else 1.0


def nice_step(span: float, target_ticks: int = 10) -> float:
    """A round tick spacing (1, 2 or 5 times a power of ten) giving about ``target_ticks`` ticks."""
    raw = span / max(1, target_ticks)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def ticks(span: float, target_ticks: int = 10) -> list[float]:
    step = nice_step(span, target_ticks)
    count = math.floor(span / step + 1e-9)
    return [round(i * step, 9) for i in range(count + 1)]
