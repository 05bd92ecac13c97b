"""JUnit XML: a testsuite per scenario, a testcase per expectation, failures with evidence."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from orcli.drill.records import ExpectationResult
from orcli.reports.junit import ScenarioRun, to_junit

from .factory import Drills


def test_suites_cases_and_counts(drills: Drills) -> None:
    small, large = drills.small(), drills.large(total=40)
    runs = [ScenarioRun(small.scenario_path, small, wall_s=0.25), ScenarioRun(large.scenario_path, large, wall_s=1.5)]
    root = ET.fromstring(to_junit(runs))
    assert root.tag == "testsuites"
    # time: wall seconds; the drills' simulated 25 s and 20 s are a property of each suite
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("4", "2", "1.750")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["provider-outage", "storm"]
    outage = suites[0]
    assert (outage.get("tests"), outage.get("failures"), outage.get("time")) == ("3", "2", "0.250")
    simulated = {p.get("name"): p.get("value") for p in outage.iter("property")}["simulated_s"]
    assert simulated == "25.000"
    cases = outage.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("provider-outage", "success_rate [support]"),
        ("provider-outage", "faults_fired"),
        ("provider-outage", "max_attempts"),
    ]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == "fired: deepinfra-down x2, slow-groq x0"
    assert failure.get("type") == "faults_fired"
    assert failure.text == "fault 'slow-groq' never fired"
    assert suites[1].get("failures") == "0"


def test_properties_and_outcome_summary(drills: Drills) -> None:
    suite = ET.fromstring(to_junit([drills.small()])).find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["seed"] == "7"
    assert properties["policy_path"] == "policies/support.yaml"
    out = suite.find("system-out")
    assert out is not None and out.text is not None
    assert out.text.startswith("6 requests: 2 served, 1 degraded, 1 failed safe, 2 failed")


def test_awkward_text_stays_valid_xml(drills: Drills) -> None:
    odd = ExpectationResult(
        'cost <"total"> & more',
        "cost",
        False,
        "total $0.2 > $0.1 \x07bell",
        ("#3 <tool> & \x00nul", "second line"),
    )
    text = to_junit([drills.small(expectations=(odd,))])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    case = ET.fromstring(text).find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == 'cost <"total"> & more'
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "total $0.2 > $0.1 bell"
    assert failure.text == "#3 <tool> & nul\nsecond line"


def test_no_expectations_gives_an_empty_suite(drills: Drills) -> None:
    root = ET.fromstring(to_junit([drills.small(expectations=())]))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("0", "0")
    assert suite.findall("testcase") == []


def test_without_wall_times_no_time_is_claimed(drills: Drills) -> None:
    root = ET.fromstring(to_junit([drills.small()]))
    assert root.get("time") is None and root.find("testsuite").get("time") is None  # type: ignore[union-attr]


def test_repeated_expectation_names_are_numbered(drills: Drills) -> None:
    same = [ExpectationResult("outcomes", "outcomes", True, "ok", ()) for _ in range(3)]
    same.append(ExpectationResult("outcomes (2)", "outcomes", True, "ok", ()))  # a name already taken
    suite = ET.fromstring(to_junit([drills.small(expectations=tuple(same))])).find("testsuite")
    assert suite is not None
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == ["outcomes", "outcomes (3)", "outcomes (4)", "outcomes (2)"]
    assert len(set(names)) == len(names)


def test_a_scenario_that_could_not_run_is_an_errored_testcase(drills: Drills) -> None:
    runs = [ScenarioRun("drills/broken.yaml", None, wall_s=0.0, error="drills/broken.yaml:3:1: trafic: unknown key")]
    small = drills.small()
    runs.append(ScenarioRun(small.scenario_path, small, wall_s=0.5))
    root = ET.fromstring(to_junit(runs))
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("4", "1", "2")
    broken = root.findall("testsuite")[0]
    assert (broken.get("name"), broken.get("tests"), broken.get("errors")) == ("broken", "1", "1")
    error = broken.find("testcase/error")
    assert error is not None
    assert (error.get("type"), error.get("message")) == ("bad input", "drills/broken.yaml:3:1: trafic: unknown key")
