"""Run a scenario against the real OpenRouter API (or any gateway speaking its protocol).

Real time, real money: every request goes through the caps of :mod:`orcli.live.guard`,
the scenario's faults are injected client-side (:mod:`orcli.live.inject`), and the drill
aborts when its safeguards trip. The traffic follows the scenario's arrival schedule on
the event loop's clock, at most ``--max-requests`` of it, with at most ``concurrency``
requests in flight. Served model, provider and cost come from the responses; with
``trail`` on, ``GET /generation`` adds OpenRouter's own attempt trail.

``drill_live`` is the coroutine; it only reads time through anyio, so tests run it on
the virtual-time loop with respx in place of the network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any

import anyio
import httpx

from orcli.client import AsyncClient
from orcli.client.budget import usd
from orcli.client.keys import ApiKey, redact
from orcli.client.ledger import Attempt, ChatResult, UpstreamHop
from orcli.client.wire import DEFAULT_APP_TITLE
from orcli.drill.records import Abort, DrillResult, Outcome, RequestRecord
from orcli.drill.runner import DrillInputs, _record, conclude, send_planned
from orcli.drill.traffic import PlannedRequest
from orcli.live.guard import DEFAULT_LIVE_MAX_TOKENS, CapReached, LiveGuard, LiveLimits
from orcli.live.guarded import GuardedTransport
from orcli.live.inject import FaultInjectingTransport
from orcli.openrouter import BASE_URL
from orcli.traffic.recorder import TrafficRecorder

# Attribution: OpenRouter shows apps by HTTP-Referer and X-OpenRouter-Title. ``.invalid`` is
# reserved (RFC 2606), so the default never attributes drill traffic to someone's real site.
DEFAULT_APP_URL = "https://orcli.invalid/drill"
# /generation answers 404 for a short while after a completion: look again after these waits.
TRAIL_RETRY_WAITS_S = (0.5, 1.0, 2.0)
TRAIL_CONCURRENCY = 4
CACHE_HIT_REASON = (
    "answered from OpenRouter's response cache (X-OpenRouter-Cache-Status: HIT): invalid evidence of the route"
)


@dataclass(frozen=True)
class LiveOptions:
    base_url: str = BASE_URL
    limits: LiveLimits = field(default_factory=LiveLimits)
    max_tokens: int | None = DEFAULT_LIVE_MAX_TOKENS  # when the traffic mix sets none (None: no limit)
    concurrency: int | None = None  # None: the scenario's
    trail: bool = False
    app_url: str = DEFAULT_APP_URL
    app_title: str = DEFAULT_APP_TITLE


@dataclass(frozen=True)
class LiveRun:
    """What a live drill needs besides the scenario: the key, the options, and optionally the
    transport standing for the network (tests) and a progress callback ``(done, total)``."""

    key: ApiKey
    options: LiveOptions = field(default_factory=LiveOptions)
    transport: httpx.AsyncBaseTransport | None = None
    on_progress: Callable[[int, int], None] | None = None
    recorder: TrafficRecorder | None = None  # writes the drill's traffic log

    def __repr__(self) -> str:
        return f"LiveRun(key={self.key!r}, options={self.options!r})"


def run_live(inputs: DrillInputs, live: LiveRun) -> DrillResult:
    """Run on a real event loop (real time)."""
    return anyio.run(partial(drill_live, inputs, live))


async def drill_live(inputs: DrillInputs, live: LiveRun) -> DrillResult:
    scenario = inputs.loaded.scenario
    options = live.options
    limits = options.limits
    plan = inputs.plan()
    planned = len(plan)
    plan = plan[: limits.max_requests]  # more could never be sent
    guard = LiveGuard(limits)
    network = live.transport if live.transport is not None else httpx.AsyncHTTPTransport()
    start = anyio.current_time()
    guarded = GuardedTransport(network, guard, inputs.catalog)
    injector = FaultInjectingTransport(guarded, scenario.faults, inputs.catalog, seed=inputs.seed)
    clients = {
        name: AsyncClient(
            workflow,
            api_key=live.key.reveal(),
            base_url=options.base_url,
            transport=injector if live.recorder is None else live.recorder.async_transport(injector),
            seed=inputs.seed * 1000 + i,
            workflow_name=name,
            catalog=inputs.catalog,
            app_url=options.app_url,
            app_title=options.app_title,
            telemetry=live.recorder,  # not the app's tracer: a drill's telemetry comes from its records
            overrides=None,  # already applied by prepare(), from the store's snapshot at the start
        )
        for i, (name, workflow) in enumerate(inputs.workflows.items())
    }
    results: list[ChatResult | None] = [None] * len(plan)
    concurrency = options.concurrency or scenario.traffic.concurrency
    limiter = anyio.CapacityLimiter(concurrency)
    done = 0
    not_started = 0

    async def send(request: PlannedRequest) -> None:
        nonlocal done
        async with limiter:
            results[request.index] = await send_planned(
                clients[request.workflow],
                inputs.workflows[request.workflow],
                request,
                inputs.seed,
                max_tokens=options.max_tokens,
            )
        done += 1
        if live.on_progress is not None:
            live.on_progress(done, len(plan))

    try:
        async with anyio.create_task_group() as group:
            for position, request in enumerate(plan):
                delay = start + request.at_s - anyio.current_time()
                if delay > 0:
                    await anyio.sleep(delay)
                if guard.aborted:
                    not_started = len(plan) - position
                    break
                group.start_soon(send, request)
        trail_found = await _fetch_trails(results, live, guarded) if options.trail else None
        key_limit = await _key_limit(live, network) if guard.spend_limit is not None else None
    finally:
        if live.transport is None:
            await network.aclose()
    end = anyio.current_time()

    marked = [None if r is None else _mark_injected(r, injector) for r in results]
    records = tuple(
        _not_from_cache(_record(req, res, inputs, None), guard)
        for req, res in zip(plan, marked, strict=True)
        if res is not None
    )
    abort = None
    if guard.abort_reason is not None:
        reason = redact(guard.abort_reason, live.key)
        if guard.spend_limit is not None:
            reason = f"{reason} ({key_limit})"
        abort = Abort(reason, not_started, spend_limit=guard.spend_limit is not None)
    notes = _notes(inputs, live, guard, injector, records, planned, len(plan), abort, trail_found)
    duration_s = round(end - start, 3)
    return conclude(inputs, records, injector.firings, target="live", duration_s=duration_s, notes=notes, abort=abort)


def _not_from_cache(record: RequestRecord, guard: LiveGuard) -> RequestRecord:
    """An answer from OpenRouter's response cache is no evidence of the route: never served."""
    if record.result.idempotency_key not in guard.cache_hits or record.outcome not in (
        Outcome.SERVED,
        Outcome.DEGRADED,
    ):
        return record
    return replace(record, outcome=Outcome.FAILED, reason=CACHE_HIT_REASON)


