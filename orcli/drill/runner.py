"""Run a scenario: traffic through the resilient client against the mock upstream.

On the mock the whole drill runs on a virtual-time event loop (orcli.vtime):
arrival rates, concurrency, latency and fault windows are exact, and an hour of
simulated incident takes seconds. The same scenario and seed give equal records.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import anyio
import httpx

from orcli.catalog.byok import ByokMode, with_byok
from orcli.catalog.model import Catalog
from orcli.client import AsyncClient
from orcli.client.hops import BUDGET, CLIENT_ERROR, LIVE_CAP, HopKind, StopReason
from orcli.client.keys import redact
from orcli.client.ledger import ChatResult
from orcli.drill.checks import check_references
from orcli.drill.compact import Compactor
from orcli.drill.expectations import DrillFacts
from orcli.drill.expectations.faults_fired import FaultsFired
from orcli.drill.judge import judge
from orcli.drill.records import Abort, DeclaredFault, DrillResult, FiredFault, Outcome, RequestRecord
from orcli.drill.replay import plan_replay
from orcli.drill.scenario import LoadedScenario
from orcli.drill.traffic import PlannedRequest, messages_for, plan_traffic
from orcli.errors import BudgetExceeded, InputError
from orcli.live.guard import CapReached
from orcli.overrides.location import read_overrides
from orcli.overrides.resolve import resolve_workflow
from orcli.overrides.store import load_overrides
from orcli.policy.load import load_policy
from orcli.policy.model import PolicyFile, Workflow
from orcli.sourcefile import path_kind, shown_path
from orcli.traffic.recorder import TrafficRecorder
from orcli.upstream import Simulator, SimulatorOptions
from orcli.upstream.faults import FaultSpec, Firing
from orcli.upstream.presets import bodies
from orcli.upstream.transport import AsyncSimulatorTransport
from orcli.vtime import run_virtual

# A key the mock accepts; it proves the client sends one without any real secret.
MOCK_API_KEY = "sk-or-mock-drill"
# A drill reads only the simulator's fault firings, never its request, attempt and
# generation history: keeping none of it holds memory flat however long the drill.
# Stream chunks within 100 ms of each other arrive together, as a network delivers them:
# a streamed answer is then a handful of wake-ups rather than one per token, and every
# limit a policy can sensibly set (first token, stream idle, deadline) is judged the same.
DRILL_STREAM_BATCH_S = 0.1
DRILL_SIMULATOR = SimulatorOptions(history_limit=0, stream_batch_s=DRILL_STREAM_BATCH_S)


@dataclass(frozen=True)
class DrillInputs:
    """Everything a run needs, resolved and validated before any request is sent."""

    loaded: LoadedScenario
    policy_path: str
    workflows: Mapping[str, Workflow]
    catalog: Catalog
    seed: int
    overrides: tuple[str, ...] = ()
    override_ids: tuple[str, ...] = ()
    replayed: tuple[PlannedRequest, ...] | None = None  # traffic from a recorded log (traffic.replay)

    def plan(self) -> list[PlannedRequest]:
        """The requests to send: the replayed log's, or the mix's drawn from the seed."""
        if self.replayed is not None:
            return list(self.replayed)
        return plan_traffic(self.loaded.scenario.traffic, tuple(self.workflows), random.Random(self.seed))


def prepare(
    loaded: LoadedScenario,
    catalog: Catalog,
    *,
    seed: int | None = None,
    overrides_path: str | Path | None = None,
    now: datetime | None = None,
    policy: PolicyFile | None = None,
) -> DrillInputs:
    """Load the policy and overrides a scenario names and check they fit together.

    Route overrides come from the on-call store (``--overrides``, ``ORCLI_OVERRIDES`` or
    the project's ``.orcli/overrides.yaml``; a file or Redis) and from the scenario's own
    ``overrides:`` file, so "what happens if we disable X now" is one command. The store
    is read once, here, and expiry is judged at this moment: a drill runs against one
    snapshot of on-call's decisions however long it takes.

    ``policy`` replaces the content of the scenario's policy file (which must still exist):
    a changed copy, such as a mutant, drilled and checked exactly as the file would be.
    """
    moment = now or datetime.now(UTC)
    scenario = loaded.scenario
    policy_path = loaded.resolve(scenario.policy)
    _must_be_file(loaded, "policy", policy_path)
    if policy is None:
        policy = load_policy(policy_path).policy
    names = scenario.workflows or tuple(policy.workflows)
    workflows: dict[str, Workflow] = {}
    for i, name in enumerate(names):
        if name not in policy.workflows:
            known = ", ".join(sorted(policy.workflows))
            raise loaded.document.error(("workflows", i), f"no workflow '{name}' in {policy_path} (has: {known})")
        workflows[name] = policy.workflows[name]
    overrides = list(read_overrides(overrides_path).overrides)
    if scenario.overrides is not None:
        own = loaded.resolve(scenario.overrides)
        _must_be_file(loaded, "overrides", own)
        overrides.extend(load_overrides(own).overrides)
    applied: list[str] = []
    applied_ids: list[str] = []
    for name, workflow in list(workflows.items()):
        resolved = resolve_workflow(name, workflow, overrides, moment)
        workflows[name] = resolved.workflow
        applied.extend(f"{o.id} ({name}): {o.describe()}: {o.reason}" for o in resolved.applied)
        applied_ids.extend(o.id for o in resolved.applied if o.id not in applied_ids)
    for i, kind in enumerate(scenario.traffic.mix):
        if kind.workflow is not None and kind.workflow not in workflows:
            raise loaded.document.error(
                ("traffic", "mix", i, "workflow"), f"workflow '{kind.workflow}' is not one of this scenario's workflows"
            )
    account = _account_catalog(loaded, catalog, workflows)
    check_references(loaded, workflows, account)
    replayed = plan_replay(loaded, tuple(workflows)) if scenario.traffic.replay is not None else None
    return DrillInputs(
        loaded,
        str(policy_path),
        workflows,
        account,
        scenario.seed if seed is None else seed,
        tuple(applied),
        tuple(applied_ids),
        replayed,
    )


def _must_be_file(loaded: LoadedScenario, field: str, path: Path) -> None:
    """A file the scenario names must be one: else an error at the field that names it."""
    try:
        kind = path_kind(path)
    except InputError as exc:  # too long to look up, a loop of links, a folder we may not enter
        raise loaded.document.error((field,), exc.message) from None
    if kind != "file":
        raise loaded.document.error((field,), f"{field} file not found: {shown_path(path)}")


def _account_catalog(loaded: LoadedScenario, catalog: Catalog, workflows: Mapping[str, Workflow]) -> Catalog:
    """The catalog as the account sees it: the workflows' BYOK keys add their own endpoints."""
    keys: dict[str, ByokMode] = {}
    for name, workflow in workflows.items():
        for provider in workflow.byok.keys:
            slug = provider.lower()
            if keys.get(slug, workflow.byok.mode) != workflow.byok.mode:
                raise InputError(
                    f"{loaded.path}: workflows disagree on the BYOK mode for '{slug}' ({name} says "
                    f"{workflow.byok.mode}); one account has one setting per key"
                )
            keys[slug] = workflow.byok.mode
    return with_byok(catalog, keys)


TransportWrapper = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]


