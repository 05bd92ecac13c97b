"""What every report says the same way: request numbers from 1, OpenRouter's own refusals,
breaker skips, one precision for money, and "live" for a live drill's time."""

from __future__ import annotations

import dataclasses
import json

from orcli.drill.records import Outcome
from orcli.policy.model import ErrorClass
from orcli.reports.common import attempt_chain, usd_text
from orcli.reports.json_report import DRILL_SCHEMA, dumps
from orcli.reports.junit import to_junit
from orcli.reports.markdown import render as markdown

from .factory import Drills, attempt, record
from .test_terminal import render


def test_json_keeps_the_index_and_adds_a_one_based_number(drills: Drills) -> None:
    data = json.loads(dumps(drills.small()))
    assert DRILL_SCHEMA == data["schema"] == "orcli.drill/4"
    assert [(r["index"], r["number"]) for r in data["requests"]] == [(i, i + 1) for i in range(6)]


def test_the_terminal_numbers_requests_as_from_request_does(drills: Drills) -> None:
    output = render(drills.small())
    numbers = [line.split()[0] for line in output.splitlines() if line.strip()[:1].isdigit() and "." in line]
    assert numbers[:6] == ["1", "2", "3", "4", "5", "6"]


def test_an_openrouter_refusal_is_labelled_as_such() -> None:
    refused = attempt(1, "openai/gpt-4o-mini", None, 429, ErrorClass.RATE_LIMIT)
    unanswered = attempt(2, "openai/gpt-4o-mini", None, None, ErrorClass.TIMEOUT)
    row = record(0, 1.0, "chat", Outcome.FAILED, (refused, unanswered))
    assert attempt_chain(row) == "openai/gpt-4o-mini@OpenRouter 429 -> openai/gpt-4o-mini@? timeout"


def test_a_breaker_skip_is_visible_in_the_chain() -> None:
    skipped = dataclasses.replace(attempt(1, "openai/gpt-4o", "Azure", 200), ignored_providers=("openai",))
    row = record(0, 1.0, "chat", Outcome.SERVED, (skipped,))
    assert attempt_chain(row) == "openai/gpt-4o@Azure ok (skipped openai: breaker open)"


def test_money_has_one_precision_everywhere(drills: Drills) -> None:
    output = render(drills.small())
    assert usd_text(drills.small().total_cost_usd) == "$0.100148"
    assert "$0.100148" in output  # the total, rounded to whole micro-dollars as every amount is
    assert "$0.1001475" not in output


def test_a_live_drill_says_live_not_simulated(drills: Drills) -> None:
    live = dataclasses.replace(drills.small(), target="live")
    assert "s live, 6 requests" in render(live)
    assert "simulated" not in render(live)
    assert "s live)" in markdown(live)
    assert "s live" in to_junit([live])
    assert "simulated" in render(drills.small())