async def _key_limit(live: LiveRun, network: httpx.AsyncBaseTransport) -> str:
    """What ``GET /key`` says of the key's limit, in words (after a budget refused the drill)."""
    url = live.options.base_url.rstrip("/") + "/key"
    headers = {"Authorization": f"Bearer {live.key.reveal()}", "Accept": "application/json"}
    try:
        async with httpx.AsyncClient(transport=_Unclosed(network), timeout=10.0) as http:
            response = await http.get(url, headers=headers)
        data = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        data = None
    if not isinstance(data, dict):
        return "GET /key did not say the key's limit"
    return describe_key_limit(data)


def describe_key_limit(data: Mapping[str, Any]) -> str:
    limit, remaining, reset = data.get("limit"), data.get("limit_remaining"), data.get("limit_reset")
    if not _is_number(limit):
        return "GET /key: the key has no limit of its own (a guardrail or workspace budget refused it)"
    parts = [f"GET /key: limit {usd(Decimal(str(limit)))}"]
    if _is_number(remaining):
        parts.append(f"{usd(Decimal(str(remaining)))} remaining")
    if isinstance(reset, str) and reset:
        parts.append(f"resets {reset}")
    return ", ".join(parts)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mark_injected(result: ChatResult, injector: FaultInjectingTransport) -> ChatResult:
    """Prefix the detail of every attempt an injected fault broke, so no report mistakes it
    for a real upstream failure."""
    attempts: list[Attempt] = []
    changed = False
    for attempt in result.attempts:
        injection = None if attempt.ok else injector.injected_failure(result.idempotency_key, attempt.index)
        if injection is not None:
            attempt = replace(attempt, detail=f"injected {injection.fault_id}: {attempt.detail}")
            changed = True
        attempts.append(attempt)
    return replace(result, attempts=tuple(attempts)) if changed else result


