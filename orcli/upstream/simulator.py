"""The simulator core: OpenRouter's API as a pure function of time.

``Simulator.handle(request, now_s)`` computes the whole reply to one HTTP request,
including when each part of it arrives: OpenRouter's own overhead, every provider
attempt inside its failover (each costs simulated latency), time to first token, the
generation time, and the delay of every streamed chunk. It never sleeps and never reads
a clock: ``now_s`` (seconds since the simulator's start) is handed in, and the adapters
(httpx transports, the HTTP server) play the reply out. Randomness comes from the seed:
routing and timing from (seed, request index), content from (seed, request body).

One chat request goes through four fault stages: ``route`` (endpoints dropped from the
plan), ``request`` (OpenRouter refuses before routing), ``attempt`` (each provider attempt
of the failover) and ``response`` (the served answer or stream is damaged).
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import parse_qs

from orcli.catalog.load import default_catalog
from orcli.catalog.model import Catalog, Endpoint
from orcli.routing.plan import PlanCache, RoutingFailure
from orcli.upstream import admin, content, effects, responses, router, sse, timing
from orcli.upstream.cache import CacheControl, CacheEntry, ResponseCache, hit_body
from orcli.upstream.faults.activation import Event
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.engine import FaultEngine
from orcli.upstream.faults.log import Firing, idle_among
from orcli.upstream.faults.spec import FaultSpec
from orcli.upstream.health import HealthTracker
from orcli.upstream.listing import endpoints_json, model_json, models_json
from orcli.upstream.presets import apply_preset
from orcli.upstream.protocol import ApiError, ChatRequest, bad_request, dumps, parse_chat
from orcli.upstream.records import AttemptRecord, ChatRequestRecord, Reply

EPOCH_S = 1_767_225_600  # 2026-01-01T00:00:00Z; "created" = EPOCH_S + simulated seconds
API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/_orcli"
JSON = ("content-type", "application/json")
SSE_HEADERS = (("content-type", "text/event-stream"), ("cache-control", "no-cache"))
_GEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_INF = float("inf")


@dataclass(frozen=True, slots=True)
class WireRequest:
    """An HTTP request as the simulator sees it. Adapters reduce the ``Authorization`` header
    to ``authorized`` (see :func:`has_bearer`): the key itself never reaches the simulator."""

    method: str
    path: str
    query: str = ""
    body: bytes = b""
    authorized: bool = True
    # ``X-OpenRouter-Metadata: enabled``: answers carry ``openrouter_metadata`` with the attempt trail.
    metadata: bool = False
    # ``X-OpenRouter-Cache: true`` (see :mod:`orcli.upstream.cache`); None for every other request.
    cache: CacheControl | None = None


METADATA_HEADERS = ("x-openrouter-metadata", "x-openrouter-experimental-metadata")


def wants_metadata(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("enabled", "true", "1")


def has_bearer(header: str | None) -> bool:
    """OpenRouter wants ``Authorization: Bearer <key>``; any non-empty key is accepted here."""
    if not header:
        return False
    scheme, _, key = header.partition(" ")
    return scheme.lower() == "bearer" and bool(key.strip())


@dataclass(frozen=True)
class SimulatorOptions:
    overhead_s: float = 0.02  # OpenRouter's own time per request (half of it again between attempts)
    default_model: str | None = None  # served when a request names no model; default: the catalog's first
    epoch_s: int = EPOCH_S
    history_limit: int = 100_000  # requests, attempts and generations kept (the oldest are dropped)
    stream_batch_s: float = 0.0  # stream chunks within this much of each other arrive together (0: each alone)
    # OpenRouter's own limit on a silent provider (undocumented): when it fires, the hang
    # becomes a known failure of that endpoint for routing.
    provider_timeout_s: float = 60.0


@dataclass(slots=True)
class _Call:
    """One chat request in flight: its identity, its randomness and its attempt trail."""

    index: int
    gen_id: str
    now_s: float
    chat: ChatRequest
    rng: random.Random
    attempts: list[AttemptRecord] = field(default_factory=list)
    retry_hints: list[float | None] = field(default_factory=list)
    metadata: bool = False
    dropped: tuple[str, ...] = ()  # parameters OpenRouter dropped for the model now tried

    def router_metadata(self, serving: tuple[Endpoint, str] | None = None) -> dict[str, Any]:
        """``openrouter_metadata``: which model was asked for and every provider attempt so far.

        ``serving`` names an attempt still being answered (a stream whose trail is written
        before its attempt is recorded)."""
        models = self.chat.models
        trail = [{"provider": a.provider, "model": a.model, "status": a.status} for a in self.attempts]
        is_byok = bool(self.attempts) and self.attempts[-1].is_byok
        if serving is not None:
            ep, model_id = serving
            trail.append({"provider": ep.provider_name, "model": model_id, "status": 200})
            is_byok = ep.is_byok
        out: dict[str, Any] = {
            "requested": models[0] if models else None,
            "strategy": "fallback" if len(models) > 1 else "direct",
            "attempt": max(1, len(trail)),
            "is_byok": is_byok,
            "attempts": trail,
        }
        if self.dropped:
            # OpenRouter drops them silently; its metadata has no documented field for it, so
            # the simulator names them here for the client and the judge to see.
            out["dropped_parameters"] = list(self.dropped)
        return out

    def event(self, at_s: float, model_id: str, ep: Endpoint | None) -> Event:
        return Event(self.index, at_s, (model_id,), ep, attempt=len(self.attempts) + 1)


class Simulator:
    """OpenRouter, simulated. Thread-safe: requests are handled one at a time under a lock."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        faults: Sequence[FaultSpec] = (),
        seed: int = 0,
        *,
        options: SimulatorOptions | None = None,
        presets: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.catalog = catalog if catalog is not None else default_catalog()
        self.seed = seed
        self.options = options or SimulatorOptions()
        self._default_model = self.options.default_model or self.catalog.models[0].id
        self._engine = FaultEngine(faults, seed=seed)
        self._health = HealthTracker()
        self._plans = PlanCache()  # the catalog is fixed: filtered endpoints per request shape
        self._lock = threading.Lock()
        limit = self.options.history_limit
        self._requests: deque[ChatRequestRecord] = deque(maxlen=limit)
        self._attempts: deque[AttemptRecord] = deque(maxlen=limit)
        # Generation records are built when read: most are never asked for.
        self._generations: OrderedDict[str, Callable[[], dict[str, Any]]] = OrderedDict()
        self._count = 0
        self._usage_usd = Decimal(0)
        self._byok_usage_usd = Decimal(0)
        self._models_body = dumps(models_json(self.catalog, self.options.epoch_s))
        self._cache = ResponseCache(limit)
        self.presets: dict[str, Mapping[str, Any]] = dict(presets or {})  # slug -> fields

    # --- records ---------------------------------------------------------------------------

    @property
    def faults(self) -> tuple[FaultSpec, ...]:
        with self._lock:
            return self._engine.specs

    @property
    def firings(self) -> tuple[Firing, ...]:
        """Every fault firing so far, in order."""
        with self._lock:
            return self._engine.firings

    @property
    def log(self) -> tuple[AttemptRecord, ...]:
        """Every provider attempt so far (OpenRouter's internal failover trail), in order."""
        with self._lock:
            return tuple(self._attempts)

    @property
    def requests(self) -> tuple[ChatRequestRecord, ...]:
        """Every chat-completions request so far, in order."""
        with self._lock:
            return tuple(self._requests)

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        """The ``/generation`` record of a request (with its ``provider_responses`` trail)."""
        with self._lock:
            build = self._generations.get(generation_id)
        return build() if build is not None else None

    def fired(self, fault_id: str) -> int:
        """How many times the fault with this id has fired."""
        return sum(1 for f in self.firings if f.fault_id == fault_id)

    # --- faults ----------------------------------------------------------------------------

    def add_fault(self, fault: FaultSpec) -> FaultSpec:
        """Add a fault at runtime; returns it with its id. ``ValueError`` on a duplicate id."""
        with self._lock:
            return self._engine.add(fault)

    def remove_fault(self, fault_id: str) -> bool:
        with self._lock:
            return self._engine.remove(fault_id)

    def clear_faults(self) -> None:
        with self._lock:
            self._engine.clear()

    def reset(self) -> None:
        """Forget history (requests, attempts, generations, firings, health); keep the faults."""
        with self._lock:
            self._requests.clear()
            self._attempts.clear()
            self._generations.clear()
            self._engine.clear_firings()
            self._health.clear()
            self._cache.clear()
            self._count = 0
            self._usage_usd = Decimal(0)
            self._byok_usage_usd = Decimal(0)

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: WireRequest, now_s: float) -> Reply:
        """The complete reply to one HTTP request arriving ``now_s`` after the start."""
        path = request.path.rstrip("/") or "/"
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            status, payload = admin.handle(self, request.method, path, request.body)
            return Reply(status, (JSON,), dumps(payload))
        if not path.startswith(API_PREFIX + "/"):
            return error_reply(ApiError(404, "Not Found", {"error_type": "not_found"}))
        route = path[len(API_PREFIX) :]
        if route == "/chat/completions":
            if request.method != "POST":
                return error_reply(ApiError(405, "Method Not Allowed"))
            with self._lock:
                return self._chat(request, now_s)
        if request.method != "GET":
            return error_reply(ApiError(405, "Method Not Allowed"))
        return self._read(route, request, now_s)

    def chat(self, body: bytes | dict[str, Any], now_s: float = 0.0) -> Reply:
        """Shortcut: ``handle`` an authorized ``POST /api/v1/chat/completions``."""
        raw = body if isinstance(body, bytes) else dumps(body)
        return self.handle(WireRequest("POST", API_PREFIX + "/chat/completions", body=raw), now_s)

    def _read(self, route: str, request: WireRequest, now_s: float) -> Reply:
        epoch = self.options.epoch_s
        if route == "/models":
            wanted = _query(request, "supported_parameters")
            return Reply(200, (JSON,), dumps(models_json(self.catalog, epoch, wanted)) if wanted else self._models_body)
        if route.startswith("/models/") and route.endswith("/endpoints"):
            model = self.catalog.get(route[len("/models/") : -len("/endpoints")])
            if model is None:
                return error_reply(ApiError(404, "Model not found", {"error_type": "not_found"}))
            return Reply(200, (JSON,), dumps(endpoints_json(model, epoch)))
        if route.startswith("/model/"):
            model = self.catalog.get(route[len("/model/") :])
            if model is None:
                return error_reply(ApiError(404, "Model not found", {"error_type": "not_found"}))
            return Reply(200, (JSON,), dumps({"data": model_json(model, epoch)}))
        if not request.authorized:
            return error_reply(_no_auth())
        if route == "/generation":
            wanted = _query(request, "id")
            if not wanted:
                return error_reply(bad_request("id: required query parameter"))
            data = self.generation(wanted)
            if data is None:
                return error_reply(ApiError(404, f"Generation {wanted} not found", {"error_type": "not_found"}))
            return Reply(200, (JSON,), dumps({"data": data}))
        if route == "/key":
            with self._lock:
                return Reply(200, (JSON,), dumps(self._key_json(now_s)))
        if route == "/credits":
            with self._lock:
                used = float(self._usage_usd)
            return Reply(200, (JSON,), dumps({"data": {"total_credits": None, "total_usage": used}}))
        return error_reply(ApiError(404, "Not Found", {"error_type": "not_found"}))

    # --- chat completions ------------------------------------------------------------------

    def _chat(self, request: WireRequest, now_s: float) -> Reply:
        self._count += 1
        index = self._count
        overhead = self.options.overhead_s
        if not request.authorized:
            return self._refused(index, now_s, None, _no_auth(), overhead)
        body = request.body
        if b"preset" in body:  # only a request that may name a preset pays for the merge
            merged = apply_preset(body, self.presets)
            if isinstance(merged, ApiError):
                return self._refused(index, now_s, None, merged, overhead)
            body = merged
        chat = parse_chat(body, default_model=self._default_model)
        if isinstance(chat, ApiError):
            return self._refused(index, now_s, None, chat, overhead)
        unknown = router.unknown_models(chat, self.catalog)
        if unknown:
            # Every model id is validated up front, before any routing.
            return self._refused(index, now_s, chat, bad_request(f"{unknown[0]} is not a valid model ID"), overhead)

        rng = random.Random(self.seed * 1_000_003 + index)
        call = _Call(index, self._generation_id(now_s, rng), now_s, chat, rng, metadata=request.metadata)
        walk = router.walk(
            chat, self.catalog, self._health.view(now_s), rng, lambda m, ep: self._dropped(call, m, ep), self._plans
        )
        # Request faults see the endpoint OpenRouter would try first: walk that far.
        steps: list[router.Step] = []
        for step in walk:
            steps.append(step)
            if step.candidate is not None:
                break
        first = steps[-1].candidate.endpoint if steps and steps[-1].candidate is not None else None
        fired = self._engine.evaluate(
            Stage.REQUEST, Event(index, now_s, chat.models, first), generation_id=call.gen_id, stop_at_first=True
        )
        if fired:
            return self._request_fault(call, fired[0], overhead)
        if request.cache is not None and not chat.stream:
            return self._through_cache(request.cache, request.body, call, steps, walk)
        return self._route(call, steps, walk)

    def _route(self, call: _Call, steps: list[router.Step], walk: Iterator[router.Step]) -> Reply:
        """OpenRouter's failover over the routed endpoints: the first answer, or the last error."""
        elapsed = self.options.overhead_s
        last_error: ApiError | None = None
        skip_model: str | None = None
        for step in itertools.chain(steps, walk):
            if step.candidate is None:
                assert step.failure is not None
                last_error = _routing_error(step.failure)
                continue
            if step.model_id == skip_model:
                continue
            call.dropped = step.dropped
            outcome = self._attempt(call, elapsed, step.model_id, step.candidate.endpoint)
            if isinstance(outcome, Reply):
                return outcome
            last_error, spent = outcome
            elapsed += spent
            if not router.fails_over(last_error.status):
                skip_model = step.model_id  # any other error moves on to the next model
        assert last_error is not None
        return self._all_failed(call, last_error, elapsed)

    def _through_cache(
        self,
        control: CacheControl,
        body: bytes,
        call: _Call,
        steps: list[router.Step],
        walk: Iterator[router.Step],
    ) -> Reply:
        entry = self._cache.lookup(control, body, call.now_s)
        if entry is not None:
            return self._cache_hit(call, entry)
        reply = self._route(call, steps, walk)
        if reply.status == 200 and reply.chunks is None and reply.failure is None and not reply.never_arrives:
            # Stored as of the request's arrival: ``mock serve`` runs its clock in real time
            # whatever its time scale, so an answer's simulated end is no moment it can compare.
            self._cache.store(control, body, call.now_s, reply.body, call.gen_id)
        return replace(reply, headers=(*reply.headers, ("x-openrouter-cache-status", "MISS")))

    def _cache_hit(self, call: _Call, entry: CacheEntry) -> Reply:
        overhead = self.options.overhead_s
        body = hit_body(entry, call.gen_id, self.options.epoch_s + int(call.now_s))
        served = (entry.model, entry.provider) if entry.model and entry.provider else None
        self._record_request(call, 200, "cache_hit", overhead, served, 0.0)
        self._store_generation(
            call.gen_id, partial(_hit_generation, self._generations.get(entry.source_id), call.gen_id, overhead)
        )
        headers = (
            JSON,
            ("x-generation-id", call.gen_id),
            ("x-openrouter-cache-status", "HIT"),
            ("x-openrouter-cache-age", str(max(0, int(call.now_s - entry.stored_at_s)))),
            ("x-openrouter-cache-source-id", entry.source_id),
        )
        return Reply(200, headers, body, delay_s=overhead)

    def _generation_id(self, now_s: float, rng: random.Random) -> str:
        tail = "".join(rng.choices(_GEN_ALPHABET, k=20))
        return f"gen-{self.options.epoch_s + int(now_s)}-{tail}"

    def _dropped(self, call: _Call, model_id: str, ep: Endpoint) -> str | None:
        """``no_endpoints`` faults: a message ("" = default) when one takes ``ep`` out of routing."""
        if not self._engine.has_stage(Stage.ROUTE):
            return None
        event = Event(call.index, call.now_s, (model_id,), ep)
        fired = self._engine.evaluate(Stage.ROUTE, event, generation_id=call.gen_id, stop_at_first=True)
        if not fired:
            return None
        return fired[0].dropped_message()

    def _request_fault(self, call: _Call, fault: FaultSpec, delay_s: float) -> Reply:
        if fault.acts.effect is Effect.DISCONNECT:
            self._record_request(call, None, "connect_error", 0.0)
            return Reply(0, (), failure="connect")
        model = self.catalog.get(call.chat.models[0])
        max_output = model.top_endpoint.max_completion_tokens if model is not None else 4096
        error = fault.refusal(call.chat, max_output, self.options.epoch_s + call.now_s)
        return self._refused(call.index, call.now_s, call.chat, error, delay_s, call.gen_id)

    def _attempt(self, call: _Call, elapsed: float, model_id: str, ep: Endpoint) -> Reply | tuple[ApiError, float]:
        """One provider attempt: a finished reply (served, or a connection failure), or the
        attempt's error and the time it cost."""
        event = call.event(call.now_s + elapsed, model_id, ep)
        added_s = 0.0
        slowdown = 1.0
        for fault in self._engine.evaluate(Stage.ATTEMPT, event, generation_id=call.gen_id, applies=_delays):
            slow = fault.slowdown(call.rng)
            added_s += slow.added_s
            slowdown *= slow.throughput_factor
        failing = self._engine.evaluate(
            Stage.ATTEMPT, event, generation_id=call.gen_id, applies=_fails, stop_at_first=True
        )
        if not failing:
            return self._serve(call, elapsed, added_s, slowdown, model_id, ep)
        fault = failing[0]
        effect = fault.acts.effect
        if effect is Effect.DISCONNECT:
            self._record_attempt(call, event, model_id, ep, added_s, 0, fault)
            self._record_request(call, None, "connection_reset", elapsed + added_s)
            return Reply(0, (), delay_s=elapsed + added_s, failure="reset")
        if effect is Effect.HANG:
            # Known to routing only when OpenRouter's own provider timeout gives up on it.
            known_s = event.at_s + added_s + self.options.provider_timeout_s
            self._health.record_outage(model_id, ep, known_s, call.now_s)
            self._record_attempt(call, event, model_id, ep, _INF, 408, fault)
            self._record_request(call, None, "no_reply", _INF)
            return Reply(0, (), delay_s=_INF)
        failure = fault.attempt_error(call.chat, model_id, ep)  # FAIL, SILENT
        spent = added_s + failure.duration_s
        if failure.outage:
            # Known when the failing attempt ends, not when it starts.
            self._health.record_outage(model_id, ep, event.at_s + spent, call.now_s)
        call.retry_hints.append(failure.retry_after_s)
        self._record_attempt(call, event, model_id, ep, spent, failure.error.status, fault)
        return failure.error, spent + self.options.overhead_s / 2

    def _serve(
        self, call: _Call, elapsed: float, added_s: float, slowdown: float, model_id: str, ep: Endpoint
    ) -> Reply:
        chat = _without(call.chat, call.dropped) if call.dropped else call.chat
        ttft_s = timing.ttft_s(ep.latency_last_30m, call.rng) + added_s
        seconds_per_token = slowdown / timing.tokens_per_s(ep.throughput_last_30m, call.rng)
        crng = content.content_rng(self.seed, chat.body)
        completion = content.synthesize(chat, crng)
        event = call.event(call.now_s + elapsed, model_id, ep)
        fired = self._engine.evaluate(
            Stage.RESPONSE,
            event,
            generation_id=call.gen_id,
            applies=lambda acts: effects.needs_met(acts.needs, chat, completion),
        )
        shape = sse.StreamShape()
        invalid: FaultSpec | None = None
        broken = False
        idle: list[FaultSpec] = []  # matched, but changed nothing the client receives
        reshapers: list[FaultSpec] = []
        for fault in fired:
            effect = fault.acts.effect
            if effect is Effect.BREAK_TOOL_CALL:
                # One breakage per answer: the first fault that fires wins (a second one
                # would try to re-break arguments that are no longer JSON).
                if not broken:
                    completion = fault.break_completion(completion, chat, crng)
                    broken = True
                else:
                    idle.append(fault)
            elif effect is Effect.INVALID_BODY:
                if invalid is not None or chat.stream:
                    idle.append(fault)
                invalid = invalid or fault
            elif effect is Effect.STREAM:
                shape = fault.reshape(shape)
                reshapers.append(fault)

        usage = responses.usage(chat.prompt_tokens, completion.completion_tokens, ep, completion.finish_reason)
        created = self.options.epoch_s + int(call.now_s)
        native = completion.native_finish_reason(ep.provider_slug)
        gen_headers = (("x-generation-id", call.gen_id),)
        if chat.stream:
            head = responses.chunk_head(call.gen_id, model_id, ep, created)
            extra = {"openrouter_metadata": call.router_metadata((ep, model_id))} if call.metadata else None
            chunks, outcome, streamed = sse.stream_chunks(
                head, completion, native, usage[0], seconds_per_token, shape, extra
            )
            idle += idle_among(
                reshapers,
                sse.StreamShape(),
                lambda s, f: f.reshape(s),
                lambda s: sse.stream_chunks(head, completion, native, usage[0], seconds_per_token, s, extra)[:2],
                (chunks, outcome),
            )
            if idle:
                self._engine.not_applied(idle, call.gen_id)
            stream_s = sum(delay for delay, _ in chunks)
            finish = {"complete": completion.finish_reason, "cut": None, "error": "error"}[outcome]
            if outcome != "complete":
                # A stream that ended early is billed for the tokens it carried (none: insured).
                usage = responses.usage(chat.prompt_tokens, streamed, ep, finish)
            self._record_attempt(call, event, model_id, ep, ttft_s + stream_s, 200, None)
            self._served(
                call,
                ep,
                model_id,
                usage,
                elapsed + ttft_s + stream_s,
                stream_s,
                finish,
                native if outcome == "complete" else finish,
            )
            return Reply(
                200,
                (*SSE_HEADERS, *gen_headers),
                delay_s=elapsed + ttft_s,
                chunks=sse.batched(chunks, self.options.stream_batch_s),
                stream_end="reset" if outcome == "cut" else "complete",
            )

        idle += reshapers  # a stream fault changes nothing on an answer sent whole
        if idle:
            self._engine.not_applied(idle, call.gen_id)
        generation_s = completion.completion_tokens * seconds_per_token
        self._record_attempt(call, event, model_id, ep, ttft_s + generation_s, 200, None)
        response = responses.chat_completion(call.gen_id, model_id, ep, created, completion, usage[0])
        if call.metadata:
            response["openrouter_metadata"] = call.router_metadata()
        body = dumps(response) if invalid is None else invalid.invalid_body(response, chat)
        total_s = elapsed + ttft_s + generation_s
        self._served(call, ep, model_id, usage, total_s, generation_s, completion.finish_reason, native)
        return Reply(200, (JSON, *gen_headers), body, delay_s=total_s)

    def _all_failed(self, call: _Call, error: ApiError, elapsed: float) -> Reply:
        """Every route failed: OpenRouter returns the last error."""
        headers = list(error.headers)
        hints = call.retry_hints
        # Retry-After only when every attempted provider gave a hint; the smallest one wins.
        if error.status in (429, 503) and hints and all(h is not None for h in hints):
            headers.append(("retry-after", effects.seconds_header(min(h for h in hints if h is not None))))
        error = ApiError(
            error.status,
            error.message,
            error.metadata,
            tuple(headers),
            call.router_metadata() if call.metadata else None,
        )
        self._keep_generation(call, call.chat.models[0], None, elapsed, 0.0, 0, ("error", None), (Decimal(0), None))
        return self._refused(call.index, call.now_s, call.chat, error, elapsed, call.gen_id)

    # --- bookkeeping -----------------------------------------------------------------------

    def _record_attempt(
        self,
        call: _Call,
        event: Event,
        model_id: str,
        ep: Endpoint,
        latency_s: float,
        status: int,
        fault: FaultSpec | None,
    ) -> None:
        record = AttemptRecord(
            request_index=call.index,
            generation_id=call.gen_id,
            attempt=len(call.attempts) + 1,
            model=model_id,
            provider=ep.provider_name,
            endpoint=ep.tag,
            is_byok=ep.is_byok,
            started_at_s=event.at_s,
            latency_s=latency_s,
            status=status,
            outcome="ok" if fault is None else fault.kind_name,
            fault_id=None if fault is None else fault.fault_id,
        )
        call.attempts.append(record)
        self._attempts.append(record)

    def _record_request(
        self,
        call: _Call,
        status: int | None,
        outcome: str,
        latency_s: float,
        served: tuple[str, str] | None = None,
        cost_usd: float = 0.0,
    ) -> None:
        self._keep_request(call.index, call.now_s, call.chat, call.gen_id, status, outcome, latency_s, served, cost_usd)

    def _keep_request(
        self,
        index: int,
        now_s: float,
        chat: ChatRequest | None,
        gen_id: str | None,
        status: int | None,
        outcome: str,
        latency_s: float,
        served: tuple[str, str] | None = None,
        cost_usd: float = 0.0,
    ) -> None:
        if not self.options.history_limit:
            return  # nothing is kept: do not build what would be dropped at once
        model, provider = served if served is not None else (None, None)
        self._requests.append(
            ChatRequestRecord(
                index=index,
                generation_id=gen_id,
                at_s=now_s,
                models=chat.models if chat is not None else (),
                stream=chat.stream if chat is not None else False,
                status=status,
                outcome=outcome,
                served_model=model,
                served_provider=provider,
                latency_s=latency_s,
                cost_usd=cost_usd,
            )
        )

    def _served(
        self,
        call: _Call,
        ep: Endpoint,
        model_id: str,
        usage: tuple[dict[str, Any], Decimal, Decimal | None],
        latency_s: float,
        generation_s: float,
        finish: str | None,
        native: str | None,
    ) -> None:
        """Bill a served answer and keep its records; ``usage`` is what the client was told
        (``responses.usage``), so ``/generation`` agrees with it."""
        body, billed, upstream = usage
        self._usage_usd += billed
        if upstream is not None:
            self._byok_usage_usd += upstream
        self._record_request(call, 200, "ok", latency_s, (model_id, ep.provider_name), float(billed))
        tokens = int(body["completion_tokens"])
        self._keep_generation(call, model_id, ep, latency_s, generation_s, tokens, (finish, native), (billed, upstream))

    def _keep_generation(
        self,
        call: _Call,
        model_id: str,
        ep: Endpoint | None,
        latency_s: float,
        generation_s: float,
        completion_tokens: int,
        finish: tuple[str | None, str | None],
        charged: tuple[Decimal, Decimal | None],
    ) -> None:
        """The request's ``/generation`` record (``finish``: finish reason and the provider's
        own; ``charged``: what was billed and, for BYOK, the provider's charge), built when read."""
        self._store_generation(
            call.gen_id,
            partial(
                responses.generation,
                gen_id=call.gen_id,
                created_at_s=self.options.epoch_s + call.now_s,
                model_id=model_id,
                ep=ep,
                streamed=call.chat.stream,
                latency_s=latency_s,
                generation_s=generation_s,
                prompt_tokens=call.chat.prompt_tokens,
                completion_tokens=completion_tokens,
                finish_reason=finish[0],
                native_finish_reason=finish[1],
                billed=charged[0],
                upstream=charged[1],
                attempts=call.attempts,
            ),
        )

    def _refused(
        self,
        index: int,
        now_s: float,
        chat: ChatRequest | None,
        error: ApiError,
        delay_s: float,
        gen_id: str | None = None,
    ) -> Reply:
        outcome = str(error.metadata.get("error_type", "error"))
        self._keep_request(index, now_s, chat, gen_id, error.status, outcome, delay_s)
        return error_reply(error, delay_s, gen_id)

    def _store_generation(self, gen_id: str, build: Callable[[], dict[str, Any]]) -> None:
        if not self.options.history_limit:
            return
        self._generations[gen_id] = build
        while len(self._generations) > self.options.history_limit:
            self._generations.popitem(last=False)

    def _key_json(self, now_s: float) -> dict[str, Any]:
        usage = float(self._usage_usd)
        byok = float(self._byok_usage_usd)
        # A fault in force for the next request may say the key's limit is reached (``budget``).
        in_force = self._engine.in_force(Event(self._count + 1, now_s, (), None), _refuses)
        limit = next((shown for f in in_force if (shown := f.key_limit(usage)) is not None), None)
        data: dict[str, Any] = {
            "label": "sk-or-v1-sim...",  # never derived from the caller's key
            "limit": None,
            "limit_remaining": None,
            "limit_reset": None,
            "include_byok_in_limit": False,
            "is_free_tier": False,
            "is_management_key": False,
            "is_provisioning_key": False,
            "expires_at": None,
        }
        if limit is not None:
            data.update(limit)
        for period in ("", "_daily", "_weekly", "_monthly"):
            data[f"usage{period}"] = usage
            data[f"byok_usage{period}"] = byok
        return {"data": data}


