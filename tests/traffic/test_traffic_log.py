"""Traffic logs: recorded by the client, summarised, replayed by a drill with the same shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner

from orcli import Client
from orcli.cli.app import app
from orcli.policy.load import load_policy
from orcli.traffic.log import conversation_key, read_log
from orcli.traffic.recorder import TrafficRecorder

runner = CliRunner()
ROOT = Path(__file__).parents[2]
CANARY_KEY = "sk-or-v1-canary5c1f0e9a7d3b2c8e4f6a0b1d"

RECORDED = f"""\
name: recorded
policy: {ROOT / "policies" / "general-chat.yaml"}
seed: 9
traffic:
  requests: 120
  rate_per_s: 0.05
  arrival: poisson
  concurrency: 8
  mix:
    - name: chat
      stream: true
      weight: 3
      prompt_tokens: 300
    - name: lookup
      kind: tools
      weight: 1
      prompt_tokens: 1200
    - name: extract
      kind: structured
      weight: 1
      prompt_tokens: 600
expect:
  - kind: success_rate
    min: 0.9
"""


def replaying(log: str, extra: str = "") -> str:
    return f"""\
name: replayed
policy: {ROOT / "policies" / "general-chat.yaml"}
seed: 4
traffic:
  replay: {log}
  concurrency: 8
{extra}faults:
  - id: gpt-down
    kind: outage
    model: openai/gpt-4o-mini
    start_s: 600
    end_s: 1200
expect:
  - kind: success_rate
    min: 0.5
