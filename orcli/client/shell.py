"""What the sync and async clients share: construction, ``from_policy``, properties, repr.

:class:`~orcli.client.Client` and :class:`~orcli.client.AsyncClient` differ only in how
they move bytes and wait: their transport type, their clock and their I/O loop. Everything
a caller configures is taken here, once, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

import httpx

from orcli.catalog.model import Catalog
from orcli.client import http, otel, wire
from orcli.client.core import Engine, FallbackChoice
from orcli.client.observe import AUTO, ObserverChoice
from orcli.client.route_overrides import FROM_ENVIRONMENT, OverridesArg, RouteOverrides, open_overrides
from orcli.client.settings import build_settings
from orcli.openrouter import BASE_URL
from orcli.policy.model import Workflow

TransportT = TypeVar("TransportT")
ClockT = TypeVar("ClockT")


class ClientShell(Generic[TransportT, ClockT]):
    """Applies one workflow's policy to chat-completion calls.

    ``fallback_mode`` defaults to the policy's ``app_fallback.mode``; ``auto`` sends
    OpenRouter's ``models`` to openrouter.ai (or a transport whose ``openrouter_compatible``
    attribute is true) and walks the chain itself against any other base URL. ``clock``
    defaults to the system's (sync) or the event loop's (async); ``seed`` fixes the
    backoff jitter and the generated idempotency keys (without one both come from the OS's
    entropy, different in every process).

    ``overrides`` names the on-call route overrides store, a path or a ``redis://`` URL
    (see docs/overrides.md); by default ``ORCLI_OVERRIDES`` when set, else none. Every
    request applies the overrides in force at its wall-clock time, and its result names
    them (``ChatResult.overrides``). The store is followed in the background: a store that
    cannot be read leaves the last overrides read in force and never raises here.
    """

    def __init__(
        self,
        policy_workflow: Workflow,
        *,
        api_key: str | None = None,
        base_url: str = BASE_URL,
        transport: TransportT | None = None,
        clock: ClockT | None = None,
        seed: int | None = None,
        fallback_mode: FallbackChoice | None = None,
        workflow_name: str = "default",
        catalog: Catalog | None = None,
        app_url: str | None = None,
        app_title: str | None = wire.DEFAULT_APP_TITLE,
        wall_now: Callable[[], float] | None = None,
        telemetry: ObserverChoice = AUTO,
        overrides: OverridesArg = FROM_ENVIRONMENT,
    ) -> None:
        settings = build_settings(
            policy_workflow,
            api_key=api_key,
            base_url=base_url,
            transport=transport,
            fallback_mode=fallback_mode,
            workflow_name=workflow_name,
            catalog=catalog,
            app_url=app_url,
            app_title=app_title,
            wall_now=wall_now,
        )
        self._engine = Engine(settings, seed)
        self._overrides = RouteOverrides(self._engine, open_overrides(overrides))
        self._observer = otel.resolve(telemetry)
        self._url = httpx.URL(settings.chat_url)  # parsed once: httpx would re-parse a str per request
        self._requests = http.RequestBuilder(self._url)
        self._clock: ClockT = clock if clock is not None else self._system_clock()
        # The key is added per request and never stored on the transport.
        self._transport: TransportT = self._open_transport(transport, self._url)

    def _system_clock(self) -> ClockT:
        raise NotImplementedError

    def _open_transport(self, injected: TransportT | None, url: httpx.URL) -> TransportT:
        """The injected transport, or the network with the environment's proxy."""
        raise NotImplementedError

    @classmethod
    def from_policy(cls, path: str | Path, workflow: str, **kwargs: Any) -> Self:
        """A client for one workflow of a policy file (the other arguments as the constructor's)."""
        from orcli.policy.load import load_policy

        loaded = load_policy(path)
        return cls(loaded.workflow(workflow), workflow_name=workflow, **kwargs)

    @property
    def fallback_mode(self) -> str:
        return self._engine.settings.mode

    @property
    def spent_usd(self) -> Decimal:
        return self._engine.spend.spent_usd

    def __repr__(self) -> str:
        settings = self._engine.settings
        name = type(self).__name__
        return f"{name}(workflow={settings.workflow_name!r}, url={settings.chat_url!r}, mode={settings.mode!r})"
