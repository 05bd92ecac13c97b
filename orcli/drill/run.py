"""Run a drill on its target: the mock on virtual time, or the live API.

The one entry point for callers; the mock run is in :mod:`orcli.drill.runner` and the live
run, built from the same parts, in :mod:`orcli.drill.live`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from orcli.drill.records import DrillResult
from orcli.drill.runner import DrillInputs, Progress, TransportWrapper, UpstreamTap, idempotency_key, run_mock
from orcli.errors import InvalidValue
from orcli.traffic.recorder import TrafficRecorder

if TYPE_CHECKING:
    from orcli.drill.live import LiveRun


def run_drill(
    inputs: DrillInputs,
    live: LiveRun | None = None,
    *,
    wrap_transport: TransportWrapper | None = None,
    keep_upstream: UpstreamTap | None = None,
    on_progress: Progress | None = None,
    recorder: TrafficRecorder | None = None,
) -> DrillResult:
    """Run on the scenario's target: the mock on virtual time, or the live API (which needs
    ``live``: the key and the caps, see :mod:`orcli.drill.live`).

    ``wrap_transport`` puts a network edge of the caller's between the client and the mock
    (a proxy, a recorder, or a test's misbehaving network). ``keep_upstream`` makes the mock
    keep its request and attempt history and is handed the simulator after the run (traces).
    ``on_progress`` hears ``(requests done, requests planned)`` as the mock drill goes.
    ``recorder`` writes the drill's traffic log (see :func:`drill_recorder`).
    """
    if inputs.loaded.scenario.target == "live":
        if live is None:
            raise InvalidValue(f"{inputs.loaded.path}: a live drill needs an API key and explicit consent (--yes-live)")
        from orcli.drill.live import run_live  # the live target's httpx transports load only when used

        return run_live(inputs, replace(live, recorder=recorder) if recorder is not None else live)
    return run_mock(inputs, wrap_transport, keep_upstream, on_progress, recorder)


def drill_recorder(inputs: DrillInputs, path: str | Path, *, sample: float = 1.0) -> TrafficRecorder:
    """A traffic recorder for one drill: arrivals on the drill's clock, each request labelled
    with its traffic kind's name."""
    labels = {idempotency_key(inputs.seed, p.index): p.kind.name for p in inputs.plan()}
    return TrafficRecorder(path, sample=sample, seed=inputs.seed, clock=anyio.current_time, labels=labels)
