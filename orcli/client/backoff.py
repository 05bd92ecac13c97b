"""Exponential backoff with full jitter, drawn from the client's seeded RNG."""

from __future__ import annotations

import random

from orcli.policy.model import Backoff


def backoff_cap_s(retry_number: int, policy: Backoff) -> float:
    """The ceiling of the ``retry_number``-th wait (0-based): ``min(max_s, initial_s * multiplier**n)``."""
    # Keep in sync: docs/policies.md states this formula in the `backoff.jitter` row of the retry table.
    return policy.cap_s(retry_number)


def backoff_s(retry_number: int, policy: Backoff, rng: random.Random) -> float:
    """The wait before retry ``retry_number`` (0 = the first retry).

    ``cap = min(max_s, initial_s * multiplier ** retry_number)``; with full jitter the
    wait is ``uniform(0, cap)``, without jitter it is ``cap``. Full jitter spreads the
    retries of many clients that failed together, so they do not return in lockstep.
    """
    cap = backoff_cap_s(retry_number, policy)
    if policy.jitter == "none":
        return cap
    return rng.uniform(0.0, cap)
