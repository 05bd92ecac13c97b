"""``orcli drill`` and ``orcli schema scenario`` through the CLI: exit codes, messages, report files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.sourcefile import load_document

from .conftest import CHAT_WORKFLOW, POLICIES, write_policy, write_scenario

cli = CliRunner()

OUTAGE_EVERYWHERE = [{"kind": "outage", "id": "meltdown", "start_s": 2, "end_s": 6}]


def invoke(*args: str | Path) -> Any:
    return cli.invoke(app, ["drill", *map(str, args)])


def assert_clean_error(result: Any, message: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr == message + "\n"
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""


# -- exit codes 0 and 1 ----------------------------------------------------------------------------


def test_every_expectation_met_exits_0(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, expect=[{"kind": "within_policy"}, {"kind": "success_rate", "min": 1.0}])
    result = invoke(path)
    assert result.exit_code == 0, result.stderr
    assert "PASS  within_policy" in result.stdout
    assert "PASS  success_rate" in result.stdout
    assert result.stderr == ""


def test_a_failed_expectation_exits_1_and_names_it(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        name="meltdown-drill",
        traffic={"requests": 10},
        faults=OUTAGE_EVERYWHERE,
        expect=[{"kind": "within_policy"}, {"kind": "success_rate", "min": 1.0, "name": "always-answers"}],
    )
    result = invoke(path)
    assert result.exit_code == 1, result.stderr
    assert "PASS  within_policy" in result.stdout
    assert re.search(r"FAIL  always-answers: success rate \d+\.\d% \(required >= 100\.0%\)", result.stdout)
    assert result.stderr == "drill failed: meltdown-drill (expectations not met)\n"


# -- exit code 2: invalid scenarios and flags, one line each -------------------------------------


def scenario_text(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    write_policy(tmp_path, {"chat": CHAT_WORKFLOW})
    path = tmp_path / name
    path.write_text(text)
    return path


HEAD = "name: bad\npolicy: policy.yaml\n"
TAIL = "expect:\n  - kind: within_policy\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (HEAD + "trafic:\n  requests: 2\n" + TAIL, "3:1: trafic: unknown key; did you mean 'traffic'?"),
        (
            HEAD + "traffic:\n  requests: 2\n  concurency: 4\n" + TAIL,
            "5:3: traffic.concurency: unknown key; did you mean 'concurrency'?",
        ),
        (
            HEAD + "traffic: {requests: 2}\nfaults:\n  - kind: outtage\n" + TAIL,
            "5:11: faults[0].kind: unknown kind 'outtage'; did you mean 'outage'?",
        ),
        (
            HEAD + "traffic: {requests: 2}\nexpect:\n  - kind: sucess_rate\n    min: 1\n",
            "5:11: expect[0].kind: unknown kind 'sucess_rate'; did you mean 'success_rate'?",
        ),
        (
            HEAD + "traffic: {requests: 2, duration_s: 10}\n" + TAIL,
            "3:10: traffic: give exactly one of 'requests' or 'duration_s'",
        ),
        (
            HEAD + "workflows: [chta]\ntraffic: {requests: 2}\n" + TAIL,
            "3:13: workflows[0]: no workflow 'chta' in {dir}/policy.yaml (has: chat)",
        ),
        (
            HEAD + "traffic:\n  requests: 2\n  mix:\n    - name: a\n      workflow: other\n" + TAIL,
            "7:17: traffic.mix[0].workflow: workflow 'other' is not one of this scenario's workflows",
        ),
        (
            HEAD
            + "traffic:\n  requests: 2\n  mix:\n    - name: t\n      kind: tools\n      tools:\n"
            + "        - name: lookup\n          parameters: {type: nonsense}\n"
            + TAIL,
            "10:23: traffic.mix[0].tools[0].parameters: not a valid JSON Schema at type: "
            "'nonsense' is not valid under any of the given schemas",
        ),
        (
            "name: bad\npolicy: nope.yaml\ntraffic: {requests: 2}\n" + TAIL,
            "2:9: policy: policy file not found: {dir}/nope.yaml",
        ),
    ],
    ids=[
        "unknown-key",
        "unknown-nested-key",
        "bad-fault-kind",
        "bad-expectation-kind",
        "count-and-duration",
        "unknown-workflow",
        "unknown-mix-workflow",
        "broken-tool-schema",
        "missing-policy",
    ],
)
def test_invalid_scenarios_exit_2_with_one_line(tmp_path: Path, text: str, where: str) -> None:
    path = scenario_text(tmp_path, text)
    assert_clean_error(invoke(path), f"{path}:{where.format(dir=tmp_path)}")


def test_bad_flags_exit_2(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    assert_clean_error(invoke(path, "--max-rows", "0"), "--max-rows: must be at least 1, got 0")
    assert_clean_error(invoke(tmp_path / "absent.yaml"), f"{tmp_path / 'absent.yaml'}: no such file or folder")


def test_an_invalid_scenario_in_a_folder_is_reported_first_and_the_others_still_run(tmp_path: Path) -> None:
    write_scenario(tmp_path / "drills", name="a-good")
    bad = scenario_text(tmp_path / "drills", HEAD + "traffic: {requests: 2, duration_s: 10}\n" + TAIL, "b-bad.yaml")
    write_scenario(tmp_path / "drills", name="c-good")
    junit = tmp_path / "out" / "junit.xml"
    result = invoke(tmp_path / "drills", "--junit", junit)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"{bad}:3:10: traffic: give exactly one of 'requests' or 'duration_s'",
        f"drill: 1 of 3 scenarios could not run (bad input): {bad}",
    ]
    assert "Traceback" not in result.stdout + result.stderr
    assert "Drill a-good" in result.stdout and "Drill c-good" in result.stdout
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("3", "1", "0")
    errored = root.findall("testsuite")[1]
    assert errored.get("name") == "b-bad" and errored.get("errors") == "1"
    error = errored.find("testcase/error")
    assert (
        error is not None
        and error.get("message") == f"{bad}:3:10: traffic: give exactly one of 'requests' or 'duration_s'"
    )


def test_a_single_bad_scenario_still_writes_its_junit_file(tmp_path: Path) -> None:
    bad = scenario_text(tmp_path, HEAD + "traffic: {requests: 2, duration_s: 10}\n" + TAIL)
    junit = tmp_path / "junit.xml"
    result = invoke(bad, "--junit", junit, "--json", tmp_path / "r.json")
    assert_clean_error(result, f"{bad}:3:10: traffic: give exactly one of 'requests' or 'duration_s'")
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("errors")) == ("1", "1")
    assert not (tmp_path / "r.json").exists()  # nothing ran: there is no drill to report


def test_junit_time_is_wall_clock_with_simulated_time_as_a_property(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, traffic={"duration_s": 600, "rate_per_s": 0.05})
    junit = tmp_path / "junit.xml"
    result = invoke(path, "--junit", junit, "-q")
    assert result.exit_code == 0, result.stderr
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert float(properties["simulated_s"]) > 500  # ten simulated minutes ...
    assert float(suite.get("time", "nan")) < 60  # ... take seconds of wall time


def test_a_relative_policy_path_resolves_from_the_scenario_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_policy(tmp_path / "repo" / "policies", {"chat": CHAT_WORKFLOW}, name="chat.yaml")
    path = write_scenario(tmp_path / "repo" / "drills" / "nested", policy="../../policies/chat.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = invoke(path)
    assert result.exit_code == 0, result.stderr
    monkeypatch.chdir(tmp_path / "repo")
    result = invoke("drills/nested/drill.yaml")
    assert result.exit_code == 0, result.stderr
    assert "policy     policies/chat.yaml" in result.stdout  # resolved from the scenario, shown normalised


# -- folders and report files -----------------------------------------------------------------


def report_schema() -> dict[str, Any]:
    text = resources.files("orcli.reports").joinpath("drill_report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_a_folder_runs_every_scenario_and_sums_up(tmp_path: Path) -> None:
    folder = tmp_path / "drills"
    policy = str(write_policy(tmp_path, {"chat": CHAT_WORKFLOW}))  # outside the folder: not a scenario
    write_scenario(folder, name="calm", policy=policy)
    write_scenario(
        folder,
        name="storm",
        policy=policy,
        traffic={"requests": 10},
        faults=OUTAGE_EVERYWHERE,
        expect=[{"kind": "success_rate", "min": 1}],
    )
    (folder / "notes.txt").write_text("not a scenario")
    out = tmp_path / "out"
    result = invoke(folder, "--json", out / "r.json", "--junit", out / "r.xml", "--markdown", out / "r.md")
    assert result.exit_code == 1
    assert "Drill calm" in result.stdout and "Drill storm" in result.stdout
    summary = result.stdout[result.stdout.index("Drills") :]
    assert re.search(r"calm\s+PASS\s+5\b", summary)
    assert re.search(r"storm\s+FAIL\s+10\b", summary)
    assert "FAIL: 1 of 2 scenarios passed; 15 requests" in summary
    assert result.stderr == "drill failed: storm (expectations not met)\n"

    report = json.loads((out / "r.json").read_text())
    Draft202012Validator(report_schema()).validate(report)
    assert report["schema"] == "orcli.drill-suite/4"
    assert [d["scenario"]["name"] for d in report["drills"]] == ["calm", "storm"]

    suites = ET.parse(out / "r.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == 3  # within_policy in calm; success_rate and the implied faults_fired in storm
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 1 and "success_rate" in failures[0].attrib["name"]

    markdown = (out / "r.md").read_text()
    assert "calm" in markdown and "storm" in markdown


def test_a_single_drill_writes_valid_reports(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, traffic={"requests": 6}, faults=[{"kind": "outage", "provider": "azure"}])
    result = invoke(path, "--json", tmp_path / "r.json", "--junit", tmp_path / "r.xml", "--quiet")
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    Draft202012Validator(report_schema()).validate(report)
    assert report["schema"] == "orcli.drill/4"
    assert len(report["requests"]) == 6
    assert {c.attrib["name"] for c in ET.parse(tmp_path / "r.xml").getroot().iter("testcase")} >= {"within_policy"}


def request_rows(stdout: str) -> list[str]:
    # One workflow (chat): the drill's header names it, the rows have no workflow column; the
    # time column may be left out on a narrow terminal.
    return [
        line for line in stdout.splitlines() if re.match(r"^\s+\d+\s+(\d+\.\d\d\s+)?(served|degraded|failed)", line)
    ]


def test_a_large_drill_is_condensed(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        traffic={"requests": 2000, "rate_per_s": 20, "concurrency": 64},
        faults=[{"kind": "outage", "probability": 0.3}],
    )
    result = invoke(path, "--max-rows", "25")
    assert result.exit_code == 0, result.stderr
    rows = request_rows(result.stdout)
    assert len(rows) == 25
    assert all(" degraded " in row or " failed" in row for row in rows)  # the notable ones first
    folded = re.search(r"\.\.\. (\d+) more request rows folded \(", result.stdout)
    assert folded is not None and int(folded.group(1)) == 2000 - 25
    assert "Timeline" in result.stdout


def test_a_small_drill_lists_every_request(tmp_path: Path) -> None:
    result = invoke(write_scenario(tmp_path, traffic={"requests": 7}))
    assert result.exit_code == 0
    assert len(request_rows(result.stdout)) == 7
    assert "folded" not in result.stdout


# -- orcli schema scenario ------------------------------------------------------------------------


def scenario_schema() -> dict[str, Any]:
    result = cli.invoke(app, ["schema", "scenario"])
    assert result.exit_code == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def test_the_scenario_schema_is_valid_and_covers_faults_and_expectations() -> None:
    schema = scenario_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    text = json.dumps(schema)
    for name in ("OutageFault", "StreamCutFault", "SuccessRate", "Recovery", "Traffic", "RequestKind"):
        assert name in schema["$defs"], name
    assert '"stream_cut"' in text and '"retry_after_respected"' in text


def test_the_scenario_schema_accepts_good_scenarios_and_rejects_bad_ones(tmp_path: Path) -> None:
    validator = Draft202012Validator(scenario_schema())
    good = write_scenario(
        tmp_path,
        policy=str(POLICIES / "customer-support.yaml"),
        traffic={"duration_s": 60, "arrival": "poisson", "mix": [{"name": "t", "kind": "tools", "stream": True}]},
        faults=[{"kind": "rate_limit", "retry_after_s": 2}, {"kind": "stream_cut", "after_tokens": 3}],
        expect=[{"kind": "latency", "p95_max_s": 3}, {"kind": "cost", "max_total_usd": "0.5"}],
    )
    assert list(validator.iter_errors(load_document(good).data)) == []
    for bad in (
        {"name": "x", "policy": "p.yaml", "trafic": {"requests": 1}, "expect": [{"kind": "within_policy"}]},
        {"name": "x", "policy": "p.yaml", "traffic": {"requests": 1}, "expect": [{"kind": "nope"}]},
        {"name": "x", "policy": "p.yaml", "traffic": {"requests": 1}, "faults": [{"kind": "outage", "status": 200}]},
    ):
        assert list(validator.iter_errors(bad)) != []
