"""Checks a scenario must pass before any request is sent.

A typo in a fault's target or in an expectation's reference is bad input, not a drill
result: ``provider: grok`` would otherwise run the whole drill and end "fault never
fired" (exit 1), and ``recovery: {fault: groq-492}`` would fail as if the policy had
not recovered. Each problem names ``file:line:col`` and, where one is close, the name
the author most likely meant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from orcli.catalog.model import Catalog
from orcli.drill.expectations.fail_safe_approved import FailSafeApproved
from orcli.drill.expectations.recovery import Recovery
from orcli.drill.scenario import LoadedScenario
from orcli.errors import SourceError
from orcli.policy.model import Workflow
from orcli.sourcefile import Loc
from orcli.suggest import did_you_mean
from orcli.upstream.targets import model_problem, provider_problem, target_problems


def check_references(loaded: LoadedScenario, workflows: Mapping[str, Workflow], catalog: Catalog) -> None:
    """Raise a SourceError at the first reference that names nothing: a fault's provider or
    model, an expectation's fault, workflow, approved model or approved provider."""
    for loc, problem in _problems(loaded, workflows, catalog):
        raise loaded.document.error(loc, problem)


def reference_errors(loaded: LoadedScenario, workflows: Mapping[str, Workflow], catalog: Catalog) -> list[SourceError]:
    """Every dangling reference, in file order (for ``orcli validate``)."""
    return [loaded.document.error(loc, problem) for loc, problem in _problems(loaded, workflows, catalog)]


def _problems(loaded: LoadedScenario, workflows: Mapping[str, Workflow], catalog: Catalog) -> Iterator[tuple[Loc, str]]:
    scenario = loaded.scenario
    for i, fault in enumerate(scenario.faults):
        for field, why in target_problems(fault.provider, fault.model, catalog):
            yield ("faults", i, field), why
    fault_ids = [f.fault_id for f in scenario.faults]
    for i, expectation in enumerate(scenario.expect):
        if expectation.workflow is not None and expectation.workflow not in workflows:
            known = ", ".join(workflows)
            hint = did_you_mean(expectation.workflow, workflows)
            yield (
                ("expect", i, "workflow"),
                f"workflow '{expectation.workflow}' is not one of this scenario's workflows{hint or f' ({known})'}",
            )
        if isinstance(expectation, Recovery):
            if expectation.fault not in fault_ids:
                hint = did_you_mean(expectation.fault, fault_ids)
                declared = f" (declared: {', '.join(fault_ids)})" if fault_ids else " (this scenario declares none)"
                yield ("expect", i, "fault"), f"no fault with id '{expectation.fault}'{hint or declared}"
            elif scenario.faults[fault_ids.index(expectation.fault)].end_s is None:
                yield (
                    ("expect", i, "fault"),
                    f"fault '{expectation.fault}' has no end_s: there is no end to recover from",
                )
        if isinstance(expectation, FailSafeApproved):
            for j, model in enumerate(expectation.approved_models):
                problem = model_problem(model, catalog)
                if problem:
                    yield ("expect", i, "approved_models", j), problem
            for j, provider in enumerate(expectation.approved_providers):
                problem = provider_problem(provider, catalog)
                if problem:
                    yield ("expect", i, "approved_providers", j), problem
