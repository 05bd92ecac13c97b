"""The HTML report, read back as a browser's parser and an XML parser would read it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.client.ledger import UpstreamHop
from orcli.drill.records import DeclaredFault, DrillResult, ExpectationResult, FiredFault, Outcome
from orcli.reports.html import MAX_MARKS, MAX_SAMPLED_REQUESTS, to_html

from .factory import PRIMARY, Drills, attempt, record, storm_drill
from .html_page import (
    SVG_NS,
    data_blocks,
    expected_routes,
    faults,
    lane_marks,
    lanes,
    parse_page,
    svg_text,
    timelines,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def storm() -> DrillResult:
    return storm_drill(100_000)


@pytest.fixture(scope="module")
def storm_page(storm: DrillResult) -> str:
    return to_html([storm])


def test_one_lane_per_route_in_chain_order_with_every_attempt_marked(drills: Drills) -> None:
    result = drills.small()
    (svg,) = timelines(to_html([result]))
    drawn = {lane.get("data-route"): lane_marks(lane) for lane in lanes(svg)}
    assert list(drawn) == [
        "meta-llama/llama-3.1-70b-instruct@DeepInfra",
        "meta-llama/llama-3.1-70b-instruct@Together",
        "mistralai/mistral-large@Groq",
        "mistralai/mistral-large@Mistral",  # only seen inside OpenRouter's failover
        "qwen/qwen-2.5-coder-32b-instruct@Fireworks",
    ]
    assert Counter(drawn) + Counter() == expected_routes(result)
    assert all(lane.get("data-mode") == "marks" for lane in lanes(svg))


def test_marks_are_coloured_by_what_happened_next(drills: Drills) -> None:
    (svg,) = timelines(to_html([drills.small()]))
    kinds = Counter(
        cls
        for rect in svg.iter(f"{SVG_NS}rect")
        if "m" in (rect.get("class") or "").split()
        for cls in (rect.get("class") or "").split()
        if cls.startswith("k-")
    )
    # ok: #0, #1's fallback, #4; retried: #1's 429; fell back: #1's timeout, the Mistral hop inside
    # OpenRouter, #2's 503; failed: #2's context_length and #3's malformed tool call.
    assert kinds == {"k-ok": 3, "k-retried": 1, "k-fell_back": 3, "k-failed": 2}


def test_a_mark_points_at_its_request_and_the_data_block_holds_its_chain(drills: Drills) -> None:
    page = to_html([drills.small()])
    (svg,), (data,) = timelines(page), data_blocks(page)
    pointed = {rect.get("data-r") for rect in svg.iter(f"{SVG_NS}rect") if rect.get("data-r") is not None}
    assert pointed == {"0", "1", "2", "3", "4"}  # #5 never sent an attempt
    assert pointed <= set(data["requests"])
    steps = data["requests"]["1"]["steps"]
    assert [(s[0], s[1], s[2], s[4]) for s in steps] == [
        ("meta-llama/llama-3.1-70b-instruct@DeepInfra", "429", "retried", 0),
        ("meta-llama/llama-3.1-70b-instruct@Together", "timeout", "fell_back", 0),
        ("mistralai/mistral-large@Mistral", "502", "fell_back", 1),
        ("mistralai/mistral-large@Groq", "ok", "ok", 0),
    ]
    assert data["requests"]["2"]["msg"] == "We cannot answer right now."


def test_fault_windows_are_shaded_and_labelled_and_firings_ticked(drills: Drills) -> None:
    (svg,) = timelines(to_html([drills.small()]))
    by_id = {g.get("data-fault"): g for g in faults(svg)}
    assert list(by_id) == ["deepinfra-down", "slow-groq"]
    down = by_id["deepinfra-down"]
    (window,) = [r for r in down.iter(f"{SVG_NS}rect") if r.get("class") == "fw"]
    # The axis spans 25 s over 1000 units right of the 300-unit label column: 10-20 s is x 700, width 400.
    assert (float(window.get("x", "")), float(window.get("width", ""))) == (700.0, 400.0)
    assert [r for r in down.iter(f"{SVG_NS}rect") if r.get("class") == "fshade"]
    assert "provider_outage · provider DeepInfra · 10s-20s" in svg_text(down)
    ticks = [r for r in down.iter(f"{SVG_NS}rect") if r.get("class") == "fire"]
    assert sum(int(r.get("data-n", "0")) for r in ticks) == 2 == int(down.get("data-fired", ""))
    groq = by_id["slow-groq"]
    assert not [r for r in groq.iter(f"{SVG_NS}rect") if r.get("class") == "fw"]
    assert "latency_spike · provider Groq · always (fires at the ticks)" in svg_text(groq)
    assert groq.get("data-fired") == "0"


def test_faults_without_a_window_show_every_firing(storm_page: str, storm: DrillResult) -> None:
    (svg,) = timelines(storm_page)
    by_id = {g.get("data-fault"): g for g in faults(svg)}
    fired = Counter(f.fault_id for f in storm.fired)
    for fault_id, group in by_id.items():
        ticks = [r for r in group.iter(f"{SVG_NS}rect") if r.get("class") == "fire"]
        assert sum(int(r.get("data-n", "0")) for r in ticks) == fired[fault_id]
        assert len(ticks) <= 1000  # one per pixel column at most
    assert [r for r in by_id["deepinfra-down"].iter(f"{SVG_NS}rect") if r.get("class") == "fw"]
    assert not [r for r in by_id["groq-slow"].iter(f"{SVG_NS}rect") if r.get("class") == "fw"]


def test_busy_lanes_become_buckets_whose_counts_add_up_to_the_attempts(drills: Drills) -> None:
    result = drills.large(total=5000)
    page = to_html([result])
    (svg,), (data,) = timelines(page), data_blocks(page)
    assert {lane.get("data-route"): lane.get("data-mode") for lane in lanes(svg)} == {
        "meta-llama/llama-3.1-70b-instruct@DeepInfra": "buckets",
        "mistralai/mistral-large@Groq": "buckets",
    }
    assert Counter({lane.get("data-route"): lane_marks(lane) for lane in lanes(svg)}) == expected_routes(result)
    for entry in data["lanes"]:
        assert sum(sum(row[1:5]) for row in entry["buckets"]) == entry["marks"]
    assert not [r for r in svg.iter(f"{SVG_NS}rect") if "m" in (r.get("class") or "").split()]


def test_a_100k_request_drill_stays_small_and_complete(storm_page: str, storm: DrillResult) -> None:
    assert len(storm_page.encode("utf-8")) < 1_000_000
    (svg,), (data,) = timelines(storm_page), data_blocks(storm_page)
    assert sum(1 for _ in svg.iter()) < 5000
    assert Counter({lane.get("data-route"): lane_marks(lane) for lane in lanes(svg)}) == expected_routes(storm)
    embedded = data["requests"]
    assert 0 < len(embedded) <= MAX_MARKS + MAX_SAMPLED_REQUESTS
    served = {str(r.index) for r in storm.requests if r.outcome is Outcome.SERVED}
    individual = {rect.get("data-r") for rect in svg.iter(f"{SVG_NS}rect") if rect.get("data-r") is not None}
    assert set(embedded) & served <= individual  # served requests only when a drawn mark points at them
    samples = {str(i) for entry in data["lanes"] for row in entry.get("buckets", []) for i in row[5]}
    assert samples and samples <= set(embedded)


HOSTILE = {
    "model": "evil/<b>model</b>\"'&amp;",
    "provider": "<i>Prov</i>",
    "scenario": "<img src=x onerror=alert(1)>",
    "description": '<script>alert("x")</script> & </p><!-- done',
    "workflow": "</script><script>alert(2)</script>",
    "reason": "<iframe src=//x>",
    "expectation": "<u>n</u>",
    "summary": "<s>x</s>",
    "evidence": "<iframe src=//y>",
    "target": "model <svg/onload=alert(3)>",
}
BENIGN = {key: f"plain-{key}" for key in HOSTILE}


def _drill_with_text(drills: Drills, text: dict[str, str]) -> DrillResult:
    return drills.small(
        scenario=text["scenario"],
        description=text["description"],
        workflows=(text["workflow"],),
        requests=(
            record(
                0,
                1.0,
                text["workflow"],
                Outcome.FAILED,
                (attempt(1, text["model"], text["provider"], 502, started_at=1.0),),
                reason=text["reason"],
            ),
        ),
        expectations=(
            ExpectationResult(text["expectation"], "success_rate", False, text["summary"], (text["evidence"],)),
        ),
        declared_faults=(DeclaredFault("f1", "outage", text["target"], "1s-2s", 1.0, 2.0),),
        fired=(FiredFault("f1", "outage", 1.0, None, text["model"]),),
    )


def test_scenario_text_stays_text(drills: Drills) -> None:
    hostile_model, description = HOSTILE["model"], HOSTILE["description"]
    page = to_html([_drill_with_text(drills, HOSTILE)])
    elements = parse_page(page)
    twin = parse_page(to_html([_drill_with_text(drills, BENIGN)]))
    # Hostile text adds no element and no attribute: the page has the same shape as with plain text.
    assert [(e.tag, sorted(e.attrs)) for e in elements] == [(e.tag, sorted(e.attrs)) for e in twin]
    assert Counter(e.tag for e in elements)["script"] == 2  # the data block and the report's own script
    (desc,) = [e for e in elements if "desc" in e.classes]
    assert "".join(desc.text) == description
    (svg,), (data,) = timelines(page), data_blocks(page)
    assert [lane.get("data-route") for lane in lanes(svg)] == [f"{hostile_model}@<i>Prov</i>"]
    assert data["requests"]["0"]["steps"][0][0] == f"{hostile_model}@<i>Prov</i>"
    assert data["requests"]["0"]["why"] == "<iframe src=//x>"
    raw_data = page.split('id="drill-data-0">', 1)[1].split("</script>", 1)[0]
    assert "<" not in raw_data and ">" not in raw_data


def test_equal_records_give_equal_bytes(drills: Drills) -> None:
    assert to_html([drills.small()]) == to_html([drills.small()])
    assert to_html([storm_drill(20_000, seed=3)]) == to_html([storm_drill(20_000, seed=3)])
    assert to_html([storm_drill(20_000, seed=3)]) != to_html([storm_drill(20_000, seed=4)])


def test_the_page_does_not_depend_on_hash_seeds() -> None:
    code = (
        "import hashlib, sys; from tests.reports.factory import small_drill, storm_drill;"
        "from orcli.reports.html import to_html;"
        "sys.stdout.write(hashlib.sha256(to_html([small_drill(), storm_drill(3000)]).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        digests.add(done.stdout)
    assert len(digests) == 1
    local = hashlib.sha256(to_html([Drills().small(), storm_drill(3000)]).encode()).hexdigest()
    assert digests == {local}


def test_a_folder_run_gets_a_summary_and_one_section_per_drill(drills: Drills) -> None:
    page = to_html([drills.small(), drills.large(total=60)])
    elements = parse_page(page)
    sections = [e for e in elements if e.tag == "section"]
    assert [s.attrs["id"] for s in sections] == ["drill-0", "drill-1"]
    assert [s.attrs["data-source"] for s in sections] == ["drill-data-0", "drill-data-1"]
    links = [e.attrs["href"] for e in elements if e.tag == "a"]
    assert links == ["#drill-0", "#drill-1"]
    assert len(timelines(page)) == len(data_blocks(page)) == 2
    (heading,) = [e for e in elements if e.tag == "h1" and "scenarios passed" in "".join(e.text)]
    assert "".join(heading.text).startswith("orcli drill: 1 of 2 scenarios passed")


def test_no_network_reference() -> None:
    page = to_html([Drills().small()])
    for needle in ("http://", "https://", "//cdn", "@import", "url("):
        assert needle not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_drill_command_writes_the_page_and_its_lanes_match_the_json_report(tmp_path: Path) -> None:
    scenario = tmp_path / "outage.yaml"
    scenario.write_text(
        f"""
