"""Sampling latency and throughput from an endpoint's published percentiles.

The catalog gives p50/p75/p90/p99 of time to first token and of tokens per second. We
draw from the piecewise-linear quantile function through those points (with tails a
little beyond p50 and p99), so the simulated distribution has the published percentiles.
"""

from __future__ import annotations

import itertools
import math
import random

from orcli.catalog.model import Percentiles


def _quantile(points: tuple[tuple[float, float], ...], u: float) -> float:
    for (u0, v0), (u1, v1) in itertools.pairwise(points):
        if u <= u1:
            return v0 + (v1 - v0) * (u - u0) / (u1 - u0)
    return points[-1][1]


def ttft_s(p: Percentiles, rng: random.Random) -> float:
    """Time to first token, seconds."""
    points = ((0.0, p.p50 * 0.5), (0.5, p.p50), (0.75, p.p75), (0.9, p.p90), (0.99, p.p99), (1.0, p.p99 * 1.25))
    return _quantile(points, rng.random())


def tokens_per_s(p: Percentiles, rng: random.Random) -> float:
    """Generation speed; the catalog's high percentiles are the slow tail."""
    points = ((0.0, p.p50 * 1.25), (0.5, p.p50), (0.75, p.p75), (0.9, p.p90), (0.99, p.p99), (1.0, p.p99 * 0.8))
    return max(1.0, _quantile(points, rng.random()))


def added_latency_s(add_s: float, distribution: str, rng: random.Random) -> float:
    if distribution == "uniform":
        return rng.uniform(0.0, 2 * add_s)
    if distribution == "exponential":
        return -add_s * math.log(1.0 - rng.random())
    return add_s