"""


def drill(*args: str) -> None:
    result = runner.invoke(app, ["drill", *args, "-q"])
    assert result.exit_code == 0, result.stdout + result.stderr


def shape(path: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["traffic", "summarize", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    scenario = tmp_path / "recorded.yaml"
    scenario.write_text(RECORDED)
    log = tmp_path / "recorded.jsonl"
    drill(str(scenario), "--record-traffic", str(log))
    return log


def test_a_recorded_drill_replayed_gives_the_same_shape(tmp_path: Path, recorded: Path) -> None:
    scenario = tmp_path / "replayed.yaml"
    scenario.write_text(replaying(recorded.name))
    again = tmp_path / "replayed.jsonl"
    drill(str(scenario), "--record-traffic", str(again))
    first, second = shape(recorded), shape(again)
    for field in ("requests", "span_s", "per_hour", "kinds", "workflows", "stream_share", "tools_share"):
        assert second[field] == first[field], field
    assert second["schema_share"] == first["schema_share"]
    assert second["conversations"] == first["conversations"]
    assert second["prompt_tokens"]["p50"] == first["prompt_tokens"]["p50"]
    for p in ("p90", "p99", "max"):
        assert abs(second["prompt_tokens"][p] - first["prompt_tokens"][p]) <= first["prompt_tokens"][p] * 0.02
    # Answers are capped at the recorded size: never longer than the real ones.
    assert second["answer_tokens"]["max"] <= first["answer_tokens"]["max"]
    # The fault timeline is the scenario's own: the outage hit the replayed traffic.
    assert second["answered_share"] < first["answered_share"] == 1.0


def test_speed_compresses_the_arrivals(tmp_path: Path, recorded: Path) -> None:
    scenario = tmp_path / "fast.yaml"
    scenario.write_text(replaying(recorded.name, "  speed: 4\n").replace("start_s: 600", "start_s: 60"))
    again = tmp_path / "fast.jsonl"
    drill(str(scenario), "--record-traffic", str(again))
    assert shape(again)["span_s"] == pytest.approx(shape(recorded)["span_s"] / 4, abs=0.01)


def test_the_log_holds_no_content(recorded: Path) -> None:
    text = recorded.read_text()
    assert "route" not in text and "Request 1" not in text and "You serve" not in text
    line = json.loads(text.splitlines()[0])
    assert set(line) == {
        "v", "t", "workflow", "kind", "prompt_tokens", "answer_tokens", "stream", "tools", "schema",
        "conversation", "ok", "sample",
    }  # fmt: skip


def test_summarize_prints_rates_mix_and_sizes(recorded: Path) -> None:
    result = runner.invoke(app, ["traffic", "summarize", str(recorded)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Traffic {recorded}"
    assert lines[1].startswith("requests      120 requests over ")
    assert any(line.startswith("per hour      h0 ") for line in lines)
    assert any(line.startswith("kinds         chat ") and "lookup" in line and "extract" in line for line in lines)
    assert any(line.startswith("prompt tokens p50 ") for line in lines)


def test_a_client_writes_the_log_without_content_or_key(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "policies" / "general-chat.yaml").policy
    log = tmp_path / "app.jsonl"
    body = {
        "id": "gen-1",
        "model": "openai/gpt-4o-mini",
        "provider": "OpenAI",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi."}}],
        "usage": {"prompt_tokens": 21, "completion_tokens": 2, "total_tokens": 23},
    }
    times = iter([1000.0, 1010.0])
    with respx.mock(assert_all_mocked=True) as api, TrafficRecorder(log, clock=lambda: next(times)) as recorder:
        api.post("https://openrouter.ai/api/v1/chat/completions").mock(return_value=httpx.Response(200, json=body))
        with Client(
            policy.workflows["general-chat"],
            api_key=CANARY_KEY,
            workflow_name="general-chat",
            transport=recorder.transport(httpx.HTTPTransport()),
            telemetry=recorder,
        ) as client:
            secret = "my account number is 4242"
            messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": secret}]
            client.chat(messages, stream=False)
            client.chat(messages, stream=False)
    text = log.read_text()
    assert CANARY_KEY not in text and "4242" not in text and "Be brief" not in text
    first, second = read_log(log)
    assert (first.t, second.t) == (1000.0, 1010.0)
    assert first.workflow == "general-chat" and first.prompt_tokens == 21 and first.answer_tokens == 2
    assert first.ok and not first.stream and not first.tools
    # Two requests of one conversation share its routing key.
    assert first.conversation == second.conversation == conversation_key(messages, {})


def test_sampling_keeps_whole_conversations_and_the_summary_scales(tmp_path: Path) -> None:
    from orcli.traffic.log import TrafficEntry, write_log
    from orcli.traffic.summary import summarize

    entries = [
        TrafficEntry(float(i), "chat", "chat", 100, 10, False, False, False, f"{i % 7:016x}", True, sample=0.5)
        for i in range(70)
    ]
    write_log(entries, tmp_path / "sampled.jsonl")
    summary = summarize(read_log(tmp_path / "sampled.jsonl"))
    assert summary.requests == 70 and summary.estimated_requests == 140
    assert summary.conversations == 7 and summary.turns_per_conversation == 10


def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"v":1,"t":0,"workflow":"chat"}\n{"v":1,"t":"soon","workflow":"chat"}\n')
    result = runner.invoke(app, ["traffic", "summarize", str(log)])
    assert result.exit_code == 2
    assert result.stderr == f'{log}:2: t: expected a number, got "soon"\n'


def test_an_unmapped_workflow_is_a_scenario_error(tmp_path: Path, recorded: Path) -> None:
    text = recorded.read_text().replace('"workflow":"general-chat"', '"workflow":"support"')
    (tmp_path / "other.jsonl").write_text(text)
    scenario = tmp_path / "replayed.yaml"
    scenario.write_text(replaying("other.jsonl"))
    result = runner.invoke(app, ["drill", str(scenario), "-q"])
    assert result.exit_code == 2
    assert "has requests of workflow(s) support this scenario does not drill" in result.stderr
    assert result.stderr.startswith(f"{scenario}:5:")
    scenario.write_text(replaying("other.jsonl", "  workflow_map: {support: general-chat}\n"))
    drill(str(scenario))


def test_speed_without_replay_is_a_scenario_error(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(RECORDED.replace("  concurrency: 8\n", "  concurrency: 8\n  speed: 2\n"))
    result = runner.invoke(app, ["drill", str(scenario), "-q"])
    assert result.exit_code == 2
    assert "'speed' and 'workflow_map' apply to a replayed log" in result.stderr


def test_a_missing_log_is_named_at_the_scenario_field(tmp_path: Path) -> None:
    scenario = tmp_path / "replayed.yaml"
    scenario.write_text(replaying("missing.jsonl"))
    result = runner.invoke(app, ["drill", str(scenario), "-q"])
    assert result.exit_code == 2
    assert result.stderr == f"{scenario}:5:11: traffic.replay: traffic log not found: {tmp_path / 'missing.jsonl'}\n"
