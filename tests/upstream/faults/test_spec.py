"""Faults files: every kind parses, ids are assigned, mistakes name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from orcli.errors import InputError, SourceError
from orcli.upstream.faults import FAULT_KINDS, FaultSpec, OutageFault, parse_faults, with_ids

EVERY_KIND = """\
faults:
  - {kind: outage, provider: openai, status: 503, start_s: 60, end_s: 120}
  - {kind: rate_limit, scope: openrouter, retry_after_s: 2, every: 3}
  - {kind: timeout, model: openai/gpt-4o, seconds: 30}
  - {kind: latency, add_s: 2, distribution: exponential, probability: 0.5}
  - {kind: connection_reset, phase: connect, first: 1}
  - {kind: malformed_tool_call, mode: schema_violation}
  - {kind: invalid_response, mode: empty_choices, from_request: 3, to_request: 5}
  - {kind: auth}
  - {kind: billing, message: no credits}
  - {kind: moderation, reasons: [hate]}
  - {kind: context_length, model: anthropic/claude-haiku-4.5}
  - {kind: bad_request, model: google/gemini-2.5-flash, message: prefill is not supported}
  - {kind: no_endpoints, provider: azure}
  - {kind: stream_cut, after_tokens: 4}
  - {kind: stream_stall, seconds: 20, flap_period_s: 60, flap_down_s: 10}
  - {kind: malformed_sse}
  - {kind: missing_done}
  - {id: late-error, kind: stream_error, code: 429}
  - {id: budget-spent, kind: budget, scope: guardrail, limit_usd: 50, period: daily}
"""


def write(tmp_path: Path, text: str, name: str = "faults.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_kind_parses_with_default_ids(tmp_path: Path) -> None:
    faults = parse_faults(write(tmp_path, EVERY_KIND))
    assert [f.kind_name for f in faults] == list(FAULT_KINDS)
    assert [f.id for f in faults][:3] == ["outage-1", "rate_limit-2", "timeout-3"]
    assert faults[-2].id == "late-error" and faults[-1].id == "budget-spent"
    assert faults[1].stage == "request" and faults[0].stage == "attempt" and faults[12].stage == "route"


def test_bare_list_and_json_are_accepted(tmp_path: Path) -> None:
    assert parse_faults(write(tmp_path, "- kind: auth\n"))[0].id == "auth-1"
    assert parse_faults(write(tmp_path, '{"faults": [{"kind": "billing"}]}', "f.json"))[0].kind_name == "billing"
    assert parse_faults(write(tmp_path, "")) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "faults:\n  - kind: outage\n    status: 418\n",
            "faults.yaml:3:13: faults[0].status: input should be 500, 502, 503, 504, 524 or 529",
        ),
        (
            "faults:\n  - kind: outage\n    provder: openai\n",
            "faults.yaml:3:5: faults[0].provder: unknown key; did you mean 'provider'?",
        ),
        (
            "faults:\n  - kind: meltdown\n",
            "faults.yaml:2:11: faults[0].kind: unknown kind 'meltdown'; expected one of: outage, rate_limit,",
        ),
        (
            "faults:\n  - kind: outge\n",
            "faults.yaml:2:11: faults[0].kind: unknown kind 'outge'; did you mean 'outage'?",
        ),
        ("faults:\n  - provider: openai\n", "faults.yaml:2:5: faults[0]: required key 'kind' is missing"),
        (
            "faults:\n  - kind: outage\n    start_s: 10\n    end_s: 5\n",
            "faults.yaml:2:5: faults[0]: end_s must be after start_s",
        ),
        (
            "faults:\n  - kind: stream_stall\n    flap_down_s: 5\n",
            "faults.yaml:2:5: faults[0]: flap_down_s needs flap_period_s",
        ),
        (
            "faults:\n  - {kind: auth, id: a}\n  - {kind: billing, id: a}\n",
            "faults.yaml:2:3: faults: fault id 'a' appears twice",
        ),
        ("faults: [\n", "faults.yaml:2:1: YAML syntax error"),
    ],
)
def test_mistakes_name_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as info:
        parse_faults(path)
    assert str(info.value).startswith(f"{tmp_path}/{message}")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        parse_faults(tmp_path / "absent.yaml")


def test_specs_are_frozen_and_embeddable() -> None:
    adapter = TypeAdapter(list[FaultSpec])
    (fault,) = adapter.validate_python([{"kind": "outage", "provider": "openai"}])
    assert isinstance(fault, OutageFault)
    with pytest.raises(ValueError):
        fault.status = 500  # type: ignore[misc]
    assert with_ids([fault, fault.model_copy(update={"id": "x"})])[0].id == "outage-1"
