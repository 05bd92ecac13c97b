"""When a fault fires: target matching and the activation rules, as pure functions.

The probability draw hashes (seed, fault id, request index, attempt) instead of pulling
from a shared random stream, so a fault's decision does not depend on how many other
faults were evaluated before it, nor on the order concurrent requests arrive in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from orcli.catalog.model import Endpoint
from orcli.ids import base_model
from orcli.upstream.faults.spec import FaultSpec


@dataclass(frozen=True, slots=True)
class Event:
    """One evaluation point: a request (``endpoint`` None) or one provider attempt."""

    request_index: int
    at_s: float
    models: tuple[str, ...]  # the model(s) in play: the attempt's model, or the request's chain
    endpoint: Endpoint | None
    attempt: int = 0  # 1-based provider attempt within the request; 0 for request-level events


def targets(fault: FaultSpec, event: Event) -> bool:
    if fault.model is not None:
        wanted = base_model(fault.model)
        if not any(base_model(m) == wanted for m in event.models):
            return False
    return fault.provider is None or (event.endpoint is not None and event.endpoint.matches(fault.provider))


def in_window(fault: FaultSpec, event: Event) -> bool:
    """The deterministic conditions: request range, time window, flapping phase."""
    if fault.from_request is not None and event.request_index < fault.from_request:
        return False
    if fault.to_request is not None and event.request_index > fault.to_request:
        return False
    if fault.start_s is not None and event.at_s < fault.start_s:
        return False
    if fault.end_s is not None and event.at_s >= fault.end_s:
        return False
    if fault.flap_period_s is not None:
        down_s = fault.flap_down_s if fault.flap_down_s is not None else fault.flap_period_s / 2
        phase = (event.at_s - (fault.start_s or 0.0)) % fault.flap_period_s
        if phase >= down_s:
            return False
    return True


def chance(seed: int, fault_id: str, event: Event) -> float:
    """A uniform draw in [0, 1) that depends only on its inputs."""
    key = f"{seed}|{fault_id}|{event.request_index}|{event.attempt}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def fires(fault: FaultSpec, matched: int, seed: int, event: Event) -> bool:
    """Whether a fault fires on its ``matched``-th (1-based) matching event."""
    if fault.first is not None and matched > fault.first:
        return False
    if fault.every is not None and matched % fault.every != 0:
        return False
    return fault.probability is None or chance(seed, fault.fault_id, event) < fault.probability
