"""Resolve a workflow: the policy as written, plus the route overrides in force.

Every tool that turns a policy into requests (compile, explain, validate, the client,
drills) goes through :func:`resolve_workflow`, so on-call's overrides reach all of
them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orcli.overrides.apply import apply_overrides_tracked
from orcli.overrides.model import Override, OverridesFile
from orcli.overrides.timefmt import iso_utc
from orcli.policy.compile import FallbackMode, compile_workflow
from orcli.policy.model import Workflow


@dataclass(frozen=True)
class ResolvedWorkflow:
    name: str
    written: Workflow  # as the policy file says
    workflow: Workflow  # as routing sees it now
    applied: tuple[Override, ...]  # the overrides that changed it, in the order applied

    @property
    def overridden(self) -> bool:
        return bool(self.applied)


def resolve_workflow(
    name: str, workflow: Workflow, overrides: OverridesFile | Iterable[Override], now: datetime
) -> ResolvedWorkflow:
    """Apply the overrides active at ``now`` to ``workflow``.

    Raises :class:`orcli.overrides.apply.NoModelLeft` (an ``InputError``) when the
    overrides remove every model of the chain.
    """
    items = overrides.overrides if isinstance(overrides, OverridesFile) else tuple(overrides)
    resolved, applied = apply_overrides_tracked(name, workflow, items, now)
    return ResolvedWorkflow(name, workflow, resolved, applied)


def override_summary(override: Override) -> dict[str, Any]:
    """How compile and explain name an applied override (no time left: output stays a function of the files)."""
    return {
        "id": override.id,
        "what": override.describe(),
        "reason": override.reason,
        "created_by": override.created_by,
        "expires_at": iso_utc(override.expires_at) if override.expires_at else None,
    }


def compile_resolved(resolved: ResolvedWorkflow, mode: FallbackMode = "openrouter") -> dict[str, Any]:
    """``compile_workflow`` of the resolved workflow, naming the overrides applied.

    The ``overrides`` key appears only when some override changed the workflow, so
    compile output stays byte-identical while no override is in force.
    """
    compiled = compile_workflow(resolved.name, resolved.workflow, mode)
    if resolved.applied:
        compiled["overrides"] = [override_summary(o) for o in resolved.applied]
    return compiled
