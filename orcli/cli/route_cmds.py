"""``orcli route``: on-call overrides that disable or force routes without editing policies."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from orcli.catalog.load import load_catalog
from orcli.catalog.model import Catalog
from orcli.cli.boundary import UsageError
from orcli.cli.output import print_json, stdout_console
from orcli.overrides.effect import contradictions
from orcli.overrides.impact import Impact, PolicyWorkflow, assess, policy_workflows, unknown_targets
from orcli.overrides.location import Store, open_store
from orcli.overrides.model import Override, OverrideAction, new_override
from orcli.overrides.store import current_actor
from orcli.overrides.timefmt import expiry, human_duration, iso_utc
from orcli.policy.load import load_policy, policy_files
from orcli.project import project_root
from orcli.reports.layout import Role, fit

DEFAULT_POLICIES = Path("policies")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)  # whole seconds: readable ids, times and logs


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def terminal_confirm() -> Callable[[str], bool] | None:
    """A yes/no prompt when a person is at a terminal; None for scripts and pipes."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    import typer

    return lambda question: typer.confirm(question, default=False)


@dataclass(frozen=True)
class Target:
    """What an override is about, as the flags give it."""

    action: OverrideAction
    provider: str | None
    model: str | None
    workflow: str | None
    reason: str
    ttl: str | None
    until: str | None

    @classmethod
    def disable(
        cls,
        provider: str | None,
        model: str | None,
        workflow: str | None,
        reason: str,
        ttl: str | None,
        until: str | None,
    ) -> Target:
        return cls(OverrideAction.DISABLE, provider, model, workflow, reason, ttl, until)

    @classmethod
    def force(
        cls, workflow: str, model: str, provider: str | None, reason: str, ttl: str | None, until: str | None
    ) -> Target:
        return cls(OverrideAction.FORCE, provider, model, workflow, reason, ttl, until)

    def build(self, now: datetime) -> Override:
        if self.action is OverrideAction.DISABLE and (self.provider is None) == (self.model is None):
            raise UsageError("disable: give exactly one of --provider or --model")
        if not self.reason.strip():
            raise UsageError("--reason: must say why (it goes to the audit log)")
        expires_at = expiry(self.ttl, self.until, now, required=self.action is OverrideAction.FORCE)
        return new_override(
            action=self.action,
            provider=self.provider,
            model=self.model,
            workflow=self.workflow,
            reason=self.reason.strip(),
            created_at=now,
            created_by=current_actor(),
            expires_at=expires_at,
        )


def _policy_targets(policies: Sequence[Path] | None, *, required: bool) -> list[PolicyWorkflow]:
    paths: Sequence[Path]
    default = project_root() / DEFAULT_POLICIES
    if policies:
        paths = policies
    elif default.is_dir():
        paths = [default]
    elif required:
        raise UsageError("--policy: no policies given and no policies/ folder in the project")
    else:
        return []
    return policy_workflows(load_policy(p) for p in policy_files(paths))


def add_cmd(
    target: Target,
    overrides: str | None,
    policies: Sequence[Path] | None,
    catalog_path: Path | None,
    force: bool,
    replace: Sequence[str] = (),
) -> None:
    """Store a disable or force override, unless it strands a workflow (then only with ``--force``)."""
    now = utc_now()
    candidate = target.build(now)
    catalog = load_catalog(catalog_path)
    workflows = _policy_targets(policies, required=False)
    if not workflows:
        _stderr("note: no policies given and no policies/ folder: not checked for workflows left without a route")
    for problem in unknown_targets(candidate, workflows, catalog):
        if not force:
            raise UsageError(f"{problem}; add --force to store the override anyway")
        _stderr(f"warning: {problem}")

    stranded: list[Impact] = []
    changed: list[Impact] = []

    def check(existing: tuple[Override, ...], stored: Override) -> None:
        # A store may decide twice (another writer got in first): keep the last decision's findings.
        changed.clear()
        stranded.clear()
        clashes = contradictions(stored, existing, now)
        if clashes:
            raise UsageError(_contradiction(stored, clashes))
        impacts = assess(stored, existing, workflows, catalog, now)
        changed.extend(impacts)
        stranded.extend(i for i in impacts if i.stranded)
        if stranded and not force:
            raise UsageError(_refusal(stored, stranded))

    store = open_store(overrides)
    stored = store.add(candidate, now=now, check=check, replace=replace)
    print(f"added {stored.id}: {stored.describe()}, {_expiry_text(stored, now)}")
    for replaced in replace:
        print(f"  replaced {replaced} (removed in the same change)")
    print(f"  reason: {stored.reason}")
    if workflows:
        names = ", ".join(i.workflow for i in changed) or "none"
        print(f"  changes {len(changed)} workflow(s): {names}")
    for impact in stranded:
        where = f"workflow '{impact.workflow}' ({impact.source})"
        _stderr(f"warning: {where} now has no eligible endpoint: {impact.after.problem}")
    print(f"  undo: orcli route enable {stored.id}")
    _wrote(store)


def _wrote(store: Store) -> None:
    print(f"  store: {store.location}")


def _contradiction(candidate: Override, clashes: Sequence[Override]) -> str:
    first = clashes[0]
    named = "; ".join(f"{o.id} ({o.describe()}, by {o.created_by}: {o.reason})" for o in clashes)
    return (
        f"refused: {candidate.describe()} contradicts active override {named}; "
        f"add --replace {first.id} to lift it in the same change, or run 'orcli route enable {first.id}' first"
    )


