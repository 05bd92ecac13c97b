"""Turn a scenario's traffic section into a deterministic list of requests to send."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from orcli.drill.scenario import RequestKind, Traffic

# Synthetic prompt text: about four characters per token, the simulator's and the
# client's estimate alike, so a "long_context" request really is that long.
_WORDS = ("route", "policy", "fallback", "provider", "latency", "budget", "drill", "model")


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    index: int
    at_s: float
    workflow: str
    kind: RequestKind
    conversation: str | None = None  # a replayed request's conversation: its turns share their first messages


def arrival_times(traffic: Traffic, rng: random.Random) -> list[float]:
    """When each request arrives, in seconds from the start, in order.

    Uniform: one every ``1 / rate_per_s``. Poisson with a request count: exponential gaps.
    Poisson over ``duration_s``: the count is fixed (``duration_s * rate_per_s``), and given
    its count a Poisson process's arrivals are uniform over the window, so the traffic
    fills the whole duration and never spills past it.
    """
    count = traffic.count
    if traffic.arrival == "uniform":
        return [i / traffic.rate_per_s for i in range(count)]
    if traffic.duration_s is not None:
        return sorted(rng.uniform(0, traffic.duration_s) for _ in range(count))
    times = [0.0]
    for _ in range(count - 1):
        times.append(times[-1] + rng.expovariate(traffic.rate_per_s))
    return times


def plan_traffic(traffic: Traffic, workflows: tuple[str, ...], rng: random.Random) -> list[PlannedRequest]:
    kinds = rng.choices(traffic.mix, weights=[k.weight for k in traffic.mix], k=traffic.count)
    times = arrival_times(traffic, rng)
    plan: list[PlannedRequest] = []
    turn = 0
    for index, (at, kind) in enumerate(zip(times, kinds, strict=True)):
        if kind.workflow is not None:
            workflow = kind.workflow
        else:
            workflow = workflows[turn % len(workflows)]
            turn += 1
        plan.append(PlannedRequest(index, round(at, 6), workflow, kind))
    return plan


def prompt_text(tokens: int, index: int) -> str:
    """Deterministic filler of about ``tokens`` tokens (4 characters each)."""
    unit = f"{_WORDS[index % len(_WORDS)]} "
    text = f"Request {index}: " + unit * max(1, (tokens * 4) // len(unit))
    return text[: max(8, tokens * 4)]


def messages_for(request: PlannedRequest) -> list[dict[str, Any]]:
    system = {"role": "system", "content": f"You serve the {request.workflow} workflow."}
    if request.conversation is not None:
        # The first two messages name the conversation, so its turns share a routing key.
        opener = {"role": "user", "content": f"Conversation {request.conversation}."}
        rest = max(1, request.kind.prompt_tokens - 16)
        return [system, opener, {"role": "user", "content": prompt_text(rest, request.index)}]
    return [system, {"role": "user", "content": prompt_text(request.kind.prompt_tokens, request.index)}]
