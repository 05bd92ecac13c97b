"""The decisions of the resilient client, shared by the sync and async loops.

An :class:`Engine` holds what lives as long as a client: the seeded RNG, the circuit
breakers, the spend so far, compiled schemas and prices. Each logical request is a
:class:`RequestRun`, a small state machine the I/O loop drives::

    run = engine.start(now, ChatCall(messages=..., ...))
    while not run.finished:
        sleep(run.wait_before_next(now))      # backoff, Retry-After, queue interval
        plan = run.next_attempt(now)          # None: nothing to send now (or raises BudgetExceeded)
        if plan is None:
            continue
        outcome = send(plan)                  # the only I/O, in the sync or async client
        decision = run.record(plan, outcome)  # classify, validate, breakers, decide
    return run.result()

``next_attempt`` is two steps a driver may also take one by one: :meth:`RequestRun.plan`
works out the attempt (or the :class:`Halt` that ends the request) and changes nothing;
:meth:`RequestRun.begin` commits it, reserving its worst-case cost against the budget and
letting its half-open breakers' probe through (:meth:`RequestRun.halt` applies a Halt).
:meth:`RequestRun.record` settles the reservation and returns the decision: the
:data:`~orcli.client.hops.NextHop` that follows, or the
:class:`~orcli.client.hops.StopReason` the request ended with.

What happens after a failed attempt depends on its class and ``workflow.retry.action``,
within the limits :mod:`orcli.client.rules` sets per class:
``retry`` sends the same route again after a backoff (or the Retry-After hint, never
less) while ``max_attempts_per_route`` allows, then falls back; ``next_provider`` sends
the same model again without the provider that failed (the next model when no provider
was named); ``fallback`` moves to the next model at once; ``stop`` ends the request.
Whatever the action (short of stop), a transient 500/502/503 first gets
``retry.same_route`` quick retries on the same route: one blip should not cost the primary.
A quick retry repeats the attempt the upstream blipped on, so it is bounded by
``same_route`` and the deadline rather than counted against ``retry.max_attempts``. When
only one attempt of ``max_attempts`` is left, a route that asked to be left alone for a
while (Retry-After) is not waited for if a model that has not failed remains: the last
chance goes to the route that can answer now. Every path is bounded by
``retry.max_attempts`` and the total deadline. docs/client.md has the whole table. A route is the model the client names
(client mode) or the window of up to four models it sends as ``model`` + ``models``
(OpenRouter mode). A model that failed by falling back is never named again in the same
request, which is what moderation requires ("never the same model again").

Cost without usage: an attempt whose answer reported no usage is booked at an estimate,
marked ``Attempt.cost_estimated``, because OpenRouter bills the tokens a stream delivered
and some providers bill a generation the client abandoned. Tokens streamed (the prompt
estimate plus one token per chunk) at the serving endpoint's price; for an attempt the
client gave up on at one of its limits after the first byte, the worst case: the prompt
plus ``max_tokens`` at that price. Budgets count the estimate;
:func:`orcli.client.ledger.reconciled` swaps in ``/generation``'s figure.
"""

from __future__ import annotations

import copy
import json
import math
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from orcli.catalog.model import Catalog
from orcli.client import wire
from orcli.client.backoff import backoff_s
from orcli.client.breaker import BreakerKey, Breakers, BreakerState, model_key, route_key
from orcli.client.budget import CHARS_PER_TOKEN, PriceBook, Spend, estimate_prompt_tokens, usd
from orcli.client.classify import Failure
from orcli.client.hops import (
    BUDGET,
    DEADLINE,
    SERVED,
    FallbackHop,
    Forgone,
    NextHop,
    QueuedHop,
    RetryForgone,
    RetryHop,
    StopKind,
    StopReason,
)
from orcli.client.keys import ApiKey, redact
from orcli.client.ledger import Attempt, ChatResult, ToolCall
from orcli.client.rules import RULES, action_for
from orcli.client.stream import StreamWatch
from orcli.client.validate import SchemaCache, check_message
from orcli.errors import BudgetExceeded
from orcli.ids import same_base_model, slug_of_name
from orcli.openrouter import is_openrouter
from orcli.policy.compile import MAX_MODELS_FIELD, FallbackMode, chat_fragment
from orcli.policy.model import Action, DegradationMode, ErrorClass, Workflow

FallbackChoice = Literal["auto", "openrouter", "client"]
# Statuses a quick same-route retry (``retry.same_route``) may cure: a blip, not a verdict.
TRANSIENT_STATUSES = frozenset({500, 502, 503})
DEFAULT_FAIL_SAFE_MESSAGE = "This feature is unavailable right now. Please try again in a few minutes."


