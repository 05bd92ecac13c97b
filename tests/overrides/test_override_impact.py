"""The library seam validate, the client and drills call: overrides against policies and a catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orcli.catalog import default_catalog
from orcli.overrides import OverrideAction, new_override
from orcli.overrides.impact import policy_workflows, stranded_workflows
from orcli.policy.load import load_policy
from tests.overrides.conftest import Env

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_stranded_workflows_names_the_dead_ends(env: Env) -> None:
    targets = policy_workflows([load_policy(env.policy_file)])
    azure = new_override(
        action=OverrideAction.DISABLE,
        provider="azure",
        reason="outage",
        created_at=T0,
        created_by="ops",
        expires_at=T0 + timedelta(hours=1),
    )
    stranded = stranded_workflows(targets, [azure], default_catalog(), T0)
    assert [(i.workflow, i.source) for i in stranded] == [("pinned", str(env.policy_file))]
    assert stranded[0].after.problem is not None
    assert stranded[0].after.problem.startswith("No allowed providers are available for the selected model.")
    assert stranded_workflows(targets, [azure], default_catalog(), T0 + timedelta(hours=1)) == []
