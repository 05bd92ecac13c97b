"""The HTML report in a real browser: headless Chromium loads it, runs its script, and we read the DOM.

Skipped when Chromium is not installed, except under CI=true, where a missing browser
is a failure: CI must prove the page works. Set ORCLI_SCREENSHOT_DIR to keep the
screenshots (CI can attach them as artifacts).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orcli.cli.app import app
from orcli.drill.records import DrillResult
from orcli.reports.html import to_html

from .chromium import Chromium, find_chromium
from .factory import storm_drill
from .html_page import expected_routes

REPO = Path(__file__).resolve().parents[2]

CHROMIUM = find_chromium()
REQUIRED = os.environ.get("CI") == "true"  # CI must prove the page works: there a missing browser fails
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED,
    reason="chromium is not installed (apt-get install chromium); CI=true makes this a failure",
)

# Everything the checks need from the page, read after its script ran.
DOM_FACTS = """
(() => {
  const svg = document.querySelector("section#drill-0 svg.timeline");
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  return {
    ready: document.documentElement.getAttribute("data-ready"),
    svgSize: box(svg),
    lanes: Array.from(svg.querySelectorAll("g.lane")).map((g) => ({
      route: g.getAttribute("data-route"),
      mode: g.getAttribute("data-mode"),
      marks: g.querySelectorAll("rect.m").length,
      visibleMarks: Array.from(g.querySelectorAll("rect.m")).filter((m) => box(m)[0] > 0 && box(m)[1] > 0).length,
      bucketed: Array.from(g.querySelectorAll("path.b")).reduce((n, p) => n + Number(p.getAttribute("data-count")), 0),
      visiblePaths: Array.from(g.querySelectorAll("path.b")).filter((p) => box(p)[0] > 0).length,
    })),
    faults: Array.from(svg.querySelectorAll("g.fault")).map((g) => ({
      id: g.getAttribute("data-fault"),
      windows: Array.from(g.querySelectorAll("rect.fw")).map((r) => box(r)[0]),
      label: g.textContent,
    })),
    shades: svg.querySelectorAll("rect.fshade").length,
    outcomeCharts: document.querySelectorAll("section#drill-0 svg.outcomes").length,
    expectations: document.querySelectorAll("section#drill-0 ul.exp > li").length,
    elements: svg.getElementsByTagName("*").length,
  };
})()
"""

CENTRE_OF = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) { return null; }
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
}"""

# Where, on screen, a time falls on one lane of the timeline.
LANE_POINT = """([route, at_s]) => {
  const svg = document.querySelector("svg.timeline");
  const lane = Array.from(svg.querySelectorAll("g.lane")).find((g) => g.getAttribute("data-route") === route);
  const hit = lane.querySelector("rect.hit");
  hit.scrollIntoView({block: "center"});
  const r = hit.getBoundingClientRect();
  return [r.left + r.width * (at_s / Number(svg.getAttribute("data-span-s"))), r.top + r.height / 2];
}"""