UpstreamTap = Callable[[Simulator], None]
Progress = Callable[[int, int], None]
"""Told ``(requests done, requests planned)`` as a drill goes, e.g. to draw a progress bar."""


def run_mock(
    inputs: DrillInputs,
    wrap_transport: TransportWrapper | None = None,
    keep_upstream: UpstreamTap | None = None,
    on_progress: Progress | None = None,
    recorder: TrafficRecorder | None = None,
) -> DrillResult:
    """Run on the mock, on virtual time. ``wrap_transport`` puts a network edge of the
    caller's between the client and the mock (a proxy, a recorder, or a test's misbehaving
    network). ``keep_upstream`` makes the mock keep its request and attempt history and is
    handed the simulator after the run (traces). ``on_progress`` hears of each request done."""
    return run_virtual(_run_mock, inputs, wrap_transport, keep_upstream, on_progress, recorder)


async def _run_mock(
    inputs: DrillInputs,
    wrap_transport: TransportWrapper | None,
    keep_upstream: UpstreamTap | None = None,
    on_progress: Progress | None = None,
    recorder: TrafficRecorder | None = None,
) -> DrillResult:
    scenario = inputs.loaded.scenario
    plan = inputs.plan()
    options = DRILL_SIMULATOR
    if keep_upstream is not None:  # history changes no answer: it is only remembered
        options = replace(options, history_limit=SimulatorOptions().history_limit)
    simulator = Simulator(
        inputs.catalog, faults=scenario.faults, seed=inputs.seed, options=options, presets=bodies(scenario.presets)
    )
    start = anyio.current_time()
    transport: httpx.AsyncBaseTransport = AsyncSimulatorTransport(simulator, origin_s=start)
    if wrap_transport is not None:
        transport = wrap_transport(transport)
    if recorder is not None:
        transport = recorder.async_transport(transport)
    clients = {
        name: AsyncClient(
            workflow,
            api_key=MOCK_API_KEY,
            transport=transport,
            seed=inputs.seed * 1000 + i,
            workflow_name=name,
            catalog=inputs.catalog,
            # A drill's telemetry comes from its records (--otlp-json), not the app's tracer;
            # the observer, when there is one, writes the traffic log.
            telemetry=recorder,
            overrides=None,  # already applied by prepare(), from the store's snapshot at the start
        )
        for i, (name, workflow) in enumerate(inputs.workflows.items())
    }
    records: list[RequestRecord | None] = [None] * len(plan)
    limiter = anyio.CapacityLimiter(scenario.traffic.concurrency)
    compactor = Compactor()
    done = [0]  # requests completed, for on_progress

    async def send(request: PlannedRequest) -> None:
        async with limiter:
            # Time spent waiting for a free slot is part of what the user waits.
            slot_wait_s = max(0.0, anyio.current_time() - (start + request.at_s))
            result = await send_planned(
                clients[request.workflow], inputs.workflows[request.workflow], request, inputs.seed
            )
            # Judged at once and kept compact: the answer's text is no longer needed.
            records[request.index] = _record(request, result, inputs, compactor, slot_wait_s=slot_wait_s)
            if on_progress is not None:
                done[0] += 1
                on_progress(done[0], len(plan))

    async with anyio.create_task_group() as group:
        for request in plan:
            delay = start + request.at_s - anyio.current_time()
            if delay > 0:
                await anyio.sleep(delay)
            group.start_soon(send, request)
    end = anyio.current_time()
    for client in clients.values():
        await client.aclose()

    if keep_upstream is not None:
        keep_upstream(simulator)
    kept = tuple(record for record in records if record is not None)
    return conclude(inputs, kept, simulator.firings, target=scenario.target, duration_s=round(end - start, 6))


