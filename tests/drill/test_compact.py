"""What a mock drill keeps of each result: the parts verdicts and reports read, with equal
values stored once and shared between records."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from orcli.client.ledger import Attempt, ChatResult, UpstreamHop
from orcli.drill.compact import Compactor

from ..factories import answered, attempt
from .conftest import run, write_scenario

TOOLS_MIX = {"requests": 12, "mix": [{"name": "chat"}, {"name": "tools", "kind": "tools"}]}


CHAIN = ("openai/gpt-4o-mini", "anthropic/claude-haiku-4.5")


def served(cost: str, hops: tuple[UpstreamHop, ...] = ()) -> Attempt:
    return attempt(CHAIN[0], "OpenAI", cost_usd=cost, upstream_hops=hops, models=CHAIN)


def answer(cost: str, content: str, hops: tuple[UpstreamHop, ...] = ()) -> ChatResult:
    body = {
        "id": "gen-1",
        "model": "openai/gpt-4o-mini",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cost": float(cost), "is_byok": False},
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }
    return answered(served(cost, hops), response=body, chain=CHAIN)


def test_the_kept_response_is_finish_reasons_and_byok_only() -> None:
    kept = Compactor().result(answer("0.00002", "a long answer " * 50))
    assert kept.response == {
        "usage": {"is_byok": False},
        "choices": [{"index": 0, "finish_reason": "stop"}],
    }
    assert kept.attempts[0].cost_usd == Decimal("0.00002")


def test_equal_values_are_stored_once() -> None:
    compactor = Compactor()
    hops = (UpstreamHop("Azure", "openai/gpt-4o-mini", 503), UpstreamHop("OpenAI", "openai/gpt-4o-mini", 200))
    first = compactor.result(answer("0.00002", "one", hops))
    # Equal but separately built values, as two responses would give.
    second = compactor.result(answer("0.00002", "two", tuple(replace(h) for h in hops)))
    assert first.response is second.response
    assert first.attempts[0].cost_usd is second.attempts[0].cost_usd
    assert first.attempts[0].upstream_hops is second.attempts[0].upstream_hops
    assert first.attempts[0].models is second.attempts[0].models
    assert first.chain is second.chain


def test_costs_that_print_differently_stay_apart() -> None:
    compactor = Compactor()
    tenth = compactor.result(answer("0.1", "x")).attempts[0].cost_usd
    tenth_again = compactor.result(answer("0.10", "x")).attempts[0].cost_usd
    assert tenth == tenth_again
    assert (str(tenth), str(tenth_again)) == ("0.1", "0.10")


def test_tool_calls_are_kept_whole_for_the_tool_call_verdict(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, traffic=TOOLS_MIX, expect=[{"kind": "no_malformed_tool_call"}])
    result = run(path)
    assert result.passed
    with_tools = [r for r in result.requests if r.kind == "tools" and r.result.ok]
    assert with_tools
    for record in with_tools:
        assert record.result.response is not None
        (call,) = record.result.response["choices"][0]["message"]["tool_calls"]
        assert call["function"]["name"] and call["function"]["arguments"].startswith("{")
    plain = [r.result.response for r in result.requests if r.kind == "chat" and r.result.ok]
    assert len(plain) > 1 and all(response is plain[0] for response in plain)
