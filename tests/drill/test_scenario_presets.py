"""A scenario's ``presets:`` are checked when the file is read and served by its simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcli.drill.scenario import load_scenario
from orcli.errors import InputError
from orcli.upstream.presets import bodies

SCENARIO = """\
name: preset-drill
policy: {policy}
traffic: {{requests: 1, mix: [{{name: chat}}]}}
presets:
  support-chat:
    model: openai/gpt-4o-mini
    provider: {{sort: {sort}}}
    temperature: 0.2
expect:
  - kind: outcomes
    outcome: served
    min_count: 1
"""
POLICY = Path(__file__).parents[2] / "policies" / "general-chat.yaml"


def test_presets_are_read_with_the_scenario(tmp_path: Path) -> None:
    path = tmp_path / "drill.yaml"
    path.write_text(SCENARIO.format(policy=POLICY, sort="price"))
    scenario = load_scenario(path).scenario
    assert bodies(scenario.presets) == {
        "support-chat": {"model": "openai/gpt-4o-mini", "provider": {"sort": "price"}, "temperature": 0.2}
    }


def test_a_bad_preset_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "drill.yaml"
    path.write_text(SCENARIO.format(policy=POLICY, sort="fastest"))
    with pytest.raises(InputError) as raised:
        load_scenario(path)
    assert str(raised.value).startswith(f"{path}:")
    assert "presets.support-chat" in str(raised.value)
