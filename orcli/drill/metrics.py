"""The seed's observability metrics, computed from drill records.

Provider selection, fallback frequency, latency by provider, cost by workflow,
tool-call validity, error distribution and user-facing success rate: pure
functions of the records, so every report shows the same figures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orcli.drill.chain import answered_by
from orcli.drill.records import Outcome, RequestRecord
from orcli.policy.model import ErrorClass


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation, so figures are stable and reproducible)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class LatencyPercentiles:
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: Sequence[float]) -> LatencyPercentiles:
        return cls(percentile(values, 50), percentile(values, 95), percentile(values, 99))


@dataclass(frozen=True)
class WorkflowMetrics:
    workflow: str
    requests: int
    outcomes: dict[str, int]  # every Outcome value, in enum order
    user_facing_success_rate: float  # served + degraded over all requests
    handled_rate: float  # served + degraded + failed_safe over all requests
    fallback_frequency: float  # degraded over answered (served + degraded)
    byok_answers: int  # answers served on the workflow's own BYOK key (the rest: shared capacity)
    truncated_answers: int  # answers that stopped at finish_reason "length"
    provider_selection: dict[str, int]  # served model@provider -> requests, most used first
    latency_s: LatencyPercentiles  # whole-request latency, answered requests
    latency_by_provider: dict[str, LatencyPercentiles]  # per attempt, by provider that answered or failed
    cost_usd: Decimal
    attempts_total: int
    max_attempts: int
    tool_calls_checked: int  # attempts that offered tools and got an answer
    tool_calls_malformed: int
    error_distribution: dict[str, int]  # error class -> attempts, most frequent first

    @property
    def answered(self) -> int:
        return self.outcomes[Outcome.SERVED.value] + self.outcomes[Outcome.DEGRADED.value]

    @property
    def truncation_rate(self) -> float:
        """Answers cut at ``length`` over all answers."""
        return self.truncated_answers / self.answered if self.answered else 0.0

    @property
    def tool_call_validity(self) -> float | None:
        if self.tool_calls_checked == 0:
            return None
        return 1 - self.tool_calls_malformed / self.tool_calls_checked


def finish_reason(row: RequestRecord) -> object:
    """The answer's first choice's ``finish_reason`` (None when absent)."""
    choices = (row.result.response or {}).get("choices") or []
    first = choices[0] if choices and isinstance(choices[0], dict) else {}
    return first.get("finish_reason")


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


ALL_WORKFLOWS = "(all)"  # the label of the drill-wide figures


def workflow_metrics(workflow: str, records: Iterable[RequestRecord]) -> WorkflowMetrics:
    return _metrics(workflow, [r for r in records if r.workflow == workflow])


def drill_metrics(records: Iterable[RequestRecord]) -> WorkflowMetrics:
    """The same figures over every request of the drill, whatever its workflow."""
    return _metrics(ALL_WORKFLOWS, list(records))


def _metrics(workflow: str, rows: list[RequestRecord]) -> WorkflowMetrics:
    outcomes = Counter(r.outcome.value for r in rows)
    answered = outcomes[Outcome.SERVED.value] + outcomes[Outcome.DEGRADED.value]
    selection: Counter[str] = Counter(r.served_route for r in rows if r.served_route)
    by_provider: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    checked = malformed = 0
    for row in rows:
        for attempt in row.result.attempts:
            key = answered_by(attempt)
            by_provider.setdefault(key, []).append(attempt.latency_s)
            if attempt.error_class is not None:
                errors[attempt.error_class.value] += 1
            if row.tools_offered and attempt.status == 200:
                checked += 1
                malformed += attempt.error_class is ErrorClass.MALFORMED_TOOL_CALL
    return WorkflowMetrics(
        workflow=workflow,
        requests=len(rows),
        outcomes={o.value: outcomes[o.value] for o in Outcome},
        user_facing_success_rate=answered / len(rows) if rows else 0.0,
        handled_rate=(answered + outcomes[Outcome.FAILED_SAFE.value]) / len(rows) if rows else 0.0,
        fallback_frequency=outcomes[Outcome.DEGRADED.value] / answered if answered else 0.0,
        byok_answers=sum(r.byok for r in rows if r.result.ok),
        truncated_answers=sum(finish_reason(r) == "length" for r in rows if r.result.ok),
        provider_selection=_sorted_counts(selection),
        latency_s=LatencyPercentiles.of([r.latency_s for r in rows if r.result.ok]),
        latency_by_provider={k: LatencyPercentiles.of(v) for k, v in sorted(by_provider.items())},
        cost_usd=sum((r.result.cost_usd for r in rows), Decimal(0)),
        attempts_total=sum(len(r.result.attempts) for r in rows),
        max_attempts=max((len(r.result.attempts) for r in rows), default=0),
        tool_calls_checked=checked,
        tool_calls_malformed=malformed,
        error_distribution=_sorted_counts(errors),
    )
