"""Run the scenario suite under both policy versions and compare the verdicts.

Scenarios are read once, from the working tree. Each one whose ``policy:`` names a
file of the compared set runs twice: as written (the new side) and with ``policy:``
pointed at the same file of the old side. The scenario itself is never rewritten on
disk: its model is copied with the other path. Route overrides of the on-call store
are not applied: the diff compares policies as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orcli.catalog.model import Catalog
from orcli.diff.sources import PolicySide
from orcli.drill.records import DrillResult
from orcli.drill.run import run_drill
from orcli.drill.runner import prepare
from orcli.drill.scenario import LoadedScenario, load_scenario, scenario_files
from orcli.errors import InputError


@dataclass(frozen=True)
class Verdict:
    """One run of a scenario: its result, or the error that kept it from running."""

    result: DrillResult | None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed

    @property
    def label(self) -> str:
        if self.result is None:
            return "error"
        return "pass" if self.result.passed else "fail"

    def expectations(self) -> dict[str, tuple[bool, str]]:
        if self.result is None:
            return {}
        return {e.name: (e.passed, e.summary) for e in self.result.expectations}


@dataclass(frozen=True)
class ExpectationChange:
    name: str
    old: bool | None  # None: absent on that side (the run errored)
    new: bool | None
    summary: str  # the new run's one line (or the old one's when the new run has none)
    workflow: str | None  # the workflow the expectation is scoped to, if any


@dataclass(frozen=True)
class ScenarioComparison:
    scenario: str
    path: str
    policy_key: str | None  # the compared policy file it runs against
    workflows: tuple[str, ...]  # the workflows it drives
    old: Verdict | None  # None: not run on this side
    new: Verdict | None
    skipped: str | None = None  # why it did not run at all
    changes: tuple[ExpectationChange, ...] = ()

    @property
    def turned_red(self) -> bool:
        return self.old is not None and self.old.passed and self.new is not None and not self.new.passed

    @property
    def turned_green(self) -> bool:
        return self.old is not None and not self.old.passed and self.new is not None and self.new.passed

    @property
    def regressions(self) -> tuple[ExpectationChange, ...]:
        return tuple(c for c in self.changes if c.old and c.new is not True)


def compare_scenarios(
    folder: Path, old: PolicySide, new: PolicySide, catalog: Catalog, scratch: Path
) -> list[ScenarioComparison]:
    # An empty overrides file path: the on-call store must not bend either run.
    no_overrides = scratch / "no-overrides.yaml"
    comparisons: list[ScenarioComparison] = []
    for path in scenario_files([folder]):
        comparisons.append(_compare_one(load_scenario(path), old, new, catalog, no_overrides))
    return comparisons


def _compare_one(
    loaded: LoadedScenario, old: PolicySide, new: PolicySide, catalog: Catalog, no_overrides: Path
) -> ScenarioComparison:
    scenario = loaded.scenario
    name, shown = scenario.name, loaded.path
    if scenario.target != "mock":
        return ScenarioComparison(
            name, shown, None, scenario.workflows, None, None, f"target {scenario.target}: diff runs mock drills only"
        )
    policy_path = loaded.resolve(scenario.policy)
    # The scenario may point into either side (diff OLD NEW, run from either copy's project).
    key = new.key_of(policy_path) or old.key_of(policy_path)
    if key is None:
        return ScenarioComparison(
            name,
            shown,
            None,
            scenario.workflows,
            None,
            None,
            f"its policy {scenario.policy} is not among the compared files",
        )
    new_entry, old_entry = new.entry(key), old.entry(key)
    new_verdict = (
        _run(loaded, new_entry.path, catalog, no_overrides)
        if new_entry is not None
        else Verdict(None, f"{scenario.policy}: the new side has no such policy file")
    )
    old_verdict = _run(loaded, old_entry.path, catalog, no_overrides) if old_entry is not None else None
    workflows = scenario.workflows or _workflows_of(new_verdict, old_verdict)
    return ScenarioComparison(
        name, shown, key, workflows, old_verdict, new_verdict, changes=tuple(_changes(loaded, old_verdict, new_verdict))
    )


def _workflows_of(*verdicts: Verdict | None) -> tuple[str, ...]:
    for verdict in verdicts:
        if verdict is not None and verdict.result is not None:
            return verdict.result.workflows
    return ()


def _run(loaded: LoadedScenario, policy: Path, catalog: Catalog, no_overrides: Path) -> Verdict:
    pointed = LoadedScenario(
        loaded.path, loaded.document, loaded.scenario.model_copy(update={"policy": str(policy.resolve())})
    )
    try:
        inputs = prepare(pointed, catalog, overrides_path=no_overrides)
        return Verdict(run_drill(inputs))
    except InputError as exc:
        # A policy change can leave a scenario unable to run (a workflow it names was removed):
        # that is a verdict of this side, not bad input to the diff.
        return Verdict(None, exc.message)


def _changes(loaded: LoadedScenario, old: Verdict | None, new: Verdict | None) -> list[ExpectationChange]:
    if old is None or new is None:
        return []
    if old.result is not None and new.result is None:
        return [ExpectationChange("runs", True, None, new.error or "could not run", None)]
    scoped = {
        _result_name(spec.name or spec.kind_name, spec.workflow): spec.workflow for spec in loaded.scenario.expect
    }
    before, after = old.expectations(), new.expectations()
    names = list(before) + [n for n in after if n not in before]
    out: list[ExpectationChange] = []
    for name in names:
        was = before.get(name)
        now = after.get(name)
        was_ok = was[0] if was else None
        now_ok = now[0] if now else None
        if was_ok == now_ok:
            continue
        summary = now[1] if now else (new.error or (was[1] if was else ""))
        out.append(ExpectationChange(name, was_ok, now_ok, summary, scoped.get(name)))
    return out


def _result_name(name: str, workflow: str | None) -> str:
    # Expectation results carry their scope in the name: "success_rate [chat]".
    return f"{name} [{workflow}]" if workflow else name
