"""The diff gate's policy rules: changes that loosen a guard, each named so it can be accepted knowingly.

A drill only notices a loosened guard when its traffic happens to reach the newly open
route; these rules read the two policy versions themselves, so the gate fails whether or
not a scenario exercises the change:

- ``data-policy``: a newly eligible endpoint does with prompts what the workflow's data
  class (or its old data rules) forbids: it retains or trains on them, or lacks ZDR;
- ``loosened-cap``: a budget or price cap is removed, or raised by more than a factor;
- ``require-parameters``: ``provider.require_parameters`` is dropped from a workflow whose
  requests need tools or structured output, so endpoints that silently ignore them serve it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from orcli.diff.compare import WorkflowDiff
from orcli.policy.model import Workflow
from orcli.sourcefile import Loc

DATA_POLICY = "data-policy"
LOOSENED_CAP = "loosened-cap"
REQUIRE_PARAMETERS = "require-parameters"
RULES = (DATA_POLICY, LOOSENED_CAP, REQUIRE_PARAMETERS)
DEFAULT_MAX_LOOSEN = Decimal(2)


@dataclass(frozen=True)
class GateHit:
    """One rule a workflow's change breaks, with the policy location to blame."""

    rule: str
    workflow: str
    message: str
    loc: Loc  # inside the workflow; () for the workflow itself


def gate_hits(diff: WorkflowDiff, max_loosen: Decimal = DEFAULT_MAX_LOOSEN) -> Iterator[GateHit]:
    if diff.status != "changed" or diff.old is None or diff.new is None:
        return
    for flag in diff.flags:
        yield GateHit(
            DATA_POLICY,
            diff.name,
            f"{flag.model} via {flag.endpoint} is newly eligible and {flag.problem}",
            ("provider",),
        )
    yield from _caps(diff, max_loosen)
    yield from _require_parameters(diff.name, diff.old.workflow, diff.new.workflow)


def _caps(diff: WorkflowDiff, max_loosen: Decimal) -> Iterator[GateHit]:
    for change in diff.section("ceiling"):
        old, new = _amount(change.old), _amount(change.new)
        if old is None:
            continue  # a cap added, or none before: nothing loosened
        if new is None:
            yield GateHit(LOOSENED_CAP, diff.name, f"{change.field} {old} is removed", change.loc)
        elif new > old * max_loosen:
            factor, limit = (new / old).normalize(), max_loosen.normalize()
            yield GateHit(
                LOOSENED_CAP,
                diff.name,
                f"{change.field} {old} -> {new} loosens it {factor:f}x (more than --max-loosen {limit:f}x)",
                change.loc,
            )


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _require_parameters(name: str, old: Workflow, new: Workflow) -> Iterator[GateHit]:
    if not old.provider.require_parameters or new.provider.require_parameters:
        return
    needs = new.needs
    needed = [what for what, on in (("tools", needs.tools), ("structured output", needs.structured_output)) if on]
    if needed:
        yield GateHit(
            REQUIRE_PARAMETERS,
            name,
            f"provider.require_parameters is dropped but the workflow needs {' and '.join(needed)}: "
            "endpoints that ignore those parameters become eligible",
            ("provider",),
        )