def _without(chat: ChatRequest, dropped: tuple[str, ...]) -> ChatRequest:
    """The request as the provider receives it once OpenRouter dropped ``dropped``: no tool
    calls without ``tools``, plain text without ``response_format``."""
    if "tools" in dropped:
        chat = replace(chat, tools=(), tool_choice="auto")
    if "response_format" in dropped:
        chat = replace(chat, response_format=None)
    return chat


def _refuses(fault: FaultSpec) -> bool:
    return fault.acts.effect is Effect.REFUSE


def _hit_generation(source: Callable[[], dict[str, Any]] | None, gen_id: str, latency_s: float) -> dict[str, Any]:
    """``/generation`` of a cache hit: the stored answer's record, with nothing charged and no
    provider attempt (the stored one may already have been dropped from history)."""
    base = source() if source is not None else {}
    return {
        **base,
        "id": gen_id,
        "latency": round(latency_s * 1000),
        "generation_time": 0,
        "tokens_prompt": 0,
        "tokens_completion": 0,
        "native_tokens_prompt": 0,
        "native_tokens_completion": 0,
        "total_cost": 0.0,
        "upstream_inference_cost": None,
        "provider_responses": [],
    }


def _delays(acts: Behaviour) -> bool:
    return acts.effect is Effect.DELAY


def _fails(acts: Behaviour) -> bool:
    return acts.effect is not Effect.DELAY


def error_reply(error: ApiError, delay_s: float = 0.0, gen_id: str | None = None) -> Reply:
    headers = [JSON, *error.headers]
    if gen_id is not None:
        headers.append(("x-generation-id", gen_id))
    return Reply(error.status, tuple(headers), error.body(), delay_s=delay_s)


def _no_auth() -> ApiError:
    return ApiError(401, "No auth credentials found", {"error_type": "authentication"})


def _routing_error(failure: RoutingFailure) -> ApiError:
    metadata: dict[str, Any] = {"error_type": failure.error_type}
    if failure.excluded_by:
        metadata["excluded_by"] = list(failure.excluded_by)
    return ApiError(failure.status, failure.message, metadata)


def _query(request: WireRequest, key: str) -> str | None:
    if not request.query:
        return None
    values = parse_qs(request.query).get(key)
    return values[0] if values else None
