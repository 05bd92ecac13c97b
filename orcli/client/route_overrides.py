"""On-call route overrides in the client: which engine shapes the next request, and how the
result names the overrides that shaped it. Shared by the sync and async clients.

Before each request the client asks its feed (:mod:`orcli.overrides.feed`) for the overrides
it last read, which costs no I/O on Redis and at most one ``stat`` a second on a file, and
applies those in force at the request's wall-clock time (:mod:`orcli.overrides.effect`). A
request that no override touches runs on the client's own engine, exactly as before. One
that overrides change runs on a twin of that engine for the changed workflow, sharing its
breakers, spend and Retry-After memory, so an incident's overrides never reset them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from orcli.client.core import DEFAULT_FAIL_SAFE_MESSAGE, Engine
from orcli.client.hops import StopKind, StopReason
from orcli.client.ledger import ChatResult
from orcli.overrides.effect import EffectCache, RouteEffect, blame
from orcli.overrides.feed import Feed, FixedFeed, open_feed
from orcli.overrides.model import OverrideAction
from orcli.overrides.store import ENV_VAR
from orcli.policy.model import DegradationMode, ErrorClass


class _FromEnvironment:
    def __repr__(self) -> str:
        return "FROM_ENVIRONMENT"


FROM_ENVIRONMENT: Final = _FromEnvironment()
OverridesArg = str | Path | Feed | None | _FromEnvironment
MAX_TWINS = 16  # engines kept for distinct override sets; incidents rarely need more than one or two


def open_overrides(overrides: OverridesArg, environ: Mapping[str, str] | None = None) -> Feed | None:
    """The feed for a client's ``overrides=``: a path or URL, a feed, None (the policy alone),
    or by default ``ORCLI_OVERRIDES`` when it is set (and nothing when it is not)."""
    if isinstance(overrides, _FromEnvironment):
        env = os.environ if environ is None else environ
        named = env.get(ENV_VAR)
        return open_feed(named) if named else None
    if overrides is None:
        return None
    if isinstance(overrides, str | Path):
        return open_feed(overrides)
    return overrides


class RouteOverrides:
    """A client's view of the overrides: the engine for the next request and its effect."""

    def __init__(self, engine: Engine, feed: Feed | None) -> None:
        self.engine = engine
        self.feed = feed
        settings = engine.settings
        self._effects = EffectCache(settings.workflow_name, settings.workflow)
        self._twins: dict[tuple[str, ...], Engine] = {}

    def route(self) -> tuple[Engine, RouteEffect | None]:
        """The engine to start the next request on, and the overrides' effect (None: no feed)."""
        if self.feed is None:
            return self.engine, None
        settings = self.engine.settings
        now = datetime.fromtimestamp(settings.wall_now(), UTC)
        effect = self._effects.at(self.feed.overrides(), now)
        if not effect.applied or effect.no_model_left is not None:
            return self.engine, effect
        twin = self._twins.get(effect.ids)
        if twin is None:
            if len(self._twins) >= MAX_TWINS:
                self._twins.clear()
            twin = self.engine.for_workflow(effect.workflow)
            self._twins[effect.ids] = twin
        return twin, effect

    def refused(self, effect: RouteEffect, idempotency_key: str) -> ChatResult:
        """The result of a request the overrides left without any model: nothing was sent."""
        assert effect.no_model_left is not None
        settings = self.engine.settings
        degradation = settings.workflow.degradation
        fail_safe = degradation.user_message
        if degradation.mode is DegradationMode.FAIL_SAFE:
            fail_safe = fail_safe or DEFAULT_FAIL_SAFE_MESSAGE
        return ChatResult(
            ok=False,
            response=None,
            error_class=ErrorClass.ROUTING_CONSTRAINT,
            error_message=effect.no_model_left.message,
            attempts=(),
            idempotency_key=idempotency_key,
            fail_safe_message=fail_safe,
            workflow=settings.workflow_name,
            chain=settings.workflow.models.all,
            fallback_mode=settings.mode,
            stop_reason=StopReason(StopKind.ROUTE_OVERRIDE),
            overrides=effect.ids,
        )

    def close(self) -> None:
        if self.feed is not None:
            self.feed.close()


def named(result: ChatResult, effect: RouteEffect | None) -> ChatResult:
    """``result`` naming the overrides that shaped it. A routing refusal (OpenRouter's 404
    when no provider is left) keeps OpenRouter's words and gets the overrides that removed
    providers beside them, since they, not the policy, are what on-call must lift."""
    if effect is None or not effect.applied:
        return result
    message = result.error_message
    if not result.ok and result.error_class is ErrorClass.ROUTING_CONSTRAINT and message is not None:
        culprits = tuple(o for o in effect.applied if o.provider is not None or o.action is OverrideAction.FORCE)
        if culprits:
            message = f"{message} ({blame(culprits)})"
    return replace(result, overrides=effect.ids, error_message=message)


__all__ = ["FROM_ENVIRONMENT", "FixedFeed", "OverridesArg", "RouteOverrides", "named", "open_overrides"]