def conclude(
    inputs: DrillInputs,
    records: tuple[RequestRecord, ...],
    firings: Iterable[Firing],
    *,
    target: str,
    duration_s: float,
    notes: tuple[str, ...] = (),
    abort: Abort | None = None,
) -> DrillResult:
    """Judge a finished run, on the mock or live: the faults declared and fired, and every
    expectation (``faults_fired`` is added whenever faults were declared)."""
    scenario = inputs.loaded.scenario
    declared = tuple(_declared(fault) for fault in scenario.faults)
    fired = tuple(FiredFault(f.fault_id, f.kind, round(f.at_s, 6), f.provider, f.model, f.applied) for f in firings)
    facts = DrillFacts(
        requests=records,
        workflows=inputs.workflows,
        declared_faults=declared,
        fired=fired,
        tools_by_kind={k.name: tuple(t.wire() for t in k.offered_tools()) for k in scenario.traffic.mix},
        length_allowed=frozenset(k.name for k in scenario.traffic.mix if k.allow_length_finish),
    )
    specs = list(scenario.expect)
    if declared and not any(isinstance(s, FaultsFired) for s in specs):
        specs.append(FaultsFired(kind="faults_fired"))  # a fault that never fired fails the drill
    return DrillResult(
        scenario=scenario.name,
        scenario_path=inputs.loaded.path,
        description=scenario.description,
        seed=inputs.seed,
        target=target,
        policy_path=inputs.policy_path,
        workflows=tuple(inputs.workflows),
        duration_s=duration_s,
        requests=records,
        declared_faults=declared,
        fired=fired,
        expectations=tuple(spec.evaluate(facts) for spec in specs),
        overrides=inputs.overrides,
        override_ids=inputs.override_ids,
        notes=notes,
        abort=abort,
    )


def idempotency_key(seed: int, index: int) -> str:
    """The key a drill's request is sent with: the same for every attempt, unique in the drill."""
    return f"drill-{seed}-{index}"


