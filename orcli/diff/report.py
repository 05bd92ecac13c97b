"""The whole diff of two policy sets, and the gate: what fails it, and at which line.

The gate fails (exit 1) when the new side adds a lint error, breaks one of the named
policy rules (orcli.diff.gate), or a scenario that passed under the old policy fails (or
no longer runs) under the new one. Each such failure is a :class:`Blame`: the policy file
and line that did it, and why. A rule accepted with ``--allow RULE`` is still recorded,
as allowed, so the acceptance shows in the output.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from orcli.catalog.model import Catalog
from orcli.diff.compare import WorkflowDiff, compare
from orcli.diff.drills import ExpectationChange, ScenarioComparison, compare_scenarios
from orcli.diff.gate import DEFAULT_MAX_LOOSEN, GateHit, gate_hits
from orcli.diff.sources import PolicySide
from orcli.errors import InputError
from orcli.policy.lint import Finding, lint_policy


@dataclass(frozen=True)
class Blame:
    """One reason the gate fails, placed on the line of the policy that caused it."""

    path: str
    line: int
    col: int
    title: str  # "new lint error [empty-pool]", "drill turned red: chat-outage", "gate rule [loosened-cap]"
    message: str
    rule: str | None = None  # the gate rule's name, for rules ``--allow`` may accept


@dataclass(frozen=True)
class DiffReport:
    old_label: str
    new_label: str
    workflows: tuple[WorkflowDiff, ...]
    new_errors: tuple[Finding, ...]  # lint errors the new side adds
    new_warnings: tuple[Finding, ...]
    fixed_errors: tuple[Finding, ...]  # lint errors of the old side the new one no longer has
    scenarios: tuple[ScenarioComparison, ...]
    drills_note: str | None  # why drills did not run, when they did not
    notes: tuple[str, ...] = ()
    blames: tuple[Blame, ...] = field(default=())
    allowed: tuple[Blame, ...] = ()  # gate rules the change breaks, accepted with --allow

    @property
    def changed(self) -> tuple[WorkflowDiff, ...]:
        return tuple(w for w in self.workflows if w.status != "unchanged")

    @property
    def regressed(self) -> bool:
        """Whether the change adds a lint error or turns a passing drill red."""
        return bool(self.blames)


def _finding_key(f: Finding) -> tuple[str, str]:
    # The field names the workflow and the key; the message may quote figures that move.
    return f.rule, f.field


def _lint(side: PolicySide, catalog: Catalog) -> list[Finding]:
    return [f for _, loaded in side.loaded for f in lint_policy(loaded, catalog)]


def build_report(
    old: PolicySide,
    new: PolicySide,
    catalog: Catalog,
    *,
    scenarios: Path | None,
    drills_note: str | None,
    scratch: Path,
    allow: Collection[str] = (),
    max_loosen: Decimal = DEFAULT_MAX_LOOSEN,
) -> DiffReport:
    if new.failures:
        # The new side is what would ship: a file that cannot be read is bad input, as in validate.
        raise InputError(new.failures[0].message)
    notes = [f"{old.label}: {f.message} (its workflows count as absent)" for f in old.failures]
    before, after = old.workflows(), new.workflows()
    names = list(before) + [n for n in after if n not in before]
    diffs = tuple(compare(before.get(n), after.get(n), catalog) for n in names)

    old_findings, new_findings = _lint(old, catalog), _lint(new, catalog)
    old_errors = {_finding_key(f) for f in old_findings if f.severity == "error"}
    old_warnings = {_finding_key(f) for f in old_findings if f.severity == "warning"}
    new_error_keys = {_finding_key(f) for f in new_findings if f.severity == "error"}
    added_errors = tuple(f for f in new_findings if f.severity == "error" and _finding_key(f) not in old_errors)
    added_warnings = tuple(f for f in new_findings if f.severity == "warning" and _finding_key(f) not in old_warnings)
    fixed = tuple(f for f in old_findings if f.severity == "error" and _finding_key(f) not in new_error_keys)

    comparisons: tuple[ScenarioComparison, ...] = ()
    if scenarios is not None:
        comparisons = tuple(compare_scenarios(scenarios, old, new, catalog, scratch))

    blames = [
        Blame(f.path, f.line, f.col, f"new lint error [{f.rule}]", f"{f.field}: {f.message}") for f in added_errors
    ]
    rules = [_rule_blame(d, hit) for d in diffs for hit in gate_hits(d, max_loosen)]
    blames.extend(b for b in rules if b.rule not in allow)
    by_name = {d.name: d for d in diffs}
    blames.extend(_drill_blames(comparisons, by_name, new))
    return DiffReport(
        old.label,
        new.label,
        diffs,
        added_errors,
        added_warnings,
        fixed,
        comparisons,
        drills_note,
        tuple(notes),
        tuple(blames),
        tuple(b for b in rules if b.rule in allow),
    )


def _rule_blame(diff: WorkflowDiff, hit: GateHit) -> Blame:
    assert diff.new is not None  # gate rules judge changed workflows only
    path, pos = diff.new.entry.shown, diff.new.loaded.position(hit.workflow, *hit.loc)
    message = f"workflow '{hit.workflow}': {hit.message}"
    return Blame(path, pos.line, pos.col, f"gate rule [{hit.rule}]", message, hit.rule)


def _drill_blames(
    comparisons: tuple[ScenarioComparison, ...], diffs: dict[str, WorkflowDiff], new: PolicySide
) -> list[Blame]:
    blames: list[Blame] = []
    for comparison in comparisons:
        if not comparison.turned_red:
            continue
        why = comparison.new.error if comparison.new and comparison.new.error else "failed"
        changes = comparison.regressions or (ExpectationChange("drill", True, False, why, None),)
        for change in changes:
            suspect = _suspect(change.workflow, comparison, diffs)
            if suspect is not None:
                path, pos = suspect.blame()
                line, col = pos.line, pos.col
                verb = "changed here" if suspect.status != "unchanged" else "defined here"
                where = f" (workflow '{suspect.name}' {verb})"
            else:
                entry = new.entry(comparison.policy_key or "")
                path, line, col, where = (entry.shown if entry else comparison.path), 1, 1, ""
            blames.append(
                Blame(
                    path,
                    line,
                    col,
                    f"drill turned red: {comparison.scenario}",
                    f"scenario {comparison.scenario} ({comparison.path}) passed under the old policy and fails "
                    f"under the new: {change.name}: {change.summary}{where}",
                )
            )
    return blames


def _suspect(
    workflow: str | None, comparison: ScenarioComparison, diffs: dict[str, WorkflowDiff]
) -> WorkflowDiff | None:
    """The changed workflow most likely behind a failed expectation: its own, else the first changed one it drives."""
    candidates = [workflow] if workflow else []
    candidates.extend(w for w in comparison.workflows if w not in candidates)
    for name in candidates:
        diff = diffs.get(name)
        if diff is not None and diff.status != "unchanged" and diff.new is not None:
            return diff
    for name in candidates:  # nothing changed in its workflows: point at the workflow itself
        diff = diffs.get(name)
        if diff is not None and diff.new is not None:
            return diff
    return None
