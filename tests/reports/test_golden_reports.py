"""Whole-output snapshots of the terminal and Markdown drill reports.

The other report tests check pieces; these pin every byte of a few representative runs
of the scenario library (an answer served, a failover, a fail-safe stop, a cut stream,
and a run of several scenarios with its summary), so a refactor that changes any word,
number or colour-free layout of a report shows up here. The simulator is a pure function
of the seed, so the runs are reproducible. See tests/golden/README.md to regenerate.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "reports"

# snapshot name -> scenario files, relative to the repository root (the terminal report
# prints the paths as given, so they must not depend on where the checkout lives)
CASES: dict[str, tuple[str, ...]] = {
    "served": ("scenarios/zdr-routing-constraint-internal-assistant.yaml",),
    "failover": ("scenarios/provider-outage-coding-agent.yaml",),
    "failed-safe": ("scenarios/legal-review-fails-safe.yaml",),
    "streaming": ("scenarios/stream-cut-general-chat.yaml",),
    "several": (
        "scenarios/financial-analysis-approved-fallback.yaml",
        "scenarios/moderation-stop-customer-support.yaml",
    ),
}


def check_golden(name: str, actual: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("ORCLI_REGEN_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual)
    assert golden.exists(), f"no snapshot {golden}; see tests/golden/README.md"
    assert actual == golden.read_text(), f"report output changed; see tests/golden/README.md ({golden})"


@pytest.mark.parametrize("case", sorted(CASES))
def test_drill_reports_match_golden(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # An inherited FORCE_COLOR would put escape codes into the terminal report.
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # piped output is then 100 columns wide
    markdown = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["drill", *CASES[case], "--max-rows", "5", "--markdown", str(markdown)])
    assert result.exit_code == 0, result.output
    check_golden(f"{case}.txt", result.stdout)
    check_golden(f"{case}.md", markdown.read_text())