async def send_planned(
    client: AsyncClient, workflow: Workflow, request: PlannedRequest, seed: int, *, max_tokens: int | None = None
) -> ChatResult:
    """Send one planned request; whatever happens, the drill gets a result to judge.

    ``max_tokens`` replaces the traffic kind's own when that sets none (live drills keep answers short).
    """
    kind = request.kind
    key = idempotency_key(seed, request.index)
    try:
        return await client.chat(
            messages_for(request),
            tools=[t.wire() for t in kind.offered_tools()] or None,
            tool_choice=kind.tool_choice,
            response_format=kind.response_format(),
            stream=kind.stream,
            max_tokens=kind.max_tokens if kind.max_tokens is not None else max_tokens,
            idempotency_key=key,
        )
    except BudgetExceeded as refused:
        # Refused before sending (a budget or a live cap): a clean stop, not a crash.
        reason = LIVE_CAP if isinstance(refused, CapReached) else BUDGET
        return _unsent(workflow, request, key, refused.message, reason, alerts=(refused.message,))
    except Exception as exc:
        # A client that raises instead of returning a result is a failure the drill reports,
        # request by request, rather than a traceback that hides every other outcome.
        message = redact(f"the client raised {type(exc).__name__}: {exc}", None)[:300]
        return _unsent(workflow, request, key, message, CLIENT_ERROR)


def _unsent(
    workflow: Workflow,
    request: PlannedRequest,
    key: str,
    message: str,
    reason: StopReason,
    alerts: tuple[str, ...] = (),
) -> ChatResult:
    """The result of a request the client did not complete normally."""
    return ChatResult(
        ok=False,
        response=None,
        error_class=None,
        error_message=message,
        attempts=(),
        idempotency_key=key,
        alerts=alerts,
        fail_safe_message=workflow.degradation.user_message if alerts else None,
        workflow=request.workflow,
        chain=workflow.models.all,
        stop_reason=reason,
    )


def _queued_s(result: ChatResult) -> float:
    """How long the work waited in the client's queue (queue degradation mode)."""
    return sum(
        later.wait_before_s
        for earlier, later in zip(result.attempts, result.attempts[1:], strict=False)
        if earlier.next_hop is not None and earlier.next_hop.kind is HopKind.QUEUED
    )


def _record(
    request: PlannedRequest,
    result: ChatResult,
    inputs: DrillInputs,
    compactor: Compactor | None,
    *,
    slot_wait_s: float = 0.0,
) -> RequestRecord:
    """The judged record; with a ``compactor`` (mock drills, any size), the result keeps
    only what verdicts and reports read, while a live drill (a few capped requests) keeps
    the real answers whole."""
    if compactor is not None:
        result = compactor.result(result)
    queued_s = _queued_s(result)
    verdict = judge(
        result,
        inputs.workflows[request.workflow],
        inputs.catalog,
        allow_length_finish=request.kind.allow_length_finish,
    )
    outcome, reason = verdict.outcome, verdict.reason
    if queued_s > 0 and outcome in (Outcome.SERVED, Outcome.DEGRADED):
        # The answer came, but only after the work waited in the queue: that is degradation.
        outcome, reason = Outcome.DEGRADED, f"{reason}, after queueing {queued_s:g}s"
    return RequestRecord(
        index=request.index,
        at_s=request.at_s,
        workflow=request.workflow,
        kind=request.kind.name,
        stream=request.kind.stream,
        result=result,
        outcome=outcome,
        reason=compactor.share(reason) if compactor else reason,
        violations=compactor.share(verdict.violations) if compactor else verdict.violations,
        fallback_depth=verdict.fallback_depth,
        tools_offered=bool(request.kind.offered_tools()),
        slot_wait_s=round(slot_wait_s, 6),
        endpoint=verdict.endpoint,
    )


def _declared(fault: FaultSpec) -> DeclaredFault:
    return DeclaredFault(fault.fault_id, fault.kind_name, _target(fault), _window(fault), fault.start_s, fault.end_s)


def _target(fault: FaultSpec) -> str:
    parts = [f"provider {fault.provider}"] if fault.provider else []
    if fault.model:
        parts.append(f"model {fault.model}")
    return ", ".join(parts) or "everything"


def _window(fault: FaultSpec) -> str:
    parts: list[str] = []
    if fault.start_s is not None or fault.end_s is not None:
        parts.append(f"{fault.start_s or 0:g}s-{'' if fault.end_s is None else f'{fault.end_s:g}s'}")
    if fault.from_request is not None or fault.to_request is not None:
        parts.append(f"requests {fault.from_request or 1}-{fault.to_request or ''}")
    if fault.flap_period_s is not None:
        parts.append(f"flapping every {fault.flap_period_s:g}s")
    if fault.first is not None:
        parts.append(f"first {fault.first}")
    if fault.every is not None:
        parts.append(f"every {fault.every}th")
    if fault.probability is not None:
        parts.append(f"p={fault.probability:g}")
    return ", ".join(parts) or "always"
