"""The terminal report, rendered into a string."""

from __future__ import annotations

import io
import re

from rich.console import Console

from orcli.drill.records import DrillResult, ExpectationResult
from orcli.reports.terminal import render_drill, render_summary, timeline_window_s

from .factory import Drills

# A request row starts with its index and arrival time: "  17    8.50   support ..."
# The workflow column is there only when the drill has several workflows.
REQUEST_ROW = re.compile(r"^\s*(\d+)\s+(\d+\.\d\d)\s+(?:\S+\s+)?(served|degraded|failed safe|failed)\s")


def render(result: DrillResult, max_rows: int = 50) -> str:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    render_drill(result, console, max_rows=max_rows)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def request_rows(output: str) -> list[tuple[int, str]]:
    rows = []
    for line in output.splitlines():
        match = REQUEST_ROW.match(line)
        if match:
            rows.append((int(match.group(1)), match.group(3)))
    return rows


def test_header_names_the_drill(drills: Drills) -> None:
    output = render(drills.small())
    assert "Drill provider-outage: DeepInfra goes down for ten seconds" in output
    for fragment in (
        "scenarios/provider-outage.yaml",
        "policies/support.yaml",
        "support, coding",
        "25.00s simulated, 6 requests, $0.100148",
        "pin support to DeepInfra until 30s",
    ):
        assert fragment in output
    assert re.search(r"seed\s+7\b", output)
    assert re.search(r"target\s+mock\b", output)


def test_small_drill_lists_every_request_in_order_with_its_chain(drills: Drills) -> None:
    output = render(drills.small())
    assert request_rows(output) == [
        (1, "served"),  # numbered from 1, as from_request counts
        (2, "degraded"),
        (3, "failed safe"),
        (4, "failed"),
        (5, "served"),
        (6, "failed"),
    ]
    row = next(line for line in output.splitlines() if REQUEST_ROW.match(line) and line.split()[0] == "2")
    assert "mistralai/mistral-large@Groq" in row
    assert "meta-llama/llama-3.1-70b-instruct@DeepInfra 429 ->" in row
    assert "13.33s" in row  # from the first send at 11.0 s to the answer at 24.33 s
    assert "$0.000005" in row  # whole micro-dollars
    assert "folded" not in output


def test_large_drill_is_condensed_failures_first(drills: Drills) -> None:
    output = render(drills.large(total=500), max_rows=50)
    rows = request_rows(output)
    assert len(rows) == 50
    outcomes = [outcome for _, outcome in rows]
    # 30 failures (every 17th of 500) come first, in arrival order, then degraded ones fill the rest.
    assert outcomes == ["failed"] * 30 + ["degraded"] * 20
    assert [index for index, _ in rows[:30]] == list(range(1, 501, 17))
    assert "Requests: 50 of 500, failures and degraded first" in output
    assert "... 450 more request rows folded (376 served, 74 degraded)" in output


def test_condensed_drill_shows_a_timeline_with_fault_windows(drills: Drills) -> None:
    output = render(drills.large(total=500), max_rows=50)
    assert "Timeline: worst outcome per 5s window" in output
    strip = next(line for line in output.splitlines() if line.startswith("requests"))
    marks = strip.split("|")[1]
    assert len(marks) == 50  # 250 s in 5 s windows
    assert set(marks) <= {".", "~", "x"}
    assert marks[0] == "x"  # request 0 failed
    fault = next(line for line in output.splitlines() if line.startswith("deepinfra-down"))
    assert fault.split("|")[1] == "  ==" + " " * 46  # active from 10 s to 20 s
    assert fault.endswith("provider_outage")


def test_condensed_drill_with_few_failures_lists_only_them(drills: Drills) -> None:
    output = render(drills.large(total=100, failed_every=40, degraded_every=1000), max_rows=20)
    assert request_rows(output) == [(1, "failed"), (41, "failed"), (81, "failed")]
    assert "... 97 more request rows folded (97 served)" in output


def test_timeline_window_grows_with_the_drill() -> None:
    assert timeline_window_s(30) == 0.5
    assert timeline_window_s(60) == 1
    assert timeline_window_s(3600) == 60
    assert timeline_window_s(10 * 86400) == 14400


def test_faults_show_how_often_each_fired(drills: Drills) -> None:
    output = render(drills.small())
    lines = output.splitlines()
    assert re.search(r"deepinfra-down\s+provider_outage\s+provider DeepInfra\s+10s-20s\s+2x", output)
    assert any(re.search(r"slow-groq\s+latency_spike.*never fired", line) for line in lines)


def test_workflow_summary_carries_the_metrics(drills: Drills) -> None:
    output = render(drills.small())
    support = output.split("Workflow support")[1].split("Workflow coding")[0]
    assert "4 requests: 1 served, 1 degraded, 1 failed safe, 1 failed" in support
    assert re.search(r"user-facing success\s+50\.0%", support)
    assert re.search(r"fallback frequency\s+50\.0%", support)
    assert "meta-llama/llama-3.1-70b-instruct@DeepInfra 1 (50.0%), mistralai/mistral-large@Groq 1 (50.0%)" in support
    assert "p50 0.80s  p95 13.33s  p99 13.33s" in support
    assert "Together: p50 10.00s" in support
    assert re.search(r"cost\s+\$0\.000128", support)
    assert "context_length 1, provider_failure 1, rate_limit 1, timeout 1" in support
    coding = output.split("Workflow coding")[1].split("Expectations")[0]
    assert "50.0% (1 of 2 valid)" in coding
    assert re.search(r"cost\s+\$0\.10002", coding)


def test_expectations_show_evidence_under_failures_only(drills: Drills) -> None:
    output = render(drills.small())
    section = output.split("Expectations")[1]
    lines = [line.strip() for line in section.splitlines() if line.strip()]
    assert lines[:5] == [
        "PASS  success_rate [support]: success rate 50.0% (required >= 50.0%)",
        "FAIL  faults_fired: fired: deepinfra-down x2, slow-groq x0",
        "fault 'slow-groq' never fired",
        "FAIL  max_attempts: 1 request(s) made more than 2 attempts",
        "#1 t=11.0s support degraded: 3 attempts",
    ]
    assert lines[-1] == (
        "FAIL: provider-outage: 2 of 3 expectations failed (faults_fired, max_attempts); 6 requests, 50.0% answered"
    )


def test_passing_drill_ends_with_a_pass_verdict(drills: Drills) -> None:
    passing = drills.small(expectations=(ExpectationResult("latency", "latency", True, "p95 1.2s", ("unused",)),))
    output = render(passing)
    assert (
        output.rstrip().splitlines()[-1] == "PASS: provider-outage: all 1 expectations met; 6 requests, 50.0% answered"
    )
    assert "unused" not in output  # evidence of a passing expectation is not shown


def test_summary_has_a_line_per_scenario_and_totals(drills: Drills) -> None:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    render_summary([drills.small(), drills.large(total=500)], console)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert re.search(r"provider-outage\s+FAIL\s+6\s+2\s+1\s+1\s+2\s+1/3\s+25\.0s\s+\$0\.100148", output)
    assert re.search(r"storm\s+PASS\s+500\s+376\s+94\s+0\s+30\s+1/1\s+250\.0s\s+\$0\.0047", output)
    assert output.rstrip().splitlines()[-1] == (
        "FAIL: 1 of 2 scenarios passed; 506 requests (378 served, 95 degraded, 1 failed safe, 32 failed), $0.104848"
    )