def resolve_mode(requested: FallbackChoice, base_url: str, transport: object | None) -> FallbackMode:
    """``auto``: OpenRouter's ``models`` for openrouter.ai (or a transport that says it routes
    like OpenRouter, such as the simulator's), the client's own chain for anything else."""
    if requested != "auto":
        return requested
    if is_openrouter(base_url):
        return "openrouter"
    if getattr(transport, "openrouter_compatible", False) is True:
        return "openrouter"
    return "client"


def explicit_stops_need_client_chain(workflow: Workflow) -> bool:
    """True when the policy says ``stop`` for an error OpenRouter would answer by trying the
    next model. Handing OpenRouter the fallbacks in ``models`` would reroute exactly what the
    policy wants stopped (a flagged conversation must not reach another model), so ``auto``
    then walks the chain in the client, one model per request."""
    if not workflow.models.fallbacks:
        return False
    return any(RULES[cls].router_walks_past and action is Action.STOP for cls, action in workflow.retry.on.items())


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a client was configured with, fixed at construction."""

    workflow: Workflow
    workflow_name: str
    mode: FallbackMode
    chat_url: str
    key: ApiKey | None
    app_url: str | None
    app_title: str | None
    catalog: Catalog | None
    wall_now: Callable[[], float]  # epoch seconds, only to read HTTP-date Retry-After hints


@dataclass(frozen=True, slots=True)
class AttemptPlan:
    """One request about to be sent."""

    index: int
    models: tuple[str, ...]
    body: dict[str, Any]
    headers: dict[str, str]
    stream: bool
    started_at: float
    limit_at: float  # this attempt's deadline: attempt_s, capped by the total deadline
    connect_s: float
    first_token_s: float | None
    idle_s: float | None
    wait_before_s: float
    ignored: tuple[str, ...]
    reserved_usd: Decimal
    probes: tuple[BreakerKey, ...]  # half-open breaker keys this attempt probes

    def timeout(self) -> dict[str, float]:
        """httpx's per-request timeout extension. Streams read chunk by chunk, so their read
        timeout is the longer of the first-token and idle limits; the finer checks run per line."""
        limit = max(0.001, self.limit_at - self.started_at)
        read = limit
        if self.stream:
            parts = [p for p in (self.first_token_s, self.idle_s) if p is not None]
            if parts:
                read = min(limit, max(parts))
        return {"connect": min(self.connect_s, limit), "read": read, "write": limit, "pool": limit}

    def watch(self) -> StreamWatch:
        return StreamWatch(self.started_at, self.first_token_s, self.idle_s, self.limit_at)

    def headers_due_at(self) -> float:
        """When the response headers must have come. For a stream no token can arrive before
        its headers, so the first-token limit bounds that wait too: an upstream that holds
        back its headers is as silent as one that sends them and then nothing."""
        if self.stream and self.first_token_s is not None:
            return min(self.limit_at, self.started_at + self.first_token_s)
        return self.limit_at

    def headers_late(self) -> Failure:
        """The failure for response headers that missed :meth:`headers_due_at`."""
        if self.headers_due_at() < self.limit_at:
            return Failure(ErrorClass.TIMEOUT, f"no first token within {self.first_token_s:g} s", abandoned=True)
        return wire.late_failure(self.limit_at - self.started_at, "response")


class Engine:
    """Lifetime state of one client: RNG, breakers, spend, Retry-After memory, caches."""

    def __init__(self, settings: Settings, seed: int | None) -> None:
        self.settings = settings
        # No seed: the OS's entropy, so two processes neither share idempotency keys nor
        # draw the same jitter (a fleet that failed together must not retry in lockstep).
        # A seed (drills, tests) makes both reproducible.
        self.rng = random.Random(seed)
        self.breakers = Breakers(settings.workflow.circuit_breaker)
        self.spend = Spend()
        self.schemas = SchemaCache()
        self.prices = PriceBook(settings.catalog, settings.workflow.provider, settings.workflow.needs.parameters)
        self.fragment = chat_fragment(settings.workflow, settings.mode)
        self.not_before: dict[str, float] = {}  # model -> clock time its Retry-After ends
        self._slugs: dict[tuple[str, str], str] = {}

    def for_workflow(self, workflow: Workflow) -> Engine:
        """A twin routing ``workflow`` (the written one changed by on-call route overrides).

        It shares everything that must outlive a change of route: the RNG, the breakers,
        the spend, the Retry-After memory and the caches. Only what is derived from the
        workflow's routes is its own: the request fragment and the price book.
        """
        twin = copy.copy(self)
        twin.settings = replace(self.settings, workflow=workflow)
        twin.prices = PriceBook(self.settings.catalog, workflow.provider, workflow.needs.parameters)
        twin.fragment = chat_fragment(workflow, self.settings.mode)
        return twin

    def new_idempotency_key(self) -> str:
        """A random uuid4 from the engine's RNG: seeded from the OS's entropy unless a seed was
        given, so it differs per process (and costs no system call per request)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def provider_slug(self, model: str, display_name: str) -> str:
        """The routing slug for a provider display name (``provider.ignore`` takes slugs)."""
        cache_key = (model, display_name)
        if cache_key not in self._slugs:
            slug = slug_of_name(display_name)
            entry = self.settings.catalog.get(model) if self.settings.catalog else None
            for ep in entry.endpoints if entry else ():
                if ep.provider_name == display_name:
                    slug = ep.provider_slug if ep.tier == "standard" else ep.tag
                    break
            self._slugs[cache_key] = slug
        return self._slugs[cache_key]

    def start(self, now: float, call: ChatCall) -> RequestRun:
        return RequestRun(self, now, call)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatCall:
    """One call's arguments, checked by the client shell; ``None`` takes the workflow's own."""

    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: Any = None
    response_format: Mapping[str, Any] | None = None
    stream: bool | None = None
    max_tokens: int | None = None
    idempotency_key: str | None = None
    extra_body: Mapping[str, Any] | None = None
    chain: tuple[str, ...] | None = None  # the models to try, in order, instead of the workflow's
    deadline_s: float | None = None  # instead of timeouts.total_s
    kind: str | None = None  # the app's label for the request, carried to the result


