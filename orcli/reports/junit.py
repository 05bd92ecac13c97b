"""JUnit XML for CI: a testsuite per scenario, a testcase per expectation.

A failed expectation carries its summary as the failure message and its evidence
as the failure text, so a CI test tab shows which requests broke it. Times are
simulated seconds: a drill's duration, not the wall time it took to run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from orcli.drill.records import DrillResult
from orcli.reports.common import OUTCOME_LABELS, Report, as_results, failed_expectation_count, outcome_counts

# XML 1.0 cannot hold most control characters, even escaped; they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_junit(results: Sequence[DrillResult]) -> str:
    root = ET.Element(
        "testsuites",
        {
            "name": "orcli drill",
            "tests": str(sum(len(r.expectations) for r in results)),
            "failures": str(sum(failed_expectation_count(r) for r in results)),
            "errors": "0",
            "time": _seconds(sum(r.duration_s for r in results)),
        },
    )
    for result in results:
        root.append(_suite(result))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: Report) -> str:
    return to_junit(as_results(report))


def _suite(result: DrillResult) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        {
            "name": _clean(result.scenario),
            "tests": str(len(result.expectations)),
            "failures": str(failed_expectation_count(result)),
            "errors": "0",
            "skipped": "0",
            "time": _seconds(result.duration_s),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("scenario_path", result.scenario_path),
        ("policy_path", result.policy_path),
        ("seed", str(result.seed)),
        ("target", result.target),
        ("workflows", ",".join(result.workflows)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    for expectation in result.expectations:
        names = {"classname": _clean(result.scenario), "name": _clean(expectation.name)}
        case = ET.SubElement(suite, "testcase", names)
        if not expectation.passed:
            failure = ET.SubElement(case, "failure", {"message": _clean(expectation.summary), "type": expectation.kind})
            failure.text = _clean("\n".join(expectation.evidence) or expectation.summary)
    counts = outcome_counts(result.requests)
    out = ET.SubElement(suite, "system-out")
    out.text = _clean(
        f"{len(result.requests)} requests: "
        + ", ".join(f"{counts[o]} {label}" for o, label in OUTCOME_LABELS.items())
        + f"; seed {result.seed}; {result.duration_s:.3f}s simulated"
    )
    return suite


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
