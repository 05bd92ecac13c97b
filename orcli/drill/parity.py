"""Rehearse a live drill for free: the live code path against the in-process simulator.

:func:`rehearse` runs a scenario through :func:`orcli.drill.live.drill_live` (the caps,
the guard, client-side fault injection, the trail-less served route) on the virtual-time
loop, with the simulator standing in for the network and no fault of its own: every fault
is injected by the live path, as it would be against OpenRouter. Its safeguards are set so
they cannot trip (the caps sit far above the traffic, the error-rate threshold above 100%),
because a rehearsal is there to compare outcomes, not to stop early.

:func:`compare` sets that run beside the mock run of the same scenario. Client-side
injection cannot reproduce what happens inside OpenRouter (failover between providers of
one model, health memory), so parity is defined per expectation verdict, and outcome
counts (raw, and the ``outcomes`` expectations that count them) are compared only when
every fault is aimed at a request or a model, never at a provider.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from orcli.client.keys import ApiKey
from orcli.drill.live import LiveOptions, LiveRun, drill_live
from orcli.drill.records import DrillResult, Outcome
from orcli.drill.runner import DRILL_SIMULATOR, DrillInputs
from orcli.live.guard import LiveLimits
from orcli.upstream import Simulator
from orcli.upstream.presets import bodies
from orcli.upstream.transport import AsyncSimulatorTransport
from orcli.vtime import run_virtual

# The simulator accepts any bearer token: this one only proves the live path sends one.
REHEARSAL_KEY = "sk-or-rehearsal"
_UNREACHABLE = 10**9  # requests or dollars no rehearsal comes near
# Outcome counts of the two runs may differ by this share of the requests (at least two):
# the live path routes around a fault where the simulator fails over inside one request.
COUNT_TOLERANCE = 0.1
OUTCOME_COUNT_KINDS = frozenset({"outcomes"})


def rehearsal_limits() -> LiveLimits:
    """Caps and safeguards that cannot trip: the rehearsal compares, it never aborts."""
    return LiveLimits(
        max_requests=_UNREACHABLE,
        max_cost_usd=Decimal(_UNREACHABLE),
        abort_error_rate=2.0,  # a share of failed responses never reaches 200%
        abort_min_requests=_UNREACHABLE,
        abort_spend_usd=Decimal(_UNREACHABLE),
    )


def rehearse(inputs: DrillInputs) -> DrillResult:
    """The scenario through the live code path, against the in-process simulator, on virtual time."""
    scenario = inputs.loaded.scenario
    simulator = Simulator(inputs.catalog, seed=inputs.seed, options=DRILL_SIMULATOR, presets=bodies(scenario.presets))
    live = LiveRun(
        key=ApiKey(REHEARSAL_KEY),
        options=LiveOptions(limits=rehearsal_limits(), max_tokens=None),
        transport=AsyncSimulatorTransport(simulator),
    )
    return run_virtual(drill_live, inputs, live)


@dataclass(frozen=True, slots=True)
class Verdicts:
    """One expectation's verdict on each run."""

    name: str
    kind: str
    mock: bool
    live: bool
    compared: bool  # False: an outcome count where a provider fault makes the runs differ by design

    @property
    def agree(self) -> bool:
        return not self.compared or self.mock == self.live


@dataclass(frozen=True, slots=True)
class Parity:
    scenario: str
    requests: int
    mock_counts: dict[str, int]
    live_counts: dict[str, int]
    counts_compared: bool
    verdicts: tuple[Verdicts, ...]

    @property
    def mock_passed(self) -> bool:
        return all(v.mock for v in self.verdicts)

    @property
    def live_passed(self) -> bool:
        return all(v.live for v in self.verdicts)

    @property
    def count_gaps(self) -> dict[str, int]:
        """Outcomes whose counts differ by more than the tolerance (when counts are compared)."""
        if not self.counts_compared:
            return {}
        allowed = max(2, int(self.requests * COUNT_TOLERANCE))
        gaps = {o: self.live_counts.get(o, 0) - self.mock_counts.get(o, 0) for o in _OUTCOMES}
        return {o: gap for o, gap in gaps.items() if abs(gap) > allowed}

    @property
    def holds(self) -> bool:
        return all(v.agree for v in self.verdicts) and not self.count_gaps

    def mismatches(self) -> list[str]:
        shown = [f"{v.name}: mock {_word(v.mock)}, live path {_word(v.live)}" for v in self.verdicts if not v.agree]
        shown += [f"{o} count differs by {gap:+d}" for o, gap in self.count_gaps.items()]
        return shown


_OUTCOMES = tuple(o.value for o in Outcome)


def compare(inputs: DrillInputs, mock: DrillResult, live: DrillResult) -> Parity:
    provider_faults = any(f.provider is not None for f in inputs.loaded.scenario.faults)
    verdicts = tuple(
        Verdicts(m.name, m.kind, m.passed, lv.passed, compared=not (provider_faults and m.kind in OUTCOME_COUNT_KINDS))
        for m, lv in zip(mock.expectations, live.expectations, strict=True)
    )
    return Parity(
        scenario=mock.scenario,
        requests=len(mock.requests),
        mock_counts=_counts(mock),
        live_counts=_counts(live),
        counts_compared=not provider_faults,
        verdicts=verdicts,
    )


def _counts(result: DrillResult) -> dict[str, int]:
    counts = Counter(r.outcome.value for r in result.requests)
    return {o: counts[o] for o in _OUTCOMES}


def _word(passed: bool) -> str:
    return "pass" if passed else "FAIL"
