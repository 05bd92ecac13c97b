"""How overrides change a workflow. Pure: no files, no clock; ``now`` is passed in.

Active overrides that target the workflow apply in the order they were added
(file order), each to the result of the one before, so the latest decision has the
last word:

- disable a provider: it joins ``provider.ignore``, which beats ``order`` and ``only``;
- disable a model: it leaves the chain (with its ``:variant`` forms); when it was the
  primary, the first remaining fallback becomes primary;
- force a model: the chain becomes that model alone; with a provider, ``provider.only``
  is that provider, ``order`` is dropped and ``allow_fallbacks`` is false. Without a
  provider the provider rules stay as written: ``allow_fallbacks: false`` without an
  ``order`` would also cut the workflow down to one endpoint, which nobody asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from orcli.errors import InputError
from orcli.ids import base_model
from orcli.overrides.model import Override, OverrideAction
from orcli.policy.model import ModelChain, Workflow


class NoModelLeft(InputError):
    """Overrides removed every model of a workflow's chain: nothing can serve it."""

    def __init__(self, workflow: str, override: Override) -> None:
        self.workflow = workflow
        self.override = override
        super().__init__(
            f"workflow '{workflow}': override {override.id} ({override.describe()}) removes its last model; "
            f"run 'orcli route enable {override.id}' to restore it"
        )


def applicable(workflow_name: str, overrides: Iterable[Override], now: datetime) -> tuple[Override, ...]:
    """The overrides active at ``now`` that target ``workflow_name``, in file order."""
    return tuple(o for o in overrides if o.is_active(now) and o.targets(workflow_name))


def same_model(chain_entry: str, disabled: str) -> bool:
    """Disabling ``openai/gpt-4o`` also removes ``openai/gpt-4o:nitro``; not the other way round."""
    return chain_entry == disabled or base_model(chain_entry) == disabled


def apply_override(workflow_name: str, workflow: Workflow, override: Override) -> Workflow:
    """``workflow`` changed by one override (the same object when it changes nothing)."""
    if override.action is OverrideAction.FORCE:
        assert override.model is not None  # the model validator guarantees it
        pinned = ModelChain(primary=override.model)
        if override.provider is None:
            return workflow.model_copy(update={"models": pinned})
        rules = workflow.provider.model_copy(
            update={"only": (override.provider,), "order": (), "allow_fallbacks": False}
        )
        return workflow.model_copy(update={"models": pinned, "provider": rules})
    if override.provider is not None:
        ignored = workflow.provider.ignore
        if any(slug.lower() == override.provider.lower() for slug in ignored):
            return workflow
        rules = workflow.provider.model_copy(update={"ignore": (*ignored, override.provider)})
        return workflow.model_copy(update={"provider": rules})
    assert override.model is not None
    chain = workflow.models.all
    kept = [m for m in chain if not same_model(m, override.model)]
    if len(kept) == len(chain):
        return workflow
    if not kept:
        raise NoModelLeft(workflow_name, override)
    return workflow.model_copy(update={"models": ModelChain(primary=kept[0], fallbacks=tuple(kept[1:]))})


def apply_overrides_tracked(
    workflow_name: str, workflow: Workflow, overrides: Iterable[Override], now: datetime
) -> tuple[Workflow, tuple[Override, ...]]:
    """The workflow after every applicable override, and the overrides that changed it."""
    changed_by: list[Override] = []
    for override in applicable(workflow_name, overrides, now):
        after = apply_override(workflow_name, workflow, override)
        if after != workflow:
            changed_by.append(override)
        workflow = after
    return workflow, tuple(changed_by)


def apply_overrides(workflow_name: str, workflow: Workflow, overrides: Iterable[Override], now: datetime) -> Workflow:
    """The workflow as routing sees it at ``now``: for the client and drills."""
    return apply_overrides_tracked(workflow_name, workflow, overrides, now)[0]
