"""What a drill produced: one record per request, the faults that fired, the verdicts.

Everything here is frozen and free of wall-clock time, so the same scenario and
seed give equal records and a byte-identical JSON report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from orcli.client.ledger import ChatResult


class Outcome(StrEnum):
    SERVED = "served"  # the primary route answered
    DEGRADED = "degraded"  # a fallback model or provider the policy allows answered
    FAILED_SAFE = "failed_safe"  # a clean failure the policy asks for, with its user message
    FAILED = "failed"  # unexpected error, hang, truncated answer, or a policy violation


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    index: int  # 0-based, in arrival order
    at_s: float  # arrival time, seconds since the drill started (simulated time on the mock)
    workflow: str
    kind: str  # the traffic mix entry that produced it
    stream: bool
    result: ChatResult
    outcome: Outcome
    reason: str  # one line: why this outcome
    violations: tuple[str, ...] = ()  # ways the serving route broke the policy
    fallback_depth: int = 0  # position of the serving model in the chain (0 = primary)
    tools_offered: bool = False
    slot_wait_s: float = 0.0  # waited for a free concurrency slot before the first attempt
    # Routing tag of the endpoint that answered ("deepinfra/turbo", "anthropic/byok"): display
    # names do not tell same-named endpoints apart. None when unanswered or not in the catalog.
    endpoint: str | None = None

    @property
    def latency_s(self) -> float:
        """What the user waited: a free slot, then every attempt and wait of the client."""
        return self.slot_wait_s + self.result.latency_s

    @property
    def served_route(self) -> str | None:
        if not self.result.ok:
            return None
        return f"{self.result.served_model}@{self.endpoint or self.result.served_provider}"

    @property
    def byok(self) -> bool:
        """Answered on the workflow's own BYOK key rather than OpenRouter's shared capacity."""
        return self.endpoint is not None and self.endpoint.endswith("/byok")

    @property
    def finished_at_s(self) -> float:
        """When the last attempt ended; a request may wait for a concurrency slot after arriving."""
        attempts = self.result.attempts
        return attempts[-1].started_at + attempts[-1].latency_s if attempts else self.at_s


@dataclass(frozen=True, slots=True)
class FiredFault:
    """A fault that matched a request; ``applied`` when it changed what the client received."""

    fault_id: str
    kind: str
    at_s: float
    provider: str | None
    model: str | None
    applied: bool = True


@dataclass(frozen=True, slots=True)
class DeclaredFault:
    fault_id: str
    kind: str
    target: str  # "provider deepinfra", "model x/y", "everything"
    window: str  # human description of the activation
    start_s: float | None = None  # time window, when the activation has one (for timelines)
    end_s: float | None = None


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    name: str  # as the scenario names it (defaults to the kind)
    kind: str
    passed: bool
    summary: str  # one line: what was required and what was seen
    evidence: tuple[str, ...] = ()  # the requests or figures behind a failure


@dataclass(frozen=True, slots=True)
class Abort:
    """A live drill a safeguard stopped early (spend or error rate); it is also one of the notes."""

    reason: str
    not_started: int  # planned requests never sent
    spend_limit: bool = False  # stopped by a budget OpenRouter enforces, not by the drill's own safeguards

    def __str__(self) -> str:
        return f"ABORTED: {self.reason}; {self.not_started} planned requests not started"


@dataclass(frozen=True, slots=True, kw_only=True)
class DrillResult:
    scenario: str
    scenario_path: str
    description: str
    seed: int
    target: str
    policy_path: str
    workflows: tuple[str, ...]
    duration_s: float  # simulated span from the first arrival to the last completion
    requests: tuple[RequestRecord, ...]
    declared_faults: tuple[DeclaredFault, ...]
    fired: tuple[FiredFault, ...]
    expectations: tuple[ExpectationResult, ...]
    overrides: tuple[str, ...] = ()  # descriptions of the route overrides applied
    override_ids: tuple[str, ...] = ()  # their ids, each once, in the order first applied
    notes: tuple[str, ...] = field(default=())
    abort: Abort | None = None  # set when a live drill's safeguard stopped it

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.expectations)

    @property
    def total_cost_usd(self) -> Decimal:
        return sum((r.result.cost_usd for r in self.requests), Decimal(0))