def _refusal(candidate: Override, stranded: Sequence[Impact]) -> str:
    names = ", ".join(f"'{i.workflow}' ({i.source})" for i in stranded)
    first = stranded[0].after.problem
    return (
        f"refused: {candidate.describe()} leaves no eligible endpoint for workflow {names}: {first}; "
        f"see 'orcli route preview', or add --force"
    )


def _expiry_text(override: Override, now: datetime) -> str:
    left = override.time_left(now)
    if left is None or override.expires_at is None:
        return "no expiry (until enabled)"
    if left.total_seconds() <= 0:
        return f"expired {human_duration(-left)} ago"
    return f"expires {iso_utc(override.expires_at)} (in {human_duration(left)})"


def enable_cmd(override_id: str, overrides: str | None, reason: str | None) -> None:
    store = open_store(overrides)
    removed = store.enable(override_id, now=utc_now(), why=reason)
    print(f"removed {removed.id}: {removed.describe()} no longer applies")
    _wrote(store)


def clear_cmd(
    overrides: str | None,
    expired_only: bool,
    reason: str | None,
    yes: bool,
    confirm: Callable[[str], bool] | None = None,
) -> None:
    """Remove every override, or the expired ones.

    Lifting everything at once is the one change that can undo a whole incident response,
    so it needs a reason for the audit log and, on a terminal, a yes to a prompt listing
    what would go. ``--expired`` removes only overrides that no longer apply: no reason needed.
    """
    if not expired_only and (reason is None or not reason.strip()):
        raise UsageError("--reason: required to clear every override (it goes to the audit log); or use --expired")
    store = open_store(overrides)
    now = utc_now()
    if not expired_only and not yes and confirm is not None:
        active = store.read().active(now)
        if active:
            listed = ", ".join(f"{o.id} ({o.describe()})" for o in active)
            question = f"remove {len(active)} active override(s) from {store.location}: {listed}?"
            if not confirm(question):
                print("nothing removed")
                return
    why = reason.strip() if reason else "expired"
    removed = store.clear(now=now, expired_only=expired_only, why=why)
    what = "expired override(s)" if expired_only else "override(s)"
    if not removed:
        print(f"no {what} to remove")
        return
    print(f"removed {len(removed)} {what}: {', '.join(o.id for o in removed)}")
    _wrote(store)


def list_cmd(overrides: str | None, as_json: bool) -> None:
    now = utc_now()
    store = open_store(overrides)
    content = store.read()
    if as_json:
        print_json([_override_json(o, now) for o in content.overrides])
        return
    if not content.overrides:
        print("no route overrides")
        return
    table = Table(title=f"route overrides ({escape(store.location)})", title_justify="left")
    for column in ("id", "action", "target", "workflow", "status", "reason", "by"):
        table.add_column(column, no_wrap=column != "reason")
    for o in content.overrides:
        status = _expiry_text(o, now)
        table.add_row(
            o.id,
            o.action.value,
            escape(o.target),
            o.workflow or "(all)",
            f"[green]{status}[/green]" if o.is_active(now) else f"[red]{status}[/red]",
            escape(o.reason),
            escape(o.created_by),
        )
    console = stdout_console()
    console.print(fit(table, console.width, LIST_ROLES, LIST_DROP_FIRST))


# An override is found by its id and judged by what it does and whether it is still on.
LIST_ROLES: dict[str, Role] = {
    "id": "key",
    "action": "key",
    "target": "wrap",
    "workflow": "optional",
    "status": "wrap",
    "reason": "wrap",
    "by": "optional",
}
LIST_DROP_FIRST = ("by", "workflow")


def _override_json(override: Override, now: datetime) -> dict[str, Any]:
    left = override.time_left(now)
    return {
        **override.model_dump(mode="json"),
        "active": override.is_active(now),
        "seconds_left": None if left is None else int(left.total_seconds()),
    }


def preview_cmd(
    target: Target, overrides: str | None, policies: Sequence[Path] | None, catalog_path: Path | None, as_json: bool
) -> None:
    now = utc_now()
    candidate = target.build(now)
    catalog: Catalog = load_catalog(catalog_path)
    workflows = _policy_targets(policies, required=True)
    existing = open_store(overrides).read().overrides
    problems = unknown_targets(candidate, workflows, catalog)
    impacts = assess(candidate, existing, workflows, catalog, now)
    if as_json:
        print_json(
            {
                "override": candidate.model_dump(mode="json", exclude={"id", "created_at", "created_by"}),
                "warnings": problems,
                "workflows": [i.to_json() for i in impacts],
            }
        )
        return
    for problem in problems:
        _stderr(f"warning: {problem}")
    print(f"preview: {candidate.describe()}")
    if not impacts:
        print(f"changes no workflow in {len(workflows)} checked")
        return
    for impact in impacts:
        _print_impact(impact)
    stranded = [i.workflow for i in impacts if i.stranded]
    print(f"changes {len(impacts)} of {len(workflows)} workflow(s)", end="")
    print(f"; leaves no route for {', '.join(stranded)}: 'orcli route' refuses it without --force" if stranded else "")


def _print_impact(impact: Impact) -> None:
    print(f"\nworkflow {impact.workflow} ({impact.source})")
    for label, state in (("before", impact.before), ("after", impact.after)):
        request = state.compiled["request"] if state.compiled else None
        print(f"  request {label}: {json.dumps(request) if request else '(none)'}")
    for label, state in (("before", impact.before), ("after", impact.after)):
        listed = ", ".join(state.eligible) if state.eligible else f"none: {state.problem}"
        print(f"  eligible {label} ({len(state.eligible)}): {listed}")
    if impact.lost:
        print(f"  no longer eligible: {', '.join(impact.lost)}")
    if impact.gained:
        print(f"  newly eligible: {', '.join(impact.gained)}")
