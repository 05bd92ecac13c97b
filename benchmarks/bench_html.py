"""How big the HTML report of a 100,000-request drill is, how long it takes to write, and (when
Chromium is installed) how long a headless browser takes to open it.

Run from the repository root: ``PYTHONPATH=$PWD python benchmarks/bench_html.py [requests]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from orcli.reports.html import to_html
from tests.reports.chromium import Chromium, find_chromium
from tests.reports.factory import storm_drill

LOAD_TIMING = """
(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return [nav.domContentLoadedEventEnd, nav.loadEventEnd, document.querySelectorAll("svg *").length];
})()
"""


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    started = time.perf_counter()
    drill = storm_drill(total)
    built = time.perf_counter()
    page = to_html([drill])
    rendered = time.perf_counter()
    print(f"{total} requests: records built in {built - started:.2f} s")
    print(f"  html   {rendered - built:7.3f} s  {len(page.encode('utf-8')) / 1e6:6.2f} MB")
    binary = find_chromium()
    if binary is None:
        print("  chromium not installed: no load time")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "storm.html"
        path.write_text(page, encoding="utf-8")
        with Chromium(binary) as browser:
            opened = time.perf_counter()
            browser.open(path)
            loaded = time.perf_counter()
            dom_ready_ms, load_ms, svg_elements = browser.evaluate(LOAD_TIMING)
            problems = browser.problems()
    print(f"  chromium: DOMContentLoaded {dom_ready_ms:.0f} ms, load event {load_ms:.0f} ms after navigation")
    print(f"            {(loaded - opened) * 1000:.0f} ms wall to the load event, {svg_elements} SVG elements")
    print(f"            console problems: {problems or 'none'}")


if __name__ == "__main__":
    main()