name: support-outage
description: "OpenAI down <fast>"
policy: {REPO / "policies" / "customer-support.yaml"}
seed: 5
traffic:
  requests: 80
  rate_per_s: 4
  mix:
    - name: chat
      kind: structured
faults:
  - kind: outage
    id: gpt-down
    model: openai/gpt-4o-mini
    start_s: 5
    end_s: 12
  - kind: rate_limit
    id: vertex-busy
    provider: google-vertex
    every: 3
expect:
  - kind: success_rate
    min: 0.5
""",
        encoding="utf-8",
    )
    html_path, json_path = tmp_path / "out" / "drill.html", tmp_path / "drill.json"
    result = CliRunner().invoke(app, ["drill", str(scenario), "-q", "--html", str(html_path), "--json", str(json_path)])
    assert result.exit_code == 0, result.output
    page = html_path.read_text(encoding="utf-8")
    report = json.loads(json_path.read_text(encoding="utf-8"))
    routes: Counter[str] = Counter()
    for request in report["requests"]:
        for a in request["attempts"]:
            for hop in a["upstream_hops"][:-1]:
                routes[f"{hop['model']}@{hop['provider']}"] += 1
            routes[f"{a['served_model'] or a['model']}@{a['provider'] or '?'}"] += 1
    (svg,) = timelines(page)
    assert Counter({lane.get("data-route"): lane_marks(lane) for lane in lanes(svg)}) == routes
    assert len(routes) >= 3  # the primary's providers and a fallback at least
    labels = {g.get("data-fault"): svg_text(g) for g in faults(svg)}
    assert "outage · model openai/gpt-4o-mini · 5s-12s" in labels["gpt-down"]
    assert "OpenAI down &lt;fast&gt;" in page


def test_drill_command_reports_an_unwritable_html_path(tmp_path: Path, drills: Drills) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"name: s\npolicy: {REPO / 'policies' / 'customer-support.yaml'}\ntraffic:\n  requests: 2\n"
        "expect:\n  - kind: success_rate\n    min: 0\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["drill", str(scenario), "-q", "--html", str(blocker / "x.html")])
    assert result.exit_code == 2
    assert f"{blocker / 'x.html'}: cannot write the html report" in result.stderr


def test_internal_hops_are_counted_apart_on_the_lane_label(drills: Drills) -> None:
    hop_attempt = attempt(
        1,
        PRIMARY,
        "Together",
        200,
        started_at=1.0,
        hops=(UpstreamHop("DeepInfra", PRIMARY, 502), UpstreamHop("Together", PRIMARY, 200)),
    )
    result = drills.small(requests=(record(0, 1.0, "support", Outcome.DEGRADED, (hop_attempt,)),))
    (svg,) = timelines(to_html([result]))
    labels = {lane.get("data-route"): svg_text(lane) for lane in lanes(svg)}
    assert "0 attempts, 1 OpenRouter hops" in labels[f"{PRIMARY}@DeepInfra"]
    assert "1 attempts" in labels[f"{PRIMARY}@Together"]


def test_a_drill_without_requests_still_renders(drills: Drills) -> None:
    result = drills.small(requests=(), fired=(), duration_s=0.0)
    page = to_html([result])
    (svg,), (data,) = timelines(page), data_blocks(page)
    assert lanes(svg) == [] and data["requests"] == {}
    assert "no attempt was sent" in svg_text(svg)
    assert [g.get("data-fault") for g in faults(svg)] == ["deepinfra-down", "slow-groq"]


def test_a_window_past_the_end_of_the_drill_is_clipped_to_the_axis(drills: Drills) -> None:
    late = DeclaredFault("late", "outage", "provider DeepInfra", "20s-900s", 20.0, 900.0)
    (svg,) = timelines(to_html([drills.small(declared_faults=(late,), fired=())]))
    (window,) = [r for r in svg.iter(f"{SVG_NS}rect") if r.get("class") == "fw"]
    assert float(window.get("x", "")) + float(window.get("width", "")) == 1300.0  # the axis' right end
