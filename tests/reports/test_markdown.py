"""Markdown for pull-request comments and the step summary."""

from __future__ import annotations

from orcli.drill.records import ExpectationResult
from orcli.reports.markdown import to_markdown

from .factory import Drills


def test_failing_drill_shows_verdict_and_evidence(drills: Drills) -> None:
    text = to_markdown([drills.small()])
    lines = text.splitlines()
    assert lines[0] == "## ❌ **provider-outage** failed: 2 of 3 expectations failed"
    assert "- ❌ **faults_fired**: fired: deepinfra-down x2, slow-groq x0" in lines
    evidence_at = lines.index("  fault 'slow-groq' never fired")
    assert lines[evidence_at - 1] == "  ```text"
    assert lines[evidence_at + 1] == "  ```"
    assert "  #1 t=11.0s support degraded: 3 attempts" in lines
    assert "success_rate" not in text  # a passing expectation is not listed
    assert "<details>" not in text  # a failing drill's figures are open


def test_outcomes_table_and_provider_selection(drills: Drills) -> None:
    lines = to_markdown([drills.small()]).splitlines()
    assert "| workflow | requests | served | degraded | failed safe | failed | answered | fallback | cost |" in lines
    assert "| support | 4 | 1 | 1 | 1 | 1 | 50.0% | 50.0% | $0.000128 |" in lines
    assert "| coding | 2 | 1 | 0 | 0 | 1 | 50.0% | 0.0% | $0.10002 |" in lines
    assert (
        "- **support**: served by `meta-llama/llama-3.1-70b-instruct@DeepInfra` 50.0%, "
        "`mistralai/mistral-large@Groq` 50.0%; 1 of 2 answers from a fallback; "
        "errors: context_length 1, provider_failure 1, rate_limit 1"
    ) in lines


def test_passing_drill_folds_its_figures(drills: Drills) -> None:
    passing = drills.small(expectations=(ExpectationResult("latency", "latency", True, "p95 1.2s"),))
    text = to_markdown([passing])
    assert text.splitlines()[0] == "## ✅ **provider-outage** passed: all 1 expectations met"
    assert "<details><summary>Outcomes per workflow</summary>" in text
    assert "❌" not in text


def test_folder_run_has_a_suite_table(drills: Drills) -> None:
    text = to_markdown([drills.small(), drills.large(total=500)])
    lines = text.splitlines()
    assert lines[0] == "## ❌ orcli drill: 1 of 2 scenarios passed"
    assert "| ❌ | provider-outage | 6 | 2 | 1 | 1 | 2 | 1/3 |" in lines
    assert "| ✅ | storm | 500 | 376 | 94 | 0 | 30 | 1/1 |" in lines
    assert "### ❌ **provider-outage** failed: 2 of 3 expectations failed" in lines
    assert "### ✅ **storm** passed: all 1 expectations met" in lines


def test_large_drill_stays_short(drills: Drills) -> None:
    text = to_markdown([drills.large(total=5000)])
    assert len(text.splitlines()) < 25
    assert "| support | 5000 |" in text


def test_user_text_cannot_break_the_table_or_inject_html(drills: Drills) -> None:
    odd = ExpectationResult("a|b <script>", "cost", False, "x", ("has ``` fence",))
    text = to_markdown([drills.small(scenario="s|<b>", expectations=(odd,))])
    assert "<script>" not in text and "<b>" not in text
    assert "**a|b &lt;script&gt;**" in text
    assert "  ````text" in text  # the fence outgrows the backticks inside the evidence
