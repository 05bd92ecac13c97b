"""The caps as bookkeeping, the key's hint, and a live drill against the simulator's transport."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from orcli.catalog.load import default_catalog
from orcli.client.budget import estimate_prompt_tokens
from orcli.client.keys import ApiKey
from orcli.drill.live import LiveOptions, LiveRun, drill_live
from orcli.drill.runner import prepare
from orcli.drill.scenario import load_scenario
from orcli.live.guard import CapReached, LiveGuard, LiveLimits, stream_cost_usd, worst_case_usd
from orcli.upstream import Simulator
from orcli.upstream.transport import AsyncSimulatorTransport
from orcli.vtime import run_virtual

from .conftest import CANARY_KEY, write_scenario


def test_reserve_settle_and_refuse() -> None:
    guard = LiveGuard(LiveLimits(max_requests=3, max_cost_usd=Decimal("0.01"), abort_spend_usd=Decimal("1")))
    first = guard.reserve(Decimal("0.004"), "basis")
    second = guard.reserve(Decimal("0.004"), "basis")
    with pytest.raises(CapReached) as refused:
        guard.reserve(Decimal("0.004"), "~10 prompt tokens")  # 0.012 reserved would cross 0.01
    assert "--max-cost $0.01: this request could cost up to $0.004 (~10 prompt tokens)" in refused.value.message
    guard.settle(first, Decimal("0.0001"))  # the real cost frees the rest of the reservation
    third = guard.reserve(Decimal("0.004"), "basis")
    guard.settle(second, None)  # unknown cost: the whole reservation counts
    guard.settle(third, Decimal(0))
    assert guard.spent_usd == Decimal("0.0041") and guard.reserved_usd == 0
    with pytest.raises(CapReached, match="--max-requests 3 reached"):
        guard.reserve(Decimal(0), "basis")
    assert guard.sent == 3 and len(guard.refused) == 2


def test_error_rate_needs_the_minimum_sample() -> None:
    guard = LiveGuard(LiveLimits(abort_error_rate=0.5, abort_min_requests=4))
    for failed in (True, True, True):
        guard.observe(failed)
    assert not guard.aborted  # 3 of 3, but below the sample
    guard.observe(False)
    assert guard.abort_reason == ("error rate 75% (3 of 4 real responses failed) crossed the abort threshold 50%")
    with pytest.raises(CapReached, match="drill aborted"):
        guard.reserve(Decimal(0), "basis")


def test_worst_case_prices_every_model_at_its_priciest_endpoint() -> None:
    catalog = default_catalog()
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 400}], "max_tokens": 100}
    cost, _ = worst_case_usd(body, catalog)
    model = catalog.get("openai/gpt-4o-mini")
    assert model is not None
    prompt_tokens = 2 * estimate_prompt_tokens(body["messages"], None)  # priced at twice the estimate
    assert cost == max(ep.pricing.cost(prompt_tokens, 100) for ep in model.endpoints)
    assert worst_case_usd({**body, "models": ["nobody/model"]}, catalog) == (
        None,
        "no price for 'nobody/model' in the catalog (embedded)",
    )


def test_stream_cost_is_read_from_the_usage_chunk() -> None:
    lines = [
        'data: {"choices":[{"delta":{"content":"a"}}]}',
        'data: {"choices":[],"usage":{"cost":0.0012}}',
        "data: [DONE]",
    ]
    assert stream_cost_usd(lines) == Decimal("0.0012")
    assert stream_cost_usd(lines[:1]) is None


def test_key_hint_keeps_at_most_four_characters() -> None:
    assert ApiKey(CANARY_KEY).hint == "sk-or-v1-…0b1d"
    assert ApiKey("sk-or-v1-short").hint == "sk-or-v1-…"
    assert ApiKey("token-abcdefghijklmnop").hint == "…mnop"
    assert CANARY_KEY not in repr(LiveRun(key=ApiKey(CANARY_KEY)))


def test_live_drill_against_the_simulator(tmp_path: Path) -> None:
    """``--base-url`` at ``orcli mock serve``: the simulator answers, faults still come from the client side."""
    simulator = Simulator(default_catalog(), seed=1)
    faults = "  - id: openai-down\n    kind: outage\n    provider: openai\n"
    inputs = prepare(load_scenario(write_scenario(tmp_path, requests=4, faults=faults)), default_catalog())
    live = LiveRun(
        key=ApiKey(CANARY_KEY),
        options=LiveOptions(base_url="http://127.0.0.1:8787/api/v1"),
        transport=AsyncSimulatorTransport(simulator),
    )
    result = run_virtual(drill_live, inputs, live)
    assert all(r.result.ok for r in result.requests)
    assert all(r.result.served_provider != "OpenAI" for r in result.requests)
    assert len(simulator.requests) == 4 and simulator.firings == ()  # the simulator itself was not broken
    assert result.notes[0].startswith("live: http://127.0.0.1:8787/api/v1; 4 requests sent")
    assert result.total_cost_usd > 0
