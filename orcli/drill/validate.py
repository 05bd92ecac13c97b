"""``orcli validate`` over policies and scenarios together, without running anything.

Each file is read once and told apart by its top-level keys: policies are linted as
:mod:`orcli.policy.validate` does; a scenario is parsed and prepared exactly as a drill
would prepare it (its policy loaded, its workflows, overrides and references checked),
so a scenario that validates is one ``orcli drill`` will run. Nothing is sent.

The drill machinery is imported only when a scenario is met: validating policies alone
stays as quick as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from orcli.catalog.model import Catalog
from orcli.errors import InputError
from orcli.policy.validate import LoadFailure, PolicyCheck, PolicyChecker, ValidationReport, expand_paths
from orcli.sourcefile import Document, expand_files, load_document, sniff_kind


def validate_inputs(
    paths: Iterable[str | Path],
    catalog: Catalog,
    *,
    checks: Sequence[PolicyCheck] = (),
    overrides_path: str | Path | None = None,
) -> ValidationReport:
    """Check every policy and scenario file named (folders recursively). ``checks`` run on
    each policy beyond its lint rules (e.g. the route overrides in force); scenarios read
    their overrides from ``overrides_path`` (and their own ``overrides:`` file), as
    ``orcli drill`` does."""
    report = ValidationReport()
    policies = PolicyChecker(report, catalog, checks)
    scenarios: list[Document] = []
    for path in expand_paths(paths, report, _policies_or_scenarios):
        try:
            document = load_document(path)
        except InputError as exc:
            report.files += 1
            report.load_failures.append(LoadFailure.from_error(str(path), exc))
            continue
        if sniff_kind(document.data) == "scenario":
            scenarios.append(document)
        else:
            policies.check_document(document)
    for document in scenarios:
        _check_scenario(document, catalog, overrides_path, report)
    return report


def _check_scenario(
    document: Document, catalog: Catalog, overrides_path: str | Path | None, report: ValidationReport
) -> None:
    from orcli.drill.runner import prepare
    from orcli.drill.scenario import scenario_from_document

    report.files += 1
    report.scenarios += 1
    try:
        prepare(scenario_from_document(document), catalog, overrides_path=overrides_path)
    except InputError as exc:
        report.load_failures.append(LoadFailure.from_error(document.path, exc))


def _policies_or_scenarios(paths: list[str | Path]) -> list[Path]:
    return expand_files(paths, kind="policy or scenario", recursive=True)
