"""``orcli mutate``: weaken each rule of each workflow and see whether anything notices.

For every mutant the cheap checks run first, in process: lint, then the ``diff`` gate.
A mutant they let through is compared with its original; one that cannot be told apart
is equivalent (with its reason). The rest are drilled: each scenario that uses the
workflow, under the mutated policy, until one expectation that passes under the original
fails. Drills run in a process pool when there are enough of them to pay for it; a
mutant's own drills run one after the other, likeliest killer first, and stop at its
first kill.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orcli.catalog.model import Catalog
from orcli.drill.scenario import LoadedScenario, load_scenario, scenario_files
from orcli.mutate.checks import (
    Baseline,
    DrillKill,
    Kill,
    drill_kill,
    drill_verdicts,
    gate_kill,
    lint_kill,
    with_workflow,
)
from orcli.mutate.observe import Equivalence, equivalence
from orcli.mutate.operators import Mutant, mutants
from orcli.mutate.order import likely_first
from orcli.mutate.suggest import suggestion
from orcli.policy.load import LoadedPolicy, load_policy, policy_files
from orcli.policy.model import PolicyFile

Status = Literal["killed", "survived", "equivalent"]
# Below this many drills a pool costs more to start than it saves.
POOL_MIN_DRILLS = 8


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    path: str  # the policy file
    line: int  # of the key the mutant changed
    status: Status
    kill: Kill | None = None
    equivalence: Equivalence | None = None
    suggestion: str | None = None
    drills_run: int = 0


@dataclass(frozen=True)
class MutationReport:
    results: tuple[MutantResult, ...]
    policies: tuple[str, ...]
    scenarios: tuple[str, ...]
    elapsed_s: float
    jobs: int
    notes: tuple[str, ...] = field(default=())

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def score(self) -> float:
        """killed / (all - equivalent); 1.0 when every mutant is equivalent (or there are none)."""
        counted = len(self.results) - self.count("equivalent")
        return self.count("killed") / counted if counted else 1.0


@dataclass(frozen=True)
class _Target:
    loaded: LoadedPolicy
    name: str
    scenarios: tuple[LoadedScenario, ...]


@dataclass
class _Pending:
    """A mutant the cheap checks let through, waiting for its drills."""

    mutant: Mutant
    target: _Target
    policy: PolicyFile

    @property
    def scenarios(self) -> list[LoadedScenario]:
        return likely_first(self.mutant, self.target.scenarios)


def run_mutation(
    paths: Sequence[str | Path],
    scenarios_dir: Path | None,
    catalog: Catalog,
    *,
    jobs: int | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> MutationReport:
    """Mutate every workflow of the policy files under ``paths`` and check each mutant."""
    started = time.perf_counter()
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    policies = [load_policy(p) for p in policy_files(paths)]
    loaded_scenarios = _scenarios(scenarios_dir)
    notes: list[str] = []
    targets = [t for loaded in policies for t in _targets(loaded, loaded_scenarios)]
    results: dict[str, MutantResult] = {}
    pending: list[_Pending] = []
    order: list[str] = []

    def done(result: MutantResult) -> None:
        results[result.mutant.id] = result
        if on_result is not None:
            on_result(result)

    for target in targets:
        original = target.loaded.policy.workflows[target.name]
        for mutant in mutants(target.name, original, catalog):
            order.append(mutant.id)
            mutated = with_workflow(target.loaded, target.name, mutant.mutated)
            line = _line(target, mutant)
            kill = lint_kill(target.loaded, mutated, catalog) or gate_kill(target.loaded, mutated, catalog)
            if kill is not None:
                done(MutantResult(mutant, target.loaded.path, line, "killed", kill))
                continue
            same = equivalence(original, mutant.mutated, catalog)
            if same is not None:
                done(MutantResult(mutant, target.loaded.path, line, "equivalent", equivalence=same))
                continue
            pending.append(_Pending(mutant, target, mutated.policy))

    with tempfile.TemporaryDirectory(prefix="orcli-mutate-") as scratch:
        no_overrides = Path(scratch) / "no-overrides.yaml"  # absent: the on-call store bends no drill
        needed = {s.path: s for p in pending for s in p.target.scenarios}
        planned = len(needed) + sum(len(p.target.scenarios) for p in pending)
        use_pool = jobs > 1 and planned >= POOL_MIN_DRILLS
        executor: Executor | None = _pool(jobs, catalog, no_overrides) if use_pool else None
        try:
            baselines = _baselines(list(needed.values()), catalog, no_overrides, executor, notes)
            drilled = _drill(pending, baselines, catalog, no_overrides, executor)
            for item, outcome in zip(pending, drilled, strict=True):
                line = _line(item.target, item.mutant)
                if outcome.kill is not None:
                    status: Status = "killed"
                    advice = None
                else:
                    status = "survived"
                    original = item.target.loaded.policy.workflows[item.target.name]
                    advice = suggestion(
                        item.mutant, original, catalog, [s.scenario.name for s in item.target.scenarios]
                    )
                done(
                    MutantResult(
                        item.mutant,
                        item.target.loaded.path,
                        line,
                        status,
                        outcome.kill,
                        suggestion=advice,
                        drills_run=outcome.drills_run,
                    )
                )
        finally:
            if executor is not None:
                executor.shutdown()
    return MutationReport(
        tuple(results[i] for i in order),
        tuple(p.path for p in policies),
        tuple(s.path for s in loaded_scenarios),
        round(time.perf_counter() - started, 2),
        jobs if use_pool else 1,
        tuple(notes),
    )


def _scenarios(folder: Path | None) -> list[LoadedScenario]:
    if folder is None:
        return []
    loaded = [load_scenario(p) for p in scenario_files([folder])]
    return [s for s in loaded if s.scenario.target == "mock"]  # mutants are drilled on the mock only


def _targets(loaded: LoadedPolicy, scenarios: Iterable[LoadedScenario]) -> list[_Target]:
    here = Path(loaded.path).resolve()
    using = [s for s in scenarios if s.resolve(s.scenario.policy).resolve() == here]
    return [
        _Target(
            loaded,
            name,
            tuple(s for s in using if not s.scenario.workflows or name in s.scenario.workflows),
        )
        for name in loaded.policy.workflows
    ]


def _line(target: _Target, mutant: Mutant) -> int:
    """The line of the key the mutant changed, or of the nearest key the file writes."""
    return target.loaded.document.position(("workflows", target.name, *mutant.loc), key=True).line


# --- drills, in process or in a pool -------------------------------------------------------------

_worker: dict[str, object] = {}


def _init_worker(catalog: Catalog, no_overrides: Path) -> None:
    _worker["catalog"] = catalog
    _worker["no_overrides"] = no_overrides
    _worker["scenarios"] = {}


def _scenario(path: str) -> LoadedScenario:
    cache = _worker["scenarios"]
    assert isinstance(cache, dict)
    if path not in cache:
        cache[path] = load_scenario(path)
    found = cache[path]
    assert isinstance(found, LoadedScenario)
    return found


def _context() -> Catalog:
    catalog = _worker["catalog"]
    assert isinstance(catalog, Catalog)
    return catalog


def _baseline_task(path: str) -> dict[str, tuple[bool, str]] | str:
    no_overrides = _worker["no_overrides"]
    assert isinstance(no_overrides, Path)
    return drill_verdicts(_scenario(path), _context(), no_overrides)


def _mutant_task(policy: PolicyFile, scenarios: list[tuple[str, dict[str, bool]]]) -> DrillKill:
    no_overrides = _worker["no_overrides"]
    assert isinstance(no_overrides, Path)
    return drill_kill([(_scenario(p), b) for p, b in scenarios], policy, _context(), no_overrides)


def _pool(jobs: int, catalog: Catalog, no_overrides: Path) -> Executor:
    # fork: the workers start with orcli already imported, in a few milliseconds.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(catalog, no_overrides))


def _baselines(
    scenarios: list[LoadedScenario],
    catalog: Catalog,
    no_overrides: Path,
    executor: Executor | None,
    notes: list[str],
) -> dict[str, Baseline]:
    if executor is None:
        verdicts = [drill_verdicts(s, catalog, no_overrides) for s in scenarios]
    else:
        verdicts = list(executor.map(_baseline_task, [s.path for s in scenarios]))
    out: dict[str, Baseline] = {}
    for loaded, verdict in zip(scenarios, verdicts, strict=True):
        if isinstance(verdict, str):
            notes.append(f"{loaded.path}: does not run under the original policy, so it kills nothing: {verdict}")
            out[loaded.path] = {}
            continue
        failing = [name for name, (passed, _) in verdict.items() if not passed]
        if failing:
            notes.append(
                f"{loaded.path}: fails under the original policy ({', '.join(failing)}); only its passing "
                "expectations can kill a mutant"
            )
        out[loaded.path] = {name: passed for name, (passed, _) in verdict.items()}
    return out


def _drill(
    pending: list[_Pending],
    baselines: dict[str, Baseline],
    catalog: Catalog,
    no_overrides: Path,
    executor: Executor | None,
) -> list[DrillKill]:
    if executor is None:
        return [
            drill_kill([(s, baselines[s.path]) for s in p.scenarios], p.policy, catalog, no_overrides) for p in pending
        ]
    futures: list[Future[DrillKill]] = [
        executor.submit(_mutant_task, p.policy, [(s.path, dict(baselines[s.path])) for s in p.scenarios])
        for p in pending
    ]
    return [f.result() for f in futures]