Decision = NextHop | StopReason  # what follows a recorded attempt


@dataclass(frozen=True, slots=True)
class Halt:
    """Nothing is sent: the request ends with ``reason``, or goes back to the queue when
    ``queueable`` and the workflow queues failed work. ``alert`` is raised on the request."""

    reason: StopReason
    queueable: bool = True
    alert: str | None = None


_DEADLINE_HALT = Halt(DEADLINE)


@dataclass(slots=True)
class _Progress:
    """What changes from attempt to attempt (a queue round starts a fresh one)."""

    remaining: list[str]  # models still allowed in this request, chain order
    route_attempts: int = 0  # attempts on the current route since the last fallback
    round_attempts: int = 0  # counted attempts since the request (or its queue round) began
    quick_next: bool = False  # the next attempt is a quick retry: not counted in round_attempts
    pending_wait_s: float = 0.0  # the wait the last decision asked for, until wait_before_next takes it
    alerts: list[str] = field(default_factory=list)
    excluded: dict[str, list[str]] = field(default_factory=dict)  # model -> provider slugs next_provider left


@dataclass(slots=True)
class _Fallback:
    """A decision to move on: the hop, and the models left once the failed ones are dropped."""

    hop: FallbackHop
    remaining: list[str]
    exclude: tuple[str, str] | None = None  # (model, provider slug) that next_provider leaves out


