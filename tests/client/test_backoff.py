from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from orcli.client.backoff import backoff_cap_s, backoff_s
from orcli.policy.model import Backoff

policies = st.builds(
    lambda initial, mult, extra, jitter: Backoff(
        initial_s=initial, multiplier=mult, max_s=initial + extra, jitter=jitter
    ),
    st.floats(0.01, 10),
    st.floats(1, 5),
    st.floats(0, 100),
    st.sampled_from(["full", "none"]),
)


@given(policies, st.integers(0, 60), st.integers(0, 2**32))
def test_wait_stays_within_zero_and_the_exponential_cap(policy: Backoff, n: int, seed: int) -> None:
    wait = backoff_s(n, policy, random.Random(seed))
    cap = min(policy.max_s, policy.initial_s * policy.multiplier**n)
    assert 0.0 <= wait <= policy.max_s
    assert wait <= cap * (1 + 1e-9)  # the formula from the docstring, up to float rounding
    if policy.jitter == "none":
        assert wait == backoff_cap_s(n, policy)


@given(policies, st.integers(0, 100))
def test_cap_never_shrinks_as_retries_grow(policy: Backoff, n: int) -> None:
    assert backoff_cap_s(n, policy) <= backoff_cap_s(n + 1, policy)
    assert backoff_cap_s(0, policy) == policy.initial_s


@given(st.integers(0, 2**32))
def test_same_seed_same_waits(seed: int) -> None:
    policy = Backoff(initial_s=0.5, multiplier=2, max_s=8)
    first = [backoff_s(n, policy, random.Random(seed)) for n in range(6)]
    again = [backoff_s(n, policy, random.Random(seed)) for n in range(6)]
    assert first == again


def test_full_jitter_spreads_waits_over_the_whole_range() -> None:
    policy = Backoff(initial_s=1, multiplier=2, max_s=4)
    rng = random.Random(7)
    waits = [backoff_s(2, policy, rng) for _ in range(2000)]
    assert min(waits) < 0.2 and max(waits) > 3.8


def test_huge_retry_numbers_do_not_overflow() -> None:
    assert backoff_cap_s(10_000, Backoff(initial_s=1, multiplier=3, max_s=20)) == 20
