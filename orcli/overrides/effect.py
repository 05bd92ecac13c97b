"""What the overrides in force at a moment do to one workflow's requests. Pure: no store, no clock.

The client asks :func:`effect_at` before each request, with the overrides its feed last
read and the wall-clock time of the request, so an override stops applying the moment it
expires, whatever the store still holds. The answer names the overrides that shaped the
request, so every refusal, exclusion and explanation caused by one can name its id
(:func:`exclusion_cause`, :func:`blame`). :func:`contradictions` is what ``orcli route
force`` checks before pinning a route that another override disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from orcli.overrides.apply import NoModelLeft, apply_overrides_tracked, same_model
from orcli.overrides.model import Override, OverrideAction
from orcli.policy.model import Workflow


@dataclass(frozen=True)
class RouteEffect:
    """A workflow as one request sees it."""

    workflow: Workflow  # the written workflow when nothing applies
    applied: tuple[Override, ...]  # the overrides that changed it, in the order applied
    no_model_left: NoModelLeft | None = None  # set when the overrides removed every model

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.applied)


def in_force(overrides: Iterable[Override], now: datetime) -> tuple[Override, ...]:
    return tuple(o for o in overrides if o.is_active(now))


def effect_at(name: str, workflow: Workflow, overrides: Iterable[Override], now: datetime) -> RouteEffect:
    """``workflow`` under the overrides active at ``now`` that target it.

    When they remove every model the written workflow is returned with ``no_model_left``
    set: the caller refuses the request, naming the override, instead of sending it.
    """
    try:
        resolved, applied = apply_overrides_tracked(name, workflow, overrides, now)
    except NoModelLeft as exc:
        return RouteEffect(workflow, (exc.override,), exc)
    return RouteEffect(resolved, applied)


class EffectCache:
    """:func:`effect_at` remembered per set of overrides in force: overrides change rarely,
    requests often, and the set in force at a moment is cheap to work out."""

    def __init__(self, name: str, workflow: Workflow) -> None:
        self.name = name
        self.workflow = workflow
        self._last: tuple[tuple[Override, ...], RouteEffect] | None = None

    def at(self, overrides: Sequence[Override], now: datetime) -> RouteEffect:
        active = tuple(o for o in overrides if o.is_active(now) and o.targets(self.name))
        last = self._last
        if last is not None and last[0] == active:
            return last[1]
        effect = effect_at(self.name, self.workflow, active, now)
        self._last = (active, effect)
        return effect


def exclusion_cause(rule: str, matches: Callable[[str], bool], applied: Sequence[Override]) -> Override | None:
    """The override behind an endpoint's exclusion by ``rule`` (a routing rule id), if any.

    ``matches`` is the endpoint's slug matcher. A disabled provider is excluded by
    ``ignore``; a force to one provider excludes the others by ``only`` (and ``order``).
    The latest override that explains it is named: it is the one to lift.
    """
    for override in reversed(applied):
        provider = override.provider
        if provider is None:
            continue
        if rule == "ignore" and override.action is OverrideAction.DISABLE and matches(provider):
            return override
        if rule in ("only", "order") and override.action is OverrideAction.FORCE and not matches(provider):
            return override
    return None


def blame(applied: Sequence[Override]) -> str:
    """``route override ovr-1 (disable provider azure in every workflow)``: for messages."""
    named = ", ".join(f"{o.id} ({o.describe()})" for o in applied)
    return f"route override{'s' if len(applied) > 1 else ''} {named}"


def contradictions(candidate: Override, existing: Iterable[Override], now: datetime) -> tuple[Override, ...]:
    """Active overrides that a new force would silently beat.

    A force of model M (via provider P) in workflow W contradicts a disable of M, or of P,
    that applies to W, and any other force of W. Later overrides win when applied, so
    storing it would quietly undo on-call's earlier decision.
    """
    if candidate.action is not OverrideAction.FORCE or candidate.workflow is None or candidate.model is None:
        return ()
    found: list[Override] = []
    for o in existing:
        if not o.is_active(now) or not o.targets(candidate.workflow):
            continue
        if o.action is OverrideAction.FORCE:
            found.append(o)
        elif o.model is not None and (same_model(candidate.model, o.model) or same_model(o.model, candidate.model)):
            found.append(o)
        elif (
            o.provider is not None
            and candidate.provider is not None
            and o.provider.lower() == candidate.provider.lower()
        ):
            found.append(o)
    return tuple(found)