class RequestRun:
    """One logical request: its routes, attempts and the decision after each.

    State changes only in :meth:`wait_before_next`, :meth:`begin`, :meth:`halt` and
    :meth:`record`; :meth:`next_wait` and :meth:`plan` only read it.
    """

    def __init__(self, engine: Engine, now: float, call: ChatCall) -> None:
        self.engine = engine
        settings = engine.settings
        workflow = self.workflow = settings.workflow
        needs = workflow.needs
        self.messages = list(call.messages)
        self.tools = list(call.tools) if call.tools else None
        self.tool_choice = call.tool_choice
        self.response_format = call.response_format
        self.stream = stream = needs.streaming if call.stream is None else call.stream
        self.max_tokens = call.max_tokens if call.max_tokens is not None else needs.max_output_tokens
        self.idempotency_key = idempotency_key = call.idempotency_key or engine.new_idempotency_key()
        self.extra_body = call.extra_body
        self.kind = call.kind
        self.started_at = now
        total_s = self.total_s = workflow.timeouts.total_s if call.deadline_s is None else call.deadline_s
        self.deadline_at = now + total_s
        queue_window = workflow.degradation.queue_max_wait_s or total_s
        self.queue_end_at = now + queue_window
        self.chain = call.chain or workflow.models.all
        self.progress = _Progress(remaining=list(self.chain))
        self.attempts: list[Attempt] = []
        self.finished = False
        self.stop_reason: StopReason | None = None
        self.last_failure: Failure | None = None
        self.final_body: dict[str, Any] | None = None
        self.final_tool_calls: tuple[ToolCall, ...] = ()
        self._waited_s = 0.0  # the wait just taken, reported on the next attempt
        self._prompt_tokens: int | None = None
        self.partial_text = ""  # what the last failed stream delivered
        self._headers = wire.headers(
            settings.key,
            idempotency_key,
            app_url=settings.app_url,
            app_title=settings.app_title,
            stream=stream,
            ask_metadata=settings.mode == "openrouter",
        )

    # -- before an attempt ---------------------------------------------------------------

    def _eligible(self, now: float) -> list[str]:
        """Remaining models whose breaker admits traffic and whose Retry-After has passed;
        all remaining models when that would leave none (a breaker never empties the chain)."""
        breakers, not_before = self.engine.breakers, self.engine.not_before
        allowed = [
            m for m in self.progress.remaining if breakers.allows(model_key(m), now) and not_before.get(m, 0.0) <= now
        ]
        return allowed or list(self.progress.remaining)

    def next_wait(self, now: float) -> float | Halt:
        """The wait before the next attempt: the one the last decision asked for, or longer
        while the first eligible model's Retry-After runs; a Halt when that wait is longer
        than the policy allows or would pass the deadline. Changes nothing."""
        wait = self.progress.pending_wait_s
        eligible = self._eligible(now)
        if eligible:
            hinted = self.engine.not_before.get(eligible[0], 0.0) - now
            if hinted > 0:
                if hinted > self.workflow.retry.max_retry_after_s:
                    return Halt(StopReason(StopKind.RATE_LIMITED, value=hinted))
                wait = max(wait, hinted)
        if wait > 0 and now + wait >= self.deadline_at:
            return Halt(StopReason(StopKind.DEADLINE_AHEAD, value=self.total_s))
        return wait

    def wait_before_next(self, now: float) -> float:
        """Seconds to sleep before the next attempt (0 when none is due or the run ended).
        Takes the pending wait; ends the run (or queues it) on a Halt."""
        if self.finished:
            return 0.0
        step = self.next_wait(now)
        self.progress.pending_wait_s = 0.0
        if isinstance(step, Halt):
            self.halt(step, now)
            return 0.0
        self._waited_s = step
        return step

    def plan(self, now: float) -> AttemptPlan | Halt:
        """The attempt to send now, or the Halt that ends the request instead (the deadline
        passed; a cap refuses the attempt after others were sent). Changes nothing: a plan
        takes effect when :meth:`begin` commits it. Raises BudgetExceeded when the very first
        attempt would break a cap: nothing is sent."""
        if self.finished:
            raise RuntimeError("the request has ended: nothing more to plan")
        if now >= self.deadline_at:
            return _DEADLINE_HALT
        engine, settings = self.engine, self.engine.settings
        eligible = self._eligible(now)
        size = 1 if settings.mode == "client" else 1 + MAX_MODELS_FIELD
        models = tuple(eligible[:size])
        ignored = self._ignored_providers(models, now)
        excluded = self.progress.excluded
        if excluded:
            extra = [slug for m in models for slug in excluded.get(m, ()) if slug not in ignored]
            ignored = (*ignored, *dict.fromkeys(extra))
        reserved = self._check_budget(models, ignored)
        if isinstance(reserved, Halt):
            return reserved
        breakers = engine.breakers
        probes: list[BreakerKey] = []
        for model in models:
            if breakers.state(model_key(model), now) is BreakerState.HALF_OPEN:
                probes.append(model_key(model))
        for route in breakers.open_routes():
            if route[0] in models and breakers.state(route, now) is BreakerState.HALF_OPEN:
                probes.append(route)  # a half-open provider is not ignored: this request probes it
        timeouts = self.workflow.timeouts
        return AttemptPlan(
            index=len(self.attempts) + 1,
            models=models,
            body=wire.body(
                engine.fragment,
                models,
                self.messages,
                ignored_providers=ignored,
                tools=self.tools,
                tool_choice=self.tool_choice,
                response_format=self.response_format,
                stream=self.stream,
                max_tokens=self.max_tokens,
                extra=self.extra_body,
            ),
            headers=self._headers,
            stream=self.stream,
            started_at=now,
            limit_at=min(now + timeouts.attempt_s, self.deadline_at),
            connect_s=timeouts.connect_s,
            first_token_s=timeouts.first_token_s if self.stream else None,
            idle_s=timeouts.stream_idle_s if self.stream else None,
            wait_before_s=self._waited_s,
            ignored=ignored,
            reserved_usd=reserved,
            probes=tuple(probes),
        )

    def begin(self, plan: AttemptPlan) -> None:
        """Commit a plan that is about to be sent: reserve its worst-case cost (settled by
        :meth:`record`), let its half-open breakers' probe through, and count the attempt."""
        breakers = self.engine.breakers
        for key in plan.probes:
            breakers.sending(key, plan.started_at)
        self.engine.spend.reserve(plan.reserved_usd)
        self.progress.route_attempts += 1
        if self.progress.quick_next:
            self.progress.quick_next = False
        else:
            self.progress.round_attempts += 1
        self._waited_s = 0.0

    def halt(self, halt: Halt, now: float) -> Decision:
        """Apply a Halt from :meth:`next_wait` or :meth:`plan`: raise its alert, end the run
        or queue it again."""
        if halt.alert is not None:
            self.progress.alerts.append(halt.alert)
        return self._end(halt.reason, now, queueable=halt.queueable)

    def next_attempt(self, now: float) -> AttemptPlan | None:
        """:meth:`plan`, then :meth:`begin` it, or :meth:`halt` (None: nothing to send now)."""
        if self.finished:
            return None
        step = self.plan(now)
        if isinstance(step, Halt):
            self.halt(step, now)
            return None
        self.begin(step)
        return step

    def _ignored_providers(self, models: Sequence[str], now: float) -> tuple[str, ...]:
        """Providers whose (model, provider) breaker is open: ``provider.ignore`` for this request.
        The ignore list is request-wide in OpenRouter, so it applies to every model sent."""
        breakers = self.engine.breakers
        slugs: list[str] = []
        for key in breakers.open_routes():
            model, provider = key
            if model in models and not breakers.allows(key, now):
                slug = self.engine.provider_slug(model, provider)
                if slug not in slugs:
                    slugs.append(slug)
        if slugs and self._ignore_empties_every_model(models, tuple(slugs)):
            # Like the model breakers, route breakers never empty the pool: with an allowlist
            # (provider.only, strict BYOK) ignoring every allowed provider would turn a
            # provider incident into a "no endpoints" 404. Send the request and let it probe.
            return ()
        return tuple(slugs)

    def _ignore_empties_every_model(self, models: Sequence[str], slugs: tuple[str, ...]) -> bool:
        prices = self.engine.prices
        return all(prices.routable(m) is True and prices.routable(m, slugs) is False for m in models)

    def _check_budget(self, models: Sequence[str], ignored: tuple[str, ...]) -> Decimal | Halt:
        """The amount to reserve for this attempt, or the Halt that refuses it (mid-request)."""
        budget = self.workflow.budget
        per_request, per_client = budget.max_cost_per_request_usd, budget.max_cost_per_run_usd
        if per_request is None and per_client is None:
            return Decimal(0)
        if self._prompt_tokens is None:
            self._prompt_tokens = estimate_prompt_tokens(self.messages, self.tools)
        estimate = self.engine.prices.worst_case(models, self._prompt_tokens, self.max_tokens, ignored)
        amount = estimate.cost_usd or Decimal(0)
        spent_here = sum((a.cost_usd for a in self.attempts), Decimal(0))
        spend = self.engine.spend
        checks = (
            ("request", per_request, spent_here, "the per-request cap"),
            ("client", per_client, spend.spent_usd + spend.reserved_usd, "this client's lifetime cap"),
        )
        for scope, cap, committed, cap_name in checks:
            if cap is None:
                continue
            if committed + amount > cap or (amount == 0 and committed >= cap):
                basis = (
                    f"could cost up to {usd(amount)} (~{estimate.prompt_tokens} prompt + "
                    f"{estimate.completion_tokens} output tokens at the most expensive eligible endpoint)"
                    if estimate.cost_usd is not None
                    else "has no price estimate"
                )
                workflow = self.engine.settings.workflow_name
                message = (
                    f"budget: workflow '{workflow}' attempt {len(self.attempts) + 1} {basis}; "
                    f"with {usd(committed)} already committed that exceeds {cap_name} of {usd(cap)}. Nothing was sent."
                )
                if not self.attempts:
                    raise BudgetExceeded(message, scope=scope, estimate_usd=amount, cap_usd=cap)
                return Halt(BUDGET, queueable=False, alert=message)
        return amount

    # -- after an attempt ----------------------------------------------------------------

    def record(self, plan: AttemptPlan, outcome: wire.AttemptOutcome) -> Decision:
        """Judge what a begun attempt produced: classify and validate it, update the breakers,
        settle its budget reservation, add it to the ledger and decide what follows."""
        engine = self.engine
        key = engine.settings.key
        body = outcome.body
        failure = outcome.failure
        served_model, provider, generation_id = wire.served(body)
        if failure is not None:
            provider = provider or failure.provider
            served_model = served_model or failure.model
        prompt_tokens, completion_tokens, cost = wire.usage(body)
        estimated = False
        if cost is None and (prompt_tokens or completion_tokens):
            cost = engine.prices.actual(served_model or plan.models[0], provider, prompt_tokens, completion_tokens)
        elif cost is None:
            answer = body if failure is None else None
            cost, estimated = self._unreported_cost(outcome, answer, served_model or plan.models[0], provider)
        tool_calls: tuple[ToolCall, ...] = ()
        if failure is None and body is not None:
            message = body["choices"][0]["message"]
            problem = check_message(
                message,
                tools=self.tools,
                tool_choice=self.tool_choice,
                response_format=self.response_format,
                schemas=engine.schemas,
            )
            if problem is not None:
                failure = Failure(problem.error_class, problem.detail, outcome.status, provider, served_model)
            else:
                tool_calls = self._tool_calls(message)
        hops = wire.hops(body)
        self._update_breakers(plan, failure, served_model, provider, hops, outcome.ended_at)
        engine.spend.settle(plan.reserved_usd, cost)
        if failure is not None and failure.retry_after_s is not None and self.workflow.retry.honor_retry_after:
            until = outcome.ended_at + failure.retry_after_s
            for model in self._blamed(plan, failure, served_model):
                engine.not_before[model] = max(engine.not_before.get(model, 0.0), until)

        decision: Decision
        if failure is None:
            self.final_body = body
            self.final_tool_calls = tool_calls
            self.last_failure = None
            decision = self._end(SERVED, outcome.ended_at, queueable=False)
        else:
            self.last_failure = failure
            if outcome.partial_text:
                self.partial_text = outcome.partial_text
            if RULES[failure.error_class].alerts:
                self.progress.alerts.append(f"{failure.error_class.value}: {redact(failure.detail, key)}")
            decision = self._apply(self._decide(plan, failure, served_model, outcome.ended_at), outcome.ended_at)

        ttft = None if outcome.first_token_at is None else outcome.first_token_at - plan.started_at
        attempt = Attempt(
            index=plan.index,
            model=plan.models[0],
            served_model=served_model,
            provider=provider,
            status=outcome.status,
            error_class=None if failure is None else failure.error_class,
            detail="ok" if failure is None else redact(failure.detail, key),
            started_at=plan.started_at,
            latency_s=max(0.0, outcome.ended_at - plan.started_at),
            ttft_s=ttft,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            wait_before_s=plan.wait_before_s,
            next_hop=None if isinstance(decision, StopReason) else decision,
            upstream_hops=hops,
            models=plan.models,
            stream=plan.stream,
            retry_after_s=None if failure is None else failure.retry_after_s,
            ignored_providers=plan.ignored,
            generation_id=generation_id,
            cost_estimated=estimated,
            warnings=outcome.warnings,
        )
        self.attempts.append(attempt)
        return decision

    def _unreported_cost(
        self, outcome: wire.AttemptOutcome, answer: Mapping[str, Any] | None, model: str, provider: str | None
    ) -> tuple[Decimal, bool]:
        """The estimate for an attempt that reported no usage (module docstring), and whether
        one was made. An error answer and an attempt that got nothing are not billed."""
        failure = outcome.failure
        abandoned_late = failure is not None and failure.abandoned and outcome.first_token_at is not None
        completion = outcome.streamed_chunks
        if failure is None and not completion:
            text = _content(answer)
            completion = math.ceil(len(text) / CHARS_PER_TOKEN)
        elif failure is not None and not completion and not abandoned_late:
            return Decimal(0), False
        if abandoned_late:
            completion = max(completion, self.engine.prices.completion_ceiling(model, provider, self.max_tokens))
        if self._prompt_tokens is None:
            self._prompt_tokens = estimate_prompt_tokens(self.messages, self.tools)
        return self.engine.prices.actual(model, provider, self._prompt_tokens, completion), True

    def _tool_calls(self, message: Mapping[str, Any]) -> tuple[ToolCall, ...]:
        calls = []
        for i, call in enumerate(message.get("tool_calls") or []):
            function = call["function"]
            raw = function.get("arguments")
            arguments = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
            calls.append(
                ToolCall(
                    id=call.get("id") if isinstance(call.get("id"), str) else None,
                    name=function["name"],
                    arguments=arguments,
                    idempotency_key=f"{self.idempotency_key}:{i}",
                )
            )
        return tuple(calls)

    def _blamed(self, plan: AttemptPlan, failure: Failure, served_model: str | None) -> list[str]:
        """The models a failure counts against."""
        if served_model is not None:
            match = self._chain_entry(served_model)
            return [match] if match else [plan.models[0]]
        if failure.walked_all and self.engine.settings.mode == "openrouter":
            return list(plan.models)  # OpenRouter answers with an error only after trying each
        return [plan.models[0]]

    def _chain_entry(self, model: str) -> str | None:
        if model in self.chain:
            return model
        return next((m for m in self.chain if same_base_model(m, model)), None)

    def _update_breakers(
        self,
        plan: AttemptPlan,
        failure: Failure | None,
        served_model: str | None,
        provider: str | None,
        hops: Sequence[Any],
        now: float,
    ) -> None:
        breakers = self.engine.breakers
        judged: set[BreakerKey] = set()
        # OpenRouter's own failovers: each failed hop counts against its route, and a model
        # whose every hop failed before another model answered counts as failed too.
        by_model: dict[str, list[bool]] = {}
        for hop in hops:
            failed = hop.status >= 500 or hop.status == 429
            entry = self._chain_entry(hop.model) or hop.model
            by_model.setdefault(entry, []).append(failed)
            if failed:
                breakers.failure(route_key(entry, hop.provider), now)
        served_entry = self._chain_entry(served_model) if served_model else None
        for model, results in by_model.items():
            if model != served_entry and results and all(results):
                breakers.failure(model_key(model), now)
                judged.add(model_key(model))
        if failure is None:
            entry = served_entry or plan.models[0]
            breakers.success(model_key(entry))
            judged.add(model_key(entry))
            if provider:
                breakers.success(route_key(entry, provider))
        elif RULES[failure.error_class].health:
            for model in self._blamed(plan, failure, served_model):
                breakers.failure(model_key(model), now)
                judged.add(model_key(model))
                if provider:
                    breakers.failure(route_key(model, provider), now)
        for key in plan.probes:
            if key not in judged:
                breakers.release(key)

    def _decide(
        self, plan: AttemptPlan, failure: Failure, served_model: str | None, now: float
    ) -> RetryHop | _Fallback | Halt:
        """What follows a failed attempt, by :mod:`orcli.client.rules` and the policy. Reads
        the run's state without changing it; a retry draws its jitter from the engine's RNG."""
        retry = self.workflow.retry
        cls = failure.error_class
        action = action_for(retry, cls)
        if failure.unsupported and action is Action.STOP and cls is ErrorClass.BAD_REQUEST:
            # The request is fine, this model cannot take it: the next model, never this one again.
            action = Action.FALLBACK
        if (
            cls is ErrorClass.TIMEOUT
            and action in (Action.FALLBACK, Action.NEXT_PROVIDER)
            and set(self.progress.remaining) <= set(self._blamed(plan, failure, served_model))
        ):
            # No other route to move to: the silent one again beats giving up ("retry if safe").
            action = Action.RETRY
        if action is Action.STOP:
            return Halt(StopReason(StopKind.POLICY_STOP, cls), queueable=RULES[cls].queueable)
        if now >= self.deadline_at:
            return _DEADLINE_HALT
        if self.progress.round_attempts >= retry.max_attempts:
            return Halt(StopReason(StopKind.MAX_ATTEMPTS, value=retry.max_attempts))
        if (
            action is not Action.RETRY
            and failure.status in TRANSIENT_STATUSES
            and RULES[cls].health
            and self.progress.route_attempts <= retry.same_route
        ):
            wait = backoff_s(self.progress.route_attempts - 1, retry.backoff, self.engine.rng)
            if now + wait < self.deadline_at:
                return RetryHop(wait, quick=True)
        if action is Action.NEXT_PROVIDER:
            step = self._next_provider(plan, failure, served_model)
            if step is not None:
                return step
        forgone: RetryForgone | None = None
        if action is Action.RETRY and self.progress.route_attempts >= retry.max_attempts_per_route:
            forgone = RetryForgone(Forgone.ROUTE_ATTEMPTS_USED, retry.max_attempts_per_route)
        elif (
            action is Action.RETRY
            and failure.retry_after_s is not None
            and self.progress.round_attempts + 1 == retry.max_attempts
            and len(self.progress.remaining) > len(self._blamed(plan, failure, served_model))
        ):
            forgone = RetryForgone(Forgone.LAST_ATTEMPT, retry.max_attempts)
        elif action is Action.RETRY:
            wait = backoff_s(self.progress.route_attempts - 1, retry.backoff, self.engine.rng)
            hint = failure.retry_after_s if retry.honor_retry_after else None
            if hint is not None and hint > retry.max_retry_after_s:
                forgone = RetryForgone(Forgone.RETRY_AFTER_TOO_LONG, hint, retry.max_retry_after_s)
            else:
                if hint is not None:
                    wait = max(wait, hint)
                if now + wait < self.deadline_at:
                    return RetryHop(wait, hint is not None)
                forgone = RetryForgone(Forgone.WAIT_PASSES_DEADLINE, wait)
        return self._fall_back(plan, failure, served_model, forgone)

    def _next_provider(self, plan: AttemptPlan, failure: Failure, served_model: str | None) -> _Fallback | None:
        """The same model without the provider that failed; None (fall back to the next
        model) when the upstream named no provider, as a plain OpenAI-compatible server does."""
        if failure.provider is None:
            return None
        model = self._blamed(plan, failure, served_model)[0]
        if model not in self.progress.remaining:
            return None
        slug = self.engine.provider_slug(model, failure.provider)
        if slug in self.progress.excluded.get(model, ()):
            return None
        return _Fallback(FallbackHop(model, without=failure.provider), list(self.progress.remaining), (model, slug))

    def _fall_back(
        self, plan: AttemptPlan, failure: Failure, served_model: str | None, forgone: RetryForgone | None
    ) -> _Fallback | Halt:
        failed = self._blamed(plan, failure, served_model)
        if served_model is not None and self.engine.settings.mode == "openrouter":
            # OpenRouter only moves down ``models`` after an error: every model sent ahead
            # of the one that answered has already failed for this request.
            entry = self._chain_entry(served_model)
            if entry in plan.models:
                failed = [*plan.models[: plan.models.index(entry)], *failed]
        remaining = [m for m in self.progress.remaining if m not in failed]
        catalog = self.engine.settings.catalog
        if failure.error_class is ErrorClass.CONTEXT_LENGTH and catalog is not None:
            known = [catalog.get(m) for m in failed]
            contexts = [entry.max_context for entry in known if entry is not None]
            if contexts:
                needed = max(contexts)

                def larger(model: str) -> bool:
                    entry = catalog.get(model)
                    return entry is None or entry.max_context > needed

                remaining = [m for m in remaining if larger(m)]
        if not remaining:
            return Halt(StopReason(StopKind.NO_FALLBACK, failure.error_class, forgone=forgone))
        return _Fallback(FallbackHop(remaining[0], forgone), remaining)

    def _apply(self, step: RetryHop | _Fallback | Halt, now: float) -> Decision:
        if isinstance(step, RetryHop):
            self.progress.pending_wait_s = step.wait_s
            self.progress.quick_next = step.quick
            return step
        if isinstance(step, _Fallback):
            self.progress.remaining = step.remaining
            self.progress.route_attempts = 0
            if step.exclude is not None:
                model, slug = step.exclude
                self.progress.excluded.setdefault(model, []).append(slug)
            return step.hop
        return self.halt(step, now)

    def _end(self, reason: StopReason, now: float, *, queueable: bool) -> Decision:
        """Finish the request, unless the workflow queues failed work and time remains:
        then the whole chain is tried again after the queue interval."""
        degradation = self.workflow.degradation
        interval = degradation.queue_retry_interval_s
        if (
            queueable
            and degradation.mode is DegradationMode.QUEUE
            and self.last_failure is not None
            and RULES[self.last_failure.error_class].queueable
            and now + interval < self.queue_end_at
        ):
            self.progress = _Progress(remaining=list(self.chain), pending_wait_s=interval, alerts=self.progress.alerts)
            self.deadline_at = min(self.queue_end_at, now + interval + self.total_s)
            return QueuedHop(reason, interval)
        self.finished = True
        self.stop_reason = reason
        return reason

    # -- the answer ------------------------------------------------------------------------

    def result(self) -> ChatResult:
        settings = self.engine.settings
        ok = self.final_body is not None and self.last_failure is None
        failure = None if ok else self.last_failure
        fail_safe = None
        degradation = self.workflow.degradation
        if not ok and degradation.mode is DegradationMode.FAIL_SAFE:
            fail_safe = degradation.user_message or DEFAULT_FAIL_SAFE_MESSAGE
        elif not ok and degradation.user_message is not None:
            # Any workflow that wrote a user message wants it shown when no route answers
            # (customer support hands over to a person): a clean failure, not an error page.
            fail_safe = degradation.user_message
        error_message = None
        if not ok:
            error_message = (
                redact(failure.detail, settings.key)
                if failure
                else (str(self.stop_reason) if self.stop_reason else "no attempt made")
            )
        return ChatResult(
            ok=ok,
            response=self.final_body if ok else None,
            error_class=failure.error_class if failure else None,
            error_message=error_message,
            attempts=tuple(self.attempts),
            idempotency_key=self.idempotency_key,
            alerts=tuple(self.progress.alerts),
            fail_safe_message=fail_safe,
            tool_calls=self.final_tool_calls if ok else (),
            workflow=settings.workflow_name,
            chain=self.chain,
            fallback_mode=settings.mode,
            stop_reason=self.stop_reason,
            partial_text="" if ok else self.partial_text,
            kind=self.kind,
        )


def _content(answer: Mapping[str, Any] | None) -> str:
    """An answer's text (content and reasoning), to estimate its tokens."""
    if not answer:
        return ""
    choices = answer.get("choices") or [{}]
    message = choices[0].get("message") or {}
    parts = [message.get("content"), message.get("reasoning")]
    calls = message.get("tool_calls")
    if calls:
        parts.append(json.dumps(calls))
    return "".join(p for p in parts if isinstance(p, str))