async def _fetch_trails(
    results: list[ChatResult | None], live: LiveRun, network: httpx.AsyncBaseTransport
) -> tuple[int, int]:
    """Fill each attempt's upstream hops from ``/generation`` when the response carried none.
    Returns (trails found, generations asked about)."""
    wanted = [
        (i, j, attempt.generation_id)
        for i, result in enumerate(results)
        if result is not None
        for j, attempt in enumerate(result.attempts)
        if attempt.generation_id and not attempt.upstream_hops
    ]
    found: dict[tuple[int, int], tuple[UpstreamHop, ...]] = {}
    url = live.options.base_url.rstrip("/") + "/generation"
    headers = {"Authorization": f"Bearer {live.key.reveal()}", "Accept": "application/json"}
    limiter = anyio.CapacityLimiter(TRAIL_CONCURRENCY)
    async with httpx.AsyncClient(transport=_Unclosed(network), timeout=10.0) as http:

        async def look_up(i: int, j: int, generation_id: str) -> None:
            async with limiter:
                try:
                    hops = await _generation_trail(http, url, headers, generation_id)
                except CapReached:
                    return  # the guard noted the refusal; this generation goes without its trail
            if hops:
                found[(i, j)] = hops

        async with anyio.create_task_group() as group:
            for i, j, generation_id in wanted:
                assert generation_id is not None
                group.start_soon(look_up, i, j, generation_id)
    for (i, j), hops in found.items():
        result = results[i]
        assert result is not None
        attempts = list(result.attempts)
        attempts[j] = replace(attempts[j], upstream_hops=hops)
        results[i] = replace(result, attempts=tuple(attempts))
    return len(found), len(wanted)


async def _generation_trail(
    http: httpx.AsyncClient, url: str, headers: Mapping[str, str], generation_id: str
) -> tuple[UpstreamHop, ...]:
    for wait_s in (0.0, *TRAIL_RETRY_WAITS_S):
        if wait_s:
            await anyio.sleep(wait_s)
        try:
            response = await http.get(url, params={"id": generation_id}, headers=dict(headers))
        except httpx.HTTPError:
            continue
        if response.status_code == 404:
            continue  # not recorded yet
        if response.status_code != 200:
            return ()
        try:
            data = response.json().get("data")
        except (ValueError, AttributeError):
            return ()
        return _hops(data)
    return ()


def _hops(data: Any) -> tuple[UpstreamHop, ...]:
    trail = data.get("provider_responses") if isinstance(data, dict) else None
    hops: list[UpstreamHop] = []
    for entry in trail if isinstance(trail, list) else ():
        if not isinstance(entry, dict):
            continue
        provider, model, status = entry.get("provider_name"), entry.get("model_permaslug"), entry.get("status")
        if isinstance(provider, str) and isinstance(status, int):
            hops.append(UpstreamHop(provider, model if isinstance(model, str) else "?", status))
    return tuple(hops)


class _Unclosed(httpx.AsyncBaseTransport):
    """Lends a transport to a short-lived client without letting it close the transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


def _notes(
    inputs: DrillInputs,
    live: LiveRun,
    guard: LiveGuard,
    injector: FaultInjectingTransport,
    records: tuple[RequestRecord, ...],
    planned: int,
    capped: int,
    abort: Abort | None,
    trail: tuple[int, int] | None,
) -> tuple[str, ...]:
    options, limits = live.options, live.options.limits
    notes = [
        f"live: {options.base_url}; {guard.sent} requests sent (cap {limits.max_requests}), "
        f"{usd(guard.spent_usd)} spent (cap {usd(limits.max_cost_usd)}); max_tokens {options.max_tokens or 'unset'} "
        "unless the scenario sets one"
    ]
    if abort is not None:
        notes.append(str(abort))
    if capped < planned:
        notes.append(f"traffic cut from {planned} to {capped} requests by --max-requests")
    if guard.refused:
        notes.append(f"{len(guard.refused)} sends refused by the caps; the first: {guard.refused[0]}")
    hits = sum(r.reason == CACHE_HIT_REASON for r in records)
    if hits:
        notes.append(
            f"{hits} answers came from OpenRouter's response cache despite X-OpenRouter-Cache: false: "
            "invalid evidence, counted as failed, never as served"
        )
    effects: dict[str, Counter[str]] = {}
    for injection in injector.injections:
        effects.setdefault(injection.fault_id, Counter())[injection.effect] += 1
    for fault_id, counts in effects.items():
        shown = ", ".join(f"{effect} x{n}" for effect, n in counts.items())
        notes.append(f"injected client-side by {fault_id}: {shown}")
    real = Counter(
        (a.error_class.value if a.error_class else "?")
        for r in records
        for a in r.result.attempts
        if not a.ok and not a.detail.startswith("injected ")
    )
    if real:
        shown = ", ".join(f"{cls} x{n}" for cls, n in sorted(real.items()))
        notes.append(f"real upstream failures (not injected): {sum(real.values())} attempts ({shown})")
    else:
        notes.append("real upstream failures (not injected): none")
    if trail is not None:
        notes.append(f"attempt trail from /generation: {trail[0]} of {trail[1]} generations")
    if inputs.catalog.source == "embedded":
        notes.append(
            "catalog: the embedded one (illustrative prices bound the caps); pull live prices with 'orcli catalog pull'"
        )
    return tuple(notes)
