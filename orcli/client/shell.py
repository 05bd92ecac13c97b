"""What the sync and async clients share: construction, ``from_policy``, ``for_endpoint``,
the checking of a call's arguments, the start and end of each request, properties, repr.

:class:`~orcli.client.Client` and :class:`~orcli.client.AsyncClient` differ only in how
they move bytes and wait: their transport type, their clock and their I/O loop (a few
lines each, around :class:`~orcli.client.core.RequestRun`). Everything a caller
configures or passes is taken here, once, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypedDict, TypeVar

import httpx

from orcli.catalog.model import Catalog
from orcli.client import http, observe, otel, wire
from orcli.client.core import AttemptPlan, ChatCall, Engine, FallbackChoice, RequestRun
from orcli.client.ledger import ChatResult
from orcli.client.observe import AUTO, ObserverChoice
from orcli.client.route_overrides import (
    FROM_ENVIRONMENT,
    OverridesArg,
    RouteOverrides,
    named,
    open_overrides,
)
from orcli.client.settings import build_settings
from orcli.errors import ClientPolicyError
from orcli.openrouter import BASE_URL
from orcli.overrides.effect import RouteEffect
from orcli.policy.model import ModelChain, Timeouts, Workflow


class _Clock(Protocol):
    def now(self) -> float: ...


TransportT = TypeVar("TransportT")
ClockT = TypeVar("ClockT", bound=_Clock)


class ChatOptions(TypedDict, total=False):
    """The keyword arguments of ``chat`` (all optional; None takes the workflow's own).

    ``model`` / ``models``: try these (in this order) instead of the workflow's chain; each
    must be in the chain, except on a :meth:`ClientShell.for_endpoint` client.
    ``deadline_s``: this call's total deadline instead of ``timeouts.total_s``.
    ``kind``: the app's label for the request, carried to ``ChatResult.kind``.
    ``extra_body``: request fields the policy does not own (``temperature``, ``seed``, ...).
    """

    model: str | None
    models: Sequence[str] | None
    deadline_s: float | None
    stream: bool | None
    tools: Sequence[Mapping[str, Any]] | None
    tool_choice: Any
    response_format: Mapping[str, Any] | None
    max_tokens: int | None
    idempotency_key: str | None
    extra_body: Mapping[str, Any] | None
    kind: str | None


_OPTION_NAMES = frozenset(ChatOptions.__annotations__)


@dataclass(slots=True)
class Request:
    """One call on its way: the run the I/O loop drives (None when the route overrides
    refused it before anything was sent), and what ends it. The loops of both clients are::

        with request:  # an exception on the way is reported to the request's watch
            while (step := request.step()) is not None:
                sleep(step) if isinstance(step, float) else request.record(step, send(step))
        return request.finish()
    """

    run: RequestRun | None
    refused: ChatResult | None
    effect: RouteEffect | None
    watch: observe.RequestWatch | None
    now: Callable[[], float]
    _waited: bool = False  # the wait before the next attempt was taken

    def step(self) -> float | AttemptPlan | None:
        """What the loop does next: sleep this long, send this plan, or (None) stop."""
        run = self.run
        if run is None or run.finished:
            return None
        if not self._waited:
            self._waited = True
            wait = run.wait_before_next(self.now())
            if wait > 0:
                return wait
        self._waited = False
        plan = run.next_attempt(self.now())
        return plan if plan is not None else self.step()  # a halt: ended, or queued again

    def record(self, plan: AttemptPlan, outcome: wire.AttemptOutcome) -> None:
        assert self.run is not None
        self.run.record(plan, outcome)

    def __enter__(self) -> Request:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None and self.watch is not None:
            self.watch.abandon(exc, self.now())

    def finish(self) -> ChatResult:
        now = self.now()
        result = self.refused if self.run is None else named(self.run.result(), self.effect)
        assert result is not None
        if self.watch is not None:
            self.watch.finish(result, now)
        return result


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

    _any_model = False  # for_endpoint clients take any model a call names

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

    @classmethod
    def for_endpoint(
        cls,
        base_url: str,
        models: Sequence[str],
        *,
        api_key: str | None = None,
        connect_s: float | None = None,
        attempt_s: float | None = None,
        first_token_s: float | None = None,
        stream_idle_s: float | None = None,
        total_s: float | None = None,
        **kwargs: Any,
    ) -> Self:
        """A client for any OpenAI-compatible server: ``models`` as that server names them
        (no catalog, no ``author/slug`` form), tried in order, with the default policy's
        retries, breakers and limits (the ``*_s`` arguments change the limits). Breakers
        and spend live as long as the client, across calls; a call may name any model."""
        names = [m for m in models if isinstance(m, str) and m.strip()]
        if not names or len(names) != len(models):
            raise ClientPolicyError("for_endpoint needs at least one model name, and no empty ones")
        limits = {
            name: value
            for name, value in (
                ("connect_s", connect_s),
                ("attempt_s", attempt_s),
                ("first_token_s", first_token_s),
                ("stream_idle_s", stream_idle_s),
                ("total_s", total_s),
            )
            if value is not None
        }
        # Built without validation only for the model names: the limits are checked as ever.
        workflow = Workflow.model_construct(models=_free_chain(names), timeouts=Timeouts.model_validate(limits))
        kwargs.setdefault("fallback_mode", "client")
        kwargs.setdefault("workflow_name", "endpoint")
        client = cls(workflow, api_key=api_key, base_url=base_url, **kwargs)
        client._any_model = True
        return client

    def _request(self, messages: Sequence[Mapping[str, Any]], options: ChatOptions) -> Request:
        """Check a call's arguments and start its request (or its refusal)."""
        now = self._clock.now()
        watch, trace_fields = observe.begin(self._observer, self._engine.settings, options.get("stream"), now)
        try:
            call = self._call(messages, options, trace_fields)
            engine, effect = self._overrides.route()
            if effect is not None and effect.no_model_left is not None:
                key = call.idempotency_key or engine.new_idempotency_key()
                return Request(None, self._overrides.refused(effect, key), effect, watch, self._clock.now)
            run = engine.start(now, call)
        except BaseException as exc:
            if watch is not None:
                watch.abandon(exc, self._clock.now())
            raise
        return Request(run, None, effect, watch, self._clock.now)

    def _call(
        self, messages: Sequence[Mapping[str, Any]], options: ChatOptions, trace_fields: Mapping[str, Any] | None
    ) -> ChatCall:
        unknown = options.keys() - _OPTION_NAMES
        if unknown:
            raise TypeError(f"chat() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        model, models = options.get("model"), options.get("models")
        chain: tuple[str, ...] | None = None
        if model is not None and models is not None:
            raise ClientPolicyError("chat(): pass model or models, not both")
        if model is not None or models is not None:
            chain = (model,) if model is not None else tuple(models or ())
            if not chain:
                raise ClientPolicyError("chat(models=[]): name at least one model")
            allowed = self._engine.settings.workflow.models.all
            outside = [m for m in chain if m not in allowed]
            if outside and not self._any_model:
                workflow = self._engine.settings.workflow_name
                raise ClientPolicyError(
                    f"chat(): {', '.join(outside)} is not in the chain of workflow '{workflow}' ({', '.join(allowed)})"
                )
        deadline_s = options.get("deadline_s")
        if deadline_s is not None and not deadline_s > 0:
            raise ClientPolicyError(f"chat(deadline_s={deadline_s}): the deadline must be positive")
        return ChatCall(
            messages=messages,
            tools=options.get("tools"),
            tool_choice=options.get("tool_choice"),
            response_format=options.get("response_format"),
            stream=options.get("stream"),
            max_tokens=options.get("max_tokens"),
            idempotency_key=options.get("idempotency_key"),
            extra_body=observe.merged(options.get("extra_body"), trace_fields),
            chain=chain,
            deadline_s=deadline_s,
            kind=options.get("kind"),
        )

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


def _free_chain(names: Sequence[str]) -> ModelChain:
    """A model chain of names as an endpoint knows them: not checked against ``author/slug``."""
    return ModelChain.model_construct(primary=names[0], fallbacks=tuple(names[1:]))
