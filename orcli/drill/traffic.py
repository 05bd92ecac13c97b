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


def plan_traffic(traffic: Traffic, workflows: tuple[str, ...], rng: random.Random) -> list[PlannedRequest]:
    count = traffic.count
    weights = [k.weight for k in traffic.mix]
    kinds = rng.choices(traffic.mix, weights=weights, k=count)
    plan: list[PlannedRequest] = []
    at = 0.0
    turn = 0
    for index, kind in enumerate(kinds):
        if traffic.arrival == "poisson":
            at += rng.expovariate(traffic.rate_per_s) if index else 0.0
        else:
            at = index / traffic.rate_per_s
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
    return [
        {"role": "system", "content": f"You serve the {request.workflow} workflow."},
        {"role": "user", "content": prompt_text(request.kind.prompt_tokens, request.index)},
    ]
