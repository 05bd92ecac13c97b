"""Validate many policy files at once: load each, lint each, keep every problem.

A file that cannot be loaded (missing, not YAML, not a policy) becomes a
``LoadFailure`` and the run goes on with the next file, so one broken file never
hides the problems of the others. Rendering and exit codes live in the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orcli.catalog.model import Catalog
from orcli.errors import InputError, SourceError
from orcli.policy.lint import Finding, lint_policy
from orcli.policy.load import LoadedPolicy, load_policy, policy_files, policy_from_document
from orcli.sourcefile import Document


@dataclass(frozen=True)
class LoadFailure:
    """A file that could not be read as a policy, and the loader's one-line message."""

    path: str
    line: int | None
    col: int | None
    field: str
    problem: str
    message: str  # the whole line, as every other command prints it

    @classmethod
    def from_error(cls, path: str, exc: InputError) -> LoadFailure:
        if isinstance(exc, SourceError):
            return cls(exc.path, exc.line, exc.col, exc.field, exc.problem, exc.message)
        problem = exc.message.removeprefix(f"{path}: ")
        return cls(path, None, None, "", problem, exc.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": "error",
            "rule": "load",
            "field": self.field,
            "message": self.problem,
        }


@dataclass
class ValidationReport:
    files: int = 0
    workflows: int = 0
    scenarios: int = 0  # scenario files among ``files`` (checked by orcli.drill.validate)
    findings: list[Finding] = field(default_factory=list)
    load_failures: list[LoadFailure] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    def failed(self, *, strict: bool) -> bool:
        """Whether the checks found an error (or, under ``strict``, a warning)."""
        return bool(self.errors or (strict and self.warnings))


def expand_paths(
    paths: Iterable[str | Path],
    report: ValidationReport,
    expand: Callable[[list[str | Path]], list[Path]] = policy_files,
) -> list[Path]:
    """The files that ``paths`` name, each once; a path that cannot be expanded becomes a
    load failure of ``report`` instead of stopping the others."""
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        try:
            found = expand([raw])
        except InputError as exc:
            report.load_failures.append(LoadFailure.from_error(str(raw), exc))
            continue
        for path in found:
            key = path.resolve()
            if key not in seen:  # a folder and a file inside it name the same file twice
                seen.add(key)
                files.append(path)
    return files


PolicyCheck = Callable[[LoadedPolicy], Iterable[Finding]]
"""A check beyond the lint rules, run on every policy that loads (e.g. the route overrides'
:func:`orcli.overrides.checks.stranding_check`)."""


def validate_paths(
    paths: Iterable[str | Path],
    catalog: Catalog,
    *,
    checks: Sequence[PolicyCheck] = (),
) -> ValidationReport:
    """Load and lint every policy, and run the extra ``checks`` on each."""
    report = ValidationReport()
    checker = PolicyChecker(report, catalog, checks)
    for path in expand_paths(paths, report):
        checker.check_path(path)
    return report


@dataclass
class PolicyChecker:
    """Checks policy files one by one into ``report``, and what only shows across files:
    a workflow name defined twice (which one would a scenario or an override mean?)."""

    report: ValidationReport
    catalog: Catalog
    checks: Sequence[PolicyCheck] = ()
    first_seen: dict[str, tuple[str, int]] = field(default_factory=dict)  # workflow -> (path, line)

    def check_path(self, path: Path) -> None:
        self.report.files += 1
        try:
            loaded = load_policy(path)
        except InputError as exc:
            self.report.load_failures.append(LoadFailure.from_error(str(path), exc))
            return
        self.check(loaded)

    def check_document(self, document: Document) -> None:
        self.report.files += 1
        try:
            loaded = policy_from_document(document)
        except InputError as exc:
            self.report.load_failures.append(LoadFailure.from_error(document.path, exc))
            return
        self.check(loaded)

    def check(self, loaded: LoadedPolicy) -> None:
        self.report.workflows += len(loaded.policy.workflows)
        self.report.findings.extend(lint_policy(loaded, self.catalog))
        self.report.findings.extend(self._duplicates(loaded))
        for check in self.checks:
            self.report.findings.extend(check(loaded))

    def _duplicates(self, loaded: LoadedPolicy) -> list[Finding]:
        findings: list[Finding] = []
        for name in loaded.policy.workflows:
            position = loaded.document.position(("workflows", name), key=True)
            first = self.first_seen.setdefault(name, (loaded.path, position.line))
            if first != (loaded.path, position.line):
                message = f"workflow '{name}' is also defined in {first[0]}:{first[1]}; workflow names must be unique"
                findings.append(Finding.at_workflow(loaded, name, "duplicate-workflow", message))
        return findings
