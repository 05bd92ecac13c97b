"""What the route overrides in force add to ``orcli validate``: the workflows they strand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from orcli.catalog.model import Catalog
from orcli.overrides.impact import policy_workflows, stranded_workflows
from orcli.overrides.model import Override
from orcli.policy.lint import Finding
from orcli.policy.load import LoadedPolicy
from orcli.policy.validate import PolicyCheck


def stranding_check(overrides: Sequence[Override], catalog: Catalog, now: datetime) -> PolicyCheck:
    """A validate check: each workflow the ``overrides`` active at ``now`` leave without an
    eligible endpoint is an error at the workflow's key."""
    return partial(_stranded, overrides=overrides, catalog=catalog, now=now)


def _stranded(loaded: LoadedPolicy, *, overrides: Sequence[Override], catalog: Catalog, now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    for impact in stranded_workflows(policy_workflows([loaded]), overrides, catalog, now):
        applied = impact.after.resolved.applied if impact.after.resolved else ()
        ids = ", ".join(o.id for o in applied) or ", ".join(o.id for o in overrides)
        message = (
            f"route override(s) {ids} leave no eligible endpoint ({impact.after.problem}); "
            f"lift one with 'orcli route enable ID'"
        )
        findings.append(Finding.at_workflow(loaded, impact.workflow, "override-strands-workflow", message))
    return findings
