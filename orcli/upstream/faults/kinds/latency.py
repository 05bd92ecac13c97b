"""``latency``: a slower first token and slower generation."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from orcli.upstream.effects import Slowdown
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.timing import added_latency_s


class LatencyFault(
    Fault, order=40, acts=Behaviour(Stage.ATTEMPT, Effect.DELAY), example="{kind: latency, provider: openai, add_s: 8}"
):
    """Slower first token (`add_s`: `fixed`, `uniform` or `exponential`) and generation (`throughput_factor`).

    ``uniform`` draws from [0, 2*add_s], ``exponential`` has mean add_s; throughput is divided by
    ``throughput_factor``. Several latency faults add up.
    """

    kind: Literal["latency"] = "latency"
    add_s: float = Field(default=1.0, ge=0)
    distribution: Literal["fixed", "uniform", "exponential"] = "fixed"
    throughput_factor: float = Field(default=1.0, ge=1)

    def slowdown(self, rng: random.Random) -> Slowdown:
        return Slowdown(added_latency_s(self.add_s, self.distribution, rng), self.throughput_factor)
