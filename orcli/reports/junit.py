"""JUnit XML for CI: a testsuite per scenario, a testcase per expectation.

A failed expectation carries its summary as the failure message and its evidence as the
failure text, so a CI test tab shows which requests broke it. ``time`` is wall-clock
seconds, what CI dashboards add up and compare between runs; a drill's simulated span is
the ``simulated_s`` property beside it. A scenario that could not run (bad input) is a
suite with one errored testcase, so one broken file shows up in the test tab instead of
hiding the others. Testcase names are unique within their suite, since CI tools merge
cases that share a name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from orcli.drill.records import DrillResult
from orcli.reports.common import (
    OUTCOME_LABELS,
    Report,
    as_results,
    failed_expectation_count,
    outcome_counts,
    time_kind,
)

# XML 1.0 cannot hold most control characters, even escaped; they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario of a run, as JUnit tells it: its result and the wall time it took, or
    (``result`` None) the one-line reason it could not run."""

    path: str
    result: DrillResult | None
    wall_s: float | None = None  # None: not measured (then no ``time`` is written)
    error: str = ""

    @property
    def name(self) -> str:
        if self.result is not None:
            return self.result.scenario
        stem = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return stem.rsplit(".", 1)[0] or self.path


def to_junit(runs: Sequence[DrillResult | ScenarioRun]) -> str:
    entries = [run if isinstance(run, ScenarioRun) else ScenarioRun(run.scenario_path, run) for run in runs]
    results = [e.result for e in entries if e.result is not None]
    attributes = {
        "name": "orcli drill",
        "tests": str(sum(len(r.expectations) for r in results) + sum(e.result is None for e in entries)),
        "failures": str(sum(failed_expectation_count(r) for r in results)),
        "errors": str(sum(e.result is None for e in entries)),
    }
    walls = [e.wall_s for e in entries]
    if all(w is not None for w in walls):
        attributes["time"] = _seconds(sum(w for w in walls if w is not None))
    root = ET.Element("testsuites", attributes)
    for entry in entries:
        root.append(_suite(entry))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: Report) -> str:
    return to_junit(as_results(report))


def _suite(entry: ScenarioRun) -> ET.Element:
    result = entry.result
    attributes = {
        "name": _clean(entry.name),
        "tests": str(len(result.expectations) if result else 1),
        "failures": str(failed_expectation_count(result) if result else 0),
        "errors": "0" if result else "1",
        "skipped": "0",
    }
    if entry.wall_s is not None:
        attributes["time"] = _seconds(entry.wall_s)
    suite = ET.Element("testsuite", attributes)
    properties = ET.SubElement(suite, "properties")
    if result is None:
        ET.SubElement(properties, "property", {"name": "scenario_path", "value": _clean(entry.path)})
        case = ET.SubElement(suite, "testcase", {"classname": _clean(entry.name), "name": "scenario is valid"})
        error = ET.SubElement(case, "error", {"message": _clean(entry.error), "type": "bad input"})
        error.text = _clean(entry.error)
        return suite
    for name, value in (
        ("scenario_path", result.scenario_path),
        ("policy_path", result.policy_path),
        ("seed", str(result.seed)),
        ("target", result.target),
        ("workflows", ",".join(result.workflows)),
        ("simulated_s", _seconds(result.duration_s)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    for expectation, name in zip(result.expectations, _unique([e.name for e in result.expectations]), strict=True):
        case = ET.SubElement(suite, "testcase", {"classname": _clean(result.scenario), "name": _clean(name)})
        if not expectation.passed:
            failure = ET.SubElement(case, "failure", {"message": _clean(expectation.summary), "type": expectation.kind})
            failure.text = _clean("\n".join(expectation.evidence) or expectation.summary)
    counts = outcome_counts(result.requests)
    out = ET.SubElement(suite, "system-out")
    out.text = _clean(
        f"{len(result.requests)} requests: "
        + ", ".join(f"{counts[o]} {label}" for o, label in OUTCOME_LABELS.items())
        + f"; seed {result.seed}; {result.duration_s:.3f}s {time_kind(result)}"
    )
    return suite


def _unique(names: Sequence[str]) -> list[str]:
    """``names`` with repeats numbered: two ``outcomes`` checks become ``outcomes`` and ``outcomes (2)``."""
    taken = set(names)
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            out.append(name)
            continue
        n = seen[name]
        while f"{name} ({n})" in taken:
            n += 1
        seen[name] = n
        taken.add(f"{name} ({n})")
        out.append(f"{name} ({n})")
    return out


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
