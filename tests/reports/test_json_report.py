"""The JSON report: versioned, stable, exact, and valid against its shipped schema."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path

import jsonschema
import pytest

from orcli.client.ledger import Attempt
from orcli.reports.json_report import SCHEMA_RESOURCE, drill_to_json, dumps, report_schema, suite_dumps, suite_to_json

from .factory import Drills

REPO = Path(__file__).resolve().parents[2]


def validator() -> jsonschema.Draft202012Validator:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_equal_records_give_byte_identical_reports(drills: Drills) -> None:
    first, second = drills.small(), drills.small()
    assert first is not second
    assert dumps(first) == dumps(second)
    # Equal Decimals written differently are equal records, so equal bytes.
    assert dumps(drills.small(first_cost_usd="0.000123")) == dumps(drills.small(first_cost_usd="0.0001230"))


def test_one_changed_figure_changes_the_report(drills: Drills) -> None:
    base = dumps(drills.small())
    changed = dumps(drills.small(first_cost_usd="0.000124"))
    assert base != changed
    assert '"cost_usd": "0.0001240000"' in changed
    assert dumps(drills.small(seed=8)) != base


def test_top_level_layout_and_order(drills: Drills) -> None:
    data = json.loads(dumps(drills.small()))
    assert list(data) == [
        "schema",
        "passed",
        "scenario",
        "duration_s",
        "totals",
        "metrics",
        "faults",
        "expectations",
        "requests",
    ]
    assert data["schema"] == "orcli.drill/4"
    assert data["passed"] is False
    assert data["scenario"]["seed"] == 7
    assert list(data["metrics"]) == ["support", "coding"]
    assert data["totals"]["requests"] == 6
    assert data["totals"]["cost_usd"] == "0.1001475000"
    assert data["totals"]["outcomes"] == {"served": 2, "degraded": 1, "failed_safe": 1, "failed": 2}


def test_metrics_per_workflow(drills: Drills) -> None:
    support = drill_to_json(drills.small())["metrics"]["support"]
    assert support["user_facing_success_rate"] == 0.5
    assert support["fallback_frequency"] == 0.5
    assert support["provider_selection"] == {
        "meta-llama/llama-3.1-70b-instruct@DeepInfra": 1,
        "mistralai/mistral-large@Groq": 1,
    }
    assert support["latency_s"] == {"p50": 0.8, "p95": 13.334568, "p99": 13.334568}
    assert support["cost_usd"] == "0.0001275000"
    assert support["error_distribution"] == {"context_length": 1, "provider_failure": 1, "rate_limit": 1, "timeout": 1}
    coding = drill_to_json(drills.small())["metrics"]["coding"]
    assert coding["tool_calls"] == {"checked": 2, "malformed": 1, "validity": 0.5}


def test_requests_carry_every_attempt_field(drills: Drills) -> None:
    request = drill_to_json(drills.small())["requests"][1]
    assert request["chain"].endswith("mistralai/mistral-large@Groq ok")
    assert request["outcome"] == "degraded"
    assert request["fallback_depth"] == 1
    assert [a["error_class"] for a in request["attempts"]] == ["rate_limit", "timeout", None]
    assert set(request["attempts"][0]) == {f.name for f in dataclasses.fields(Attempt)}
    last = request["attempts"][2]
    assert last["latency_s"] == 1.234568  # rounded to 6 places
    assert last["cost_usd"] == "0.0000045000"
    assert last["upstream_hops"] == [
        {"provider": "Mistral", "model": "mistralai/mistral-large", "status": 502},
        {"provider": "Groq", "model": "mistralai/mistral-large", "status": 200},
    ]
    assert request["attempts"][0]["retry_after_s"] == 2.0


def test_faults_declared_with_fired_counts(drills: Drills) -> None:
    faults = drill_to_json(drills.small())["faults"]
    assert [(f["id"], f["fired"], f["start_s"], f["end_s"]) for f in faults["declared"]] == [
        ("deepinfra-down", 2, 10.0, 20.0),
        ("slow-groq", 0, None, None),
    ]
    assert [f["at_s"] for f in faults["fired"]] == [11.0, 12.5]


def test_no_idempotency_key_or_response_body_is_written(drills: Drills) -> None:
    text = dumps(drills.small())
    assert "do-not-print" not in text
    assert "idem-" not in text
    assert "hello" not in text


def test_integer_and_float_times_and_negative_zero_print_alike(drills: Drills) -> None:
    assert dumps(drills.small(duration_s=25)) == dumps(drills.small(duration_s=25.0))
    assert '"duration_s": 0.0' in dumps(drills.small(duration_s=-0.0))


def test_report_validates_against_the_schema(drills: Drills) -> None:
    check = validator()
    check.validate(json.loads(dumps(drills.small())))
    check.validate(json.loads(dumps(drills.large(total=50))))
    check.validate(json.loads(dumps(drills.small(requests=(), expectations=(), declared_faults=(), fired=()))))


def test_schema_rejects_a_float_cost_and_unknown_keys(drills: Drills) -> None:
    check = validator()
    data = json.loads(dumps(drills.small()))
    data["requests"][0]["cost_usd"] = 0.000123
    with pytest.raises(jsonschema.ValidationError):
        check.validate(data)
    data = json.loads(dumps(drills.small()))
    data["requests"][0]["attempts"][0]["api_key"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        check.validate(data)


def test_suite_report(drills: Drills) -> None:
    results = [drills.small(), drills.large(total=40)]
    data = suite_to_json(results)
    assert list(data) == ["schema", "passed", "totals", "drills"]
    assert data["schema"] == "orcli.drill-suite/4"
    assert data["passed"] is False
    assert data["totals"]["scenarios"] == 2
    assert data["totals"]["scenarios_failed"] == 1
    assert data["totals"]["expectations_failed"] == 2
    assert data["totals"]["requests"] == 46
    assert [d["scenario"]["name"] for d in data["drills"]] == ["provider-outage", "storm"]
    validator().validate(json.loads(suite_dumps(results)))
    assert suite_dumps(results) == suite_dumps([drills.small(), drills.large(total=40)])


def test_schema_ships_as_package_data() -> None:
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["orcli"]
    assert any(fnmatch(f"reports/{SCHEMA_RESOURCE}", pattern) for pattern in patterns)
    assert (REPO / "orcli" / "reports" / SCHEMA_RESOURCE).is_file()


def test_decimal_cost_is_exact_in_json(drills: Drills) -> None:
    data = drill_to_json(drills.small(first_cost_usd="0.000000000123"))
    assert data["requests"][0]["cost_usd"] == "0.000000000123"
    assert Decimal(data["totals"]["cost_usd"]) == Decimal("0.1000245") + Decimal("0.000000000123")


def _whole(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@pytest.mark.parametrize("requests", ["all", "none"])
def test_the_report_written_piece_by_piece_is_the_whole_document(drills: Drills, requests: str) -> None:
    drill = drills.small() if requests == "all" else drills.small(requests=())
    assert dumps(drill) == _whole(drill_to_json(drill))
    suite = [drill, drills.storm(), drills.small(requests=())]
    assert suite_dumps(suite) == _whole(suite_to_json(suite))


def test_a_description_quoting_the_requests_key_does_not_confuse_the_writer(drills: Drills) -> None:
    drill = drills.small(description='the body had "requests": [] in it')
    assert dumps(drill) == _whole(drill_to_json(drill))
    assert json.loads(dumps(drill))["scenario"]["description"] == 'the body had "requests": [] in it'
