"""Which of a mutant's scenarios to drill first: those with the expectations most likely to
notice its kind of change. Drills stop at a mutant's first kill, so a good first guess
saves the rest; the order never changes whether a mutant is killed, only how soon."""

from __future__ import annotations

from collections.abc import Sequence

from orcli.drill.scenario import LoadedScenario
from orcli.mutate.operators import Mutant

# Expectation kinds, best guess first, by mutant key and then by operator family.
BY_KEY: dict[str, tuple[str, ...]] = {
    "retry.max_attempts-x3": ("max_attempts",),
    "retry.max_attempts-1": ("success_rate", "handled_rate"),
    "retry.honor_retry_after-off": ("retry_after_respected",),
    "timeouts-x10": ("latency",),
    "circuit_breaker-off": ("latency", "success_rate"),
}
BY_OPERATOR: dict[str, tuple[str, ...]] = {
    "fallbacks": ("success_rate", "max_fallback_depth"),
    "retry": ("max_fallback_depth", "outcomes"),  # flipped retry.on actions
    "degradation": ("fail_safe_approved", "success_rate"),
    "byok": ("fail_safe_approved", "within_policy"),
    "data-policy": ("fail_safe_approved", "within_policy"),
    "budget": ("cost", "outcomes"),
}


def likely_first(mutant: Mutant, scenarios: Sequence[LoadedScenario]) -> list[LoadedScenario]:
    wanted = BY_KEY.get(mutant.key) or BY_OPERATOR.get(mutant.operator, ())

    def rank(scenario: LoadedScenario) -> int:
        kinds = {e.kind_name for e in scenario.scenario.expect}
        return next((i for i, kind in enumerate(wanted) if kind in kinds), len(wanted))

    return sorted(scenarios, key=rank)  # stable: equal ranks keep their file order
