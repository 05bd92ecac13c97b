"""What every expectation shares: a spec model and an ``evaluate`` over the drill's records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orcli.drill.chain import attempt_chain
from orcli.drill.records import DeclaredFault, ExpectationResult, FiredFault, RequestRecord
from orcli.frozen import Frozen
from orcli.policy.model import Workflow

MAX_EVIDENCE = 5  # a failure quotes at most this many requests; the count says the rest


@dataclass(frozen=True)
class DrillFacts:
    """Everything an expectation may look at. Built once, after the traffic has run."""

    requests: Sequence[RequestRecord]
    workflows: Mapping[str, Workflow]
    declared_faults: Sequence[DeclaredFault]
    fired: Sequence[FiredFault]
    tools_by_kind: Mapping[str, Sequence[Mapping[str, object]]]  # mix entry -> offered tool definitions
    length_allowed: frozenset[str] = frozenset()  # mix entries that accept an answer cut at the token limit


class Expectation(Frozen):
    name: str | None = None
    workflow: str | None = None  # restrict to one workflow's requests
    # An expectation with nothing to check (no Retry-After hint seen, a fault that never
    # applied, no answered request to time) proves nothing, so it fails unless this is set.
    allow_vacuous: bool = False

    @property
    def kind_name(self) -> str:
        return str(getattr(self, "kind", type(self).__name__))

    def rows(self, facts: DrillFacts) -> list[RequestRecord]:
        return [r for r in facts.requests if self.workflow is None or r.workflow == self.workflow]

    def verdict(self, passed: bool, summary: str, evidence: Sequence[str] = ()) -> ExpectationResult:
        shown = list(evidence[:MAX_EVIDENCE])
        if len(evidence) > MAX_EVIDENCE:
            shown.append(f"... and {len(evidence) - MAX_EVIDENCE} more")
        scope = f" [{self.workflow}]" if self.workflow else ""
        return ExpectationResult(
            name=(self.name or self.kind_name) + scope,
            kind=self.kind_name,
            passed=passed,
            summary=summary,
            evidence=tuple(shown),
        )

    def vacuous(self, what: str) -> ExpectationResult:
        """The verdict when there was nothing to check: ``what`` says what was missing."""
        if self.allow_vacuous:
            return self.verdict(True, f"nothing to check: {what} (allow_vacuous)")
        return self.verdict(False, f"nothing to check: {what} (set allow_vacuous: true if that is expected)")

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        raise NotImplementedError


def describe(row: RequestRecord) -> str:
    """One line naming a request and its attempt chain, for evidence."""
    return f"#{row.index} t={row.at_s:.1f}s {row.workflow} {row.outcome.value}: {attempt_chain(row)} ({row.reason})"
