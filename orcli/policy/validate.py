"""Validate many policy files at once: load each, lint each, keep every problem.

A file that cannot be loaded (missing, not YAML, not a policy) becomes a
``LoadFailure`` and the run goes on with the next file, so one broken file never
hides the problems of the others. Rendering and exit codes live in the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orcli.catalog.model import Catalog
from orcli.errors import InputError, SourceError
from orcli.overrides.impact import policy_workflows, stranded_workflows
from orcli.overrides.model import Override
from orcli.policy.lint import Finding, lint_policy
from orcli.policy.load import LoadedPolicy, load_policy, policy_files


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


def _expand(paths: Iterable[str | Path], report: ValidationReport) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        try:
            found = policy_files([raw])
        except InputError as exc:
            report.load_failures.append(LoadFailure.from_error(str(raw), exc))
            continue
        for path in found:
            key = path.resolve()
            if key not in seen:  # a folder and a file inside it name the same file twice
                seen.add(key)
                files.append(path)
    return files


def validate_paths(
    paths: Iterable[str | Path],
    catalog: Catalog,
    *,
    overrides: Sequence[Override] = (),
    now: datetime | None = None,
) -> ValidationReport:
    """Load and lint every policy; with route ``overrides`` in force (those active at
    ``now``), also report each workflow they leave without an eligible endpoint."""
    report = ValidationReport()
    for path in _expand(paths, report):
        report.files += 1
        try:
            loaded = load_policy(path)
        except InputError as exc:
            report.load_failures.append(LoadFailure.from_error(str(path), exc))
            continue
        report.workflows += len(loaded.policy.workflows)
        report.findings.extend(lint_policy(loaded, catalog))
        if overrides:
            report.findings.extend(_stranded(loaded, overrides, catalog, now or datetime.now(UTC)))
    return report


def _stranded(loaded: LoadedPolicy, overrides: Sequence[Override], catalog: Catalog, now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    for impact in stranded_workflows(policy_workflows([loaded]), overrides, catalog, now):
        applied = impact.after.resolved.applied if impact.after.resolved else ()
        ids = ", ".join(o.id for o in applied) or ", ".join(o.id for o in overrides)
        position = loaded.document.position(("workflows", impact.workflow), key=True)
        findings.append(
            Finding(
                loaded.path,
                position.line,
                position.col,
                "error",
                "override-strands-workflow",
                f"workflows.{impact.workflow}",
                f"route override(s) {ids} leave no eligible endpoint ({impact.after.problem}); "
                f"lift one with 'orcli route enable ID'",
            )
        )
    return findings
