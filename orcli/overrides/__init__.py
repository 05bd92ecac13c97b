"""On-call route overrides: the store, the records and how they change a workflow.

The client and drills resolve a workflow with::

    overrides = load_overrides(overrides_path(flag))
    workflow = apply_overrides(name, workflow, overrides.overrides, now)

or, to also learn which overrides applied, ``orcli.overrides.resolve.resolve_workflow``.
(``resolve``, ``impact`` and ``checks`` are not re-exported here: they bring in the policy
compiler and the router, which reading or writing the store does not need.)
"""

from orcli.overrides.apply import NoModelLeft, applicable, apply_override, apply_overrides
from orcli.overrides.model import Override, OverrideAction, OverridesFile, new_override
from orcli.overrides.store import OverrideStore, audit_log_path, current_actor, load_overrides, overrides_path

__all__ = [
    "NoModelLeft",
    "Override",
    "OverrideAction",
    "OverrideStore",
    "OverridesFile",
    "applicable",
    "apply_override",
    "apply_overrides",
    "audit_log_path",
    "current_actor",
    "load_overrides",
    "new_override",
    "overrides_path",
]
