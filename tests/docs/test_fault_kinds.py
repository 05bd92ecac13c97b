"""The fault-kind tables in docs/ are rendered from the kind registry: a kind added, renamed or
changed shows up there. ``ORCLI_REGEN_GOLDEN=1`` rewrites the tables in place."""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Literal

import pytest

from orcli.upstream.faults import Behaviour, Effect, Fault, Need, Stage, kinds
from orcli.upstream.faults.kind import kind_name
from tests.docs.project import ROOT

_WHERE = {Stage.REQUEST: "request", Stage.ROUTE: "routing", Stage.ATTEMPT: "provider attempt"}


def where(behaviour: Behaviour) -> str:
    if behaviour.stage is not Stage.RESPONSE:
        return _WHERE[behaviour.stage]
    if behaviour.effect is Effect.STREAM:
        return "stream"
    return "response (non-streamed)" if Need.NO_STREAM in behaviour.needs else "response"


def where_all(kind: type[Fault]) -> str:
    parts = [where(kind.behaviour)]
    for (field, value), behaviour in kind.behaviour_when.items():
        if where(behaviour) not in parts:
            shown = str(value).lower() if isinstance(value, bool) else value
            parts.append(f"{where(behaviour)} with `{field}: {shown}`")
    return "; ".join(parts)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def options(kind: type[Fault]) -> str:
    shown = []
    for name, field in kind.model_fields.items():
        if name == "kind" or name in Fault.model_fields:
            continue
        default = field.default
        choices = typing.get_args(field.annotation) if typing.get_origin(field.annotation) is Literal else ()
        if len(choices) > 1:
            shown.append(f"`{name}` ({', '.join(_value(c) for c in choices)}; default {_value(default)})")
        elif default is None or default is False:
            shown.append(f"`{name}`")
        else:
            shown.append(f"`{name}` ({_value(default)})")
    return ", ".join(shown)


def simulator_table() -> list[str]:
    rows = ["| kind | where | what happens | options |", "|---|---|---|---|"]
    for kind in kinds():
        rows.append(f"| `{kind_name(kind)}` | {where_all(kind)} | {kind.summary} | {options(kind)} |")
    return rows


def scenarios_table() -> list[str]:
    rows = ["| kind | what happens | example |", "|---|---|---|"]
    for kind in kinds():
        rows.append(f"| `{kind_name(kind)}` | {kind.summary} | `{kind.example}` |")
    return rows


def _table_at(lines: list[str], header: str) -> tuple[int, int]:
    start = lines.index(header)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


@pytest.mark.parametrize(
    ("page", "render"), [("simulator.md", simulator_table), ("scenarios.md", scenarios_table)], ids=str
)
def test_fault_kind_table_matches_the_registry(page: str, render: object) -> None:
    assert callable(render)
    path: Path = ROOT / "docs" / page
    lines = path.read_text(encoding="utf-8").split("\n")
    wanted: list[str] = render()
    start, end = _table_at(lines, wanted[0])
    if os.environ.get("ORCLI_REGEN_GOLDEN") == "1":
        lines[start:end] = wanted
        path.write_text("\n".join(lines), encoding="utf-8")
        return
    assert lines[start:end] == wanted, f"docs/{page}: fault kinds table is stale; regenerate with ORCLI_REGEN_GOLDEN=1"


def test_every_kind_example_parses_as_that_kind() -> None:
    import yaml

    from orcli.upstream.faults import parse_faults

    for kind in kinds():
        (spec,) = parse_faults("example.yaml", yaml.safe_dump([yaml.safe_load(kind.example)]))
        assert type(spec) is kind