@pytest.fixture
def browser() -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: the HTML report must be checked in a real browser")
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def _keep(shot: Path) -> None:
    folder = os.environ.get("ORCLI_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


def _run_drill(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    scenario = tmp_path / "outage.yaml"
    scenario.write_text(
        f"""
name: chat-outage
description: "OpenAI's gpt-4o-mini goes down for 20 s while Google Vertex rate-limits <sometimes>"
policy: {REPO / "policies" / "general-chat.yaml"}
seed: 7
traffic:
  requests: 300
  rate_per_s: 5
  mix:
    - name: chat
      kind: chat
faults:
  - kind: outage
    id: gpt-down
    model: openai/gpt-4o-mini
    start_s: 10
    end_s: 30
  - kind: rate_limit
    id: vertex-busy
    provider: google-vertex
    start_s: 15
    end_s: 25
    probability: 0.5
  - kind: timeout
    id: deepinfra-slow
    provider: deepinfra
    every: 3
expect:
  - kind: success_rate
    min: 0.95
  - kind: recovery
    fault: gpt-down
    within_s: 5
""",
        encoding="utf-8",
    )
    html_path, json_path = tmp_path / "drill.html", tmp_path / "drill.json"
    result = CliRunner().invoke(app, ["drill", str(scenario), "-q", "--html", str(html_path), "--json", str(json_path)])
    assert result.exit_code in (0, 1), result.output
    return html_path, json.loads(json_path.read_text(encoding="utf-8"))


def _routes_in_json(report: dict[str, Any]) -> Counter[str]:
    routes: Counter[str] = Counter()
    for request in report["requests"]:
        for a in request["attempts"]:
            for hop in a["upstream_hops"][:-1]:
                routes[f"{hop['model']}@{hop['provider']}"] += 1
            routes[f"{a['served_model'] or a['model']}@{a['provider'] or '?'}"] += 1
    return routes


def test_a_real_drill_renders_without_errors_and_draws_the_drill(browser: Chromium, tmp_path: Path) -> None:
    page, report = _run_drill(tmp_path)
    browser.open(page)
    facts = browser.evaluate(DOM_FACTS)
    assert facts["ready"] == "1"
    assert facts["svgSize"][0] > 1000
    drawn = Counter({lane["route"]: lane["marks"] + lane["bucketed"] for lane in facts["lanes"]})
    assert drawn == _routes_in_json(report)
    for lane in facts["lanes"]:
        assert lane["visibleMarks"] == lane["marks"]
    windows = {f["id"]: f["windows"] for f in facts["faults"]}
    assert (
        list(windows)
        == [f["id"] for f in report["faults"]["declared"]]
        == [
            "gpt-down",
            "vertex-busy",
            "deepinfra-slow",
        ]
    )
    assert len(windows["gpt-down"]) == 1 and windows["gpt-down"][0] > 0
    assert windows["deepinfra-slow"] == []  # no time window: only its firings are ticked
    assert facts["shades"] == 2
    assert "outage · model openai/gpt-4o-mini · 10s-30s" in facts["faults"][0]["label"]
    assert facts["outcomeCharts"] == 1 and facts["expectations"] == len(report["expectations"])
    _keep(browser.screenshot(tmp_path / "drill-report.png"))
    assert browser.problems() == []


def test_hovering_and_clicking_a_mark_shows_its_attempt_chain(browser: Chromium, tmp_path: Path) -> None:
    page, report = _run_drill(tmp_path)
    degraded = next(r for r in report["requests"] if len(r["attempts"][0]["upstream_hops"]) > 1)
    browser.open(page)
    centre = browser.call(CENTRE_OF, f'rect.m[data-r="{degraded["index"]}"]')
    assert centre is not None
    browser.mouse("mouseMoved", *centre)
    tip = browser.evaluate(
        "[getComputedStyle(document.getElementById('tip')).display, document.getElementById('tip').textContent]"
    )
    assert tip[0] == "block"
    assert f"#{degraded['index']} general-chat" in tip[1]
    highlighted = browser.evaluate(f"document.querySelectorAll('rect.m.hl[data-r=\"{degraded['index']}\"]').length")
    assert highlighted == sum(1 + max(0, len(a["upstream_hops"]) - 1) for a in degraded["attempts"])
    browser.click(*centre)
    inspector = browser.evaluate("document.querySelector('#drill-0 .inspector').textContent")
    assert inspector.startswith(f"Request #{degraded['index']} degraded")
    first_hop = degraded["attempts"][0]["upstream_hops"][0]
    assert f"{first_hop['model']}@{first_hop['provider']} {first_hop['status']}" in inspector
    assert "(inside OpenRouter)" in inspector
    assert browser.problems() == []


def test_a_100k_request_drill_opens_with_buckets_that_add_up(browser: Chromium, tmp_path: Path) -> None:
    storm: DrillResult = storm_drill(100_000)
    page = tmp_path / "storm.html"
    page.write_text(to_html([storm]), encoding="utf-8")
    browser.open(page)
    facts = browser.evaluate(DOM_FACTS)
    assert facts["ready"] == "1"
    drawn = Counter({lane["route"]: lane["marks"] + lane["bucketed"] for lane in facts["lanes"]})
    assert drawn == expected_routes(storm)
    busy = [lane for lane in facts["lanes"] if lane["mode"] == "buckets"]
    assert busy and all(lane["visiblePaths"] > 0 for lane in busy)
    assert facts["elements"] < 5000
    assert [f["id"] for f in facts["faults"]] == ["deepinfra-down", "groq-slow"]
    # Click the DeepInfra lane in the middle of the outage: the inspector shows that bucket's counts.
    route = "meta-llama/llama-3.1-70b-instruct@DeepInfra"
    point = browser.call(LANE_POINT, [route, 225.0])
    browser.click(*point)
    inspector = browser.evaluate("document.querySelector('#drill-0 .inspector').textContent")
    assert inspector.startswith(route)
    assert " fell back" in inspector and "Requests that did not go well here" in inspector
    browser.click(*browser.call(CENTRE_OF, "#drill-0 .inspector button[data-r]"))
    assert browser.evaluate("document.querySelector('#drill-0 .inspector').textContent").startswith("Request #")
    _keep(browser.screenshot(tmp_path / "storm-report.png"))
    assert browser.problems() == []
