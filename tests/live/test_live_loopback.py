"""Smoke test of the live path over real loopback: ``orcli drill --target live`` against ``orcli mock serve``.

No key and no money: the simulator answers on 127.0.0.1. It runs the rehearsal docs/live.md
describes, end to end through two processes, in a few seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import CANARY_KEY

ROOT = Path(__file__).parents[2]

SCENARIO = f"""\
name: loopback-rehearsal
policy: {ROOT / "policies" / "general-chat.yaml"}
seed: 5
traffic:
  requests: 10
  rate_per_s: 20
  concurrency: 4
  mix:
    - name: chat
      stream: true
      prompt_tokens: 100
      max_tokens: 40
      allow_length_finish: true  # answers capped on purpose: a cut one is still whole here
expect:
  - kind: success_rate
    min: 1.0
"""


@pytest.fixture
def mock_url() -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "orcli", "mock", "serve", "--port", "0", "--time-scale", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert "OpenRouter simulator at http://127.0.0.1:" in banner
        yield banner.split(" at ", 1)[1].split(" ", 1)[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_streamed_live_drill_against_mock_serve(tmp_path: Path, mock_url: str) -> None:
    scenario = tmp_path / "loopback.yaml"
    scenario.write_text(SCENARIO)
    report = tmp_path / "live.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENROUTER_API_KEY": CANARY_KEY}
    env.pop("ORCLI_BASE_URL", None)
    command = [sys.executable, "-m", "orcli", "drill", str(scenario), "--target", "live", "--yes-live"]
    traffic = tmp_path / "traffic.jsonl"
    command += ["--base-url", mock_url, "--json", str(report), "--quiet", "--record-traffic", str(traffic)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ABORTED" not in done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert data["scenario"]["target"] == "live"
    assert data["totals"]["outcomes"]["served"] == 10
    assert "real upstream failures (not injected): none" in data["scenario"]["notes"]
    assert CANARY_KEY not in done.stdout + done.stderr + report.read_text() + traffic.read_text()
    lines = [json.loads(line) for line in traffic.read_text().splitlines()]
    assert len(lines) == 10 and all(line["stream"] and line["ok"] for line in lines)
