"""The OpenRouter simulator: routing, faults, wire shapes, httpx transports and an HTTP server.

    sim = Simulator(default_catalog(), faults=parse_faults("faults.yaml"), seed=7)
    client = httpx.Client(transport=SimulatorTransport(sim, clock=VirtualClock()), base_url=BASE_URL)

``sim.log`` (provider attempts), ``sim.requests`` and ``sim.firings`` are frozen records.
The transports import httpx and anyio: import them from ``orcli.upstream.transport``
(``BASE_URL`` is in ``orcli.openrouter``).
"""

from orcli.upstream.faults import FAULT_KINDS, FaultPlan, FaultSpec, Firing, parse_faults
from orcli.upstream.records import AttemptRecord, ChatRequestRecord, Reply
from orcli.upstream.simulator import Simulator, SimulatorOptions, WireRequest

__all__ = [
    "FAULT_KINDS",
    "AttemptRecord",
    "ChatRequestRecord",
    "FaultPlan",
    "FaultSpec",
    "Firing",
    "Reply",
    "Simulator",
    "SimulatorOptions",
    "WireRequest",
    "parse_faults",
]
