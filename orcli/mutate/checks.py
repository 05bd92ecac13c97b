"""The checks that can kill a mutant, cheapest first: lint, the ``diff`` gate, then drills.

Each one is the public function the CLI itself runs (``lint_policy``, ``build_report``,
``prepare`` + ``run_drill``), given the mutated policy in memory. A drill kills a mutant
when an expectation that passed under the original policy fails under the mutant, or
when the scenario can no longer run at all.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from orcli.catalog.model import Catalog
from orcli.diff.report import build_report
from orcli.diff.sources import SINGLE_FILE_KEY, PolicyEntry, PolicySide
from orcli.drill.run import run_drill
from orcli.drill.runner import prepare
from orcli.drill.scenario import LoadedScenario
from orcli.errors import InputError
from orcli.policy.lint import Finding, lint_policy
from orcli.policy.load import LoadedPolicy
from orcli.policy.model import PolicyFile, Workflow

# The gate's drills are mutate's own (they stop at a mutant's first kill): none in the gate.
GATE_DRILLS_NOTE = "drills run by orcli mutate"


@dataclass(frozen=True)
class Kill:
    by: str  # "lint", "diff gate" or "drill"
    check: str  # the rule, gate rule or "scenario: expectation"
    detail: str  # what it said


def with_workflow(loaded: LoadedPolicy, name: str, workflow: Workflow) -> LoadedPolicy:
    """The loaded file with one workflow replaced; positions still read from the original."""
    workflows = {**loaded.policy.workflows, name: workflow}
    return replace(loaded, policy=loaded.policy.model_copy(update={"workflows": workflows}))


def _errors(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.rule, f.field): f for f in findings if f.severity == "error"}


def lint_kill(original: LoadedPolicy, mutated: LoadedPolicy, catalog: Catalog) -> Kill | None:
    """A lint error the mutant adds (one the original already has proves nothing)."""
    before = _errors(lint_policy(original, catalog))
    for key, finding in _errors(lint_policy(mutated, catalog)).items():
        if key not in before:
            return Kill("lint", finding.rule, f"{finding.field}: {finding.message}")
    return None


def _side(label: str, loaded: LoadedPolicy) -> PolicySide:
    entry = PolicyEntry(SINGLE_FILE_KEY, Path(loaded.path), loaded.path)
    return PolicySide(label, None, (entry,), ((entry, loaded),), ())


def gate_kill(original: LoadedPolicy, mutated: LoadedPolicy, catalog: Catalog) -> Kill | None:
    """What ``orcli diff`` would fail the change on (drills aside: those come next)."""
    with tempfile.TemporaryDirectory(prefix="orcli-mutate-") as scratch:
        report = build_report(
            _side("original", original),
            _side("mutant", mutated),
            catalog,
            scenarios=None,
            drills_note=GATE_DRILLS_NOTE,
            scratch=Path(scratch),
        )
    if not report.blames:
        return None
    blame = report.blames[0]
    return Kill("diff gate", blame.rule or blame.title, blame.message)


Baseline = Mapping[str, bool]  # expectation result name -> passed under the original policy


def drill_verdicts(
    loaded: LoadedScenario, catalog: Catalog, no_overrides: Path, policy: PolicyFile | None = None
) -> dict[str, tuple[bool, str]] | str:
    """Each expectation's verdict and summary for the scenario (with ``policy`` instead of its
    file's), or why it could not run."""
    try:
        inputs = prepare(loaded, catalog, overrides_path=no_overrides, policy=policy)
        result = run_drill(inputs)
    except InputError as exc:
        return exc.message
    return {e.name: (e.passed, e.summary) for e in result.expectations}


@dataclass(frozen=True)
class DrillKill:
    kill: Kill | None
    drills_run: int


def drill_kill(
    scenarios: Sequence[tuple[LoadedScenario, Baseline]],
    policy: PolicyFile,
    catalog: Catalog,
    no_overrides: Path,
) -> DrillKill:
    """Run the scenarios under the mutated ``policy`` until one kills it."""
    run = 0
    for loaded, baseline in scenarios:
        run += 1
        name = loaded.scenario.name
        verdicts = drill_verdicts(loaded, catalog, no_overrides, policy)
        if isinstance(verdicts, str):
            return DrillKill(Kill("drill", f"{name}: runs", f"the scenario no longer runs: {verdicts}"), run)
        for expectation, (passed, summary) in verdicts.items():
            if baseline.get(expectation) and not passed:
                return DrillKill(Kill("drill", f"{name}: {expectation}", summary), run)
    return DrillKill(None, run)
