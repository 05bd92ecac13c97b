"""A seeded fuzz of the library's scenarios through ``orcli drill``, in process.

Each case takes one library scenario, shrinks its traffic so a case that does run stays
quick, applies one mutation (a key deleted, a value of the wrong type, an extreme value,
an unknown key) at a random place, and runs it. Whatever the mutation, the answer is a
verdict (exit 0 or 1) or one line of bad input (exit 2): never an internal error (exit 3)
and never a traceback. The seed and the case count are fixed, so CI sees the same cases
every run; a failure names the case to replay.
"""

from __future__ import annotations

import copy
import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from orcli.cli.app import app

ROOT = Path(__file__).parent.parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SEED = 20_261_202
CASES = int(os.environ.get("ORCLI_FUZZ_CASES", "100"))  # more for a deeper local run

EXTREMES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**9,
    2**63,
    -(2**63),
    1e-300,
    "1e400",
    "-1e400",
    ".nan",
    "",
    "x" * 2000,
    "\u202e\x07",
    [],
    {},
    [[[]]],
    {"deep": {"er": [1, 2]}},
]

cli = CliRunner()


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document: mapping keys and list items, depth first."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*here, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(_paths(item, (*here, i)))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _mutate(doc: dict[str, Any], rng: random.Random) -> str:
    places = [p for p in _paths(doc) if p]
    path = rng.choice(places)
    parent, last = _parent(doc, path), path[-1]
    operation = rng.choice(["delete", "wrong type", "extreme", "unknown key"])
    if operation == "delete":
        del parent[last]
    elif operation == "wrong type":
        value = parent[last]
        parent[last] = [value] if not isinstance(value, list) else {"x": value} if rng.random() < 0.5 else str(value)
    elif operation == "extreme":
        parent[last] = copy.deepcopy(rng.choice(EXTREMES))
    else:
        target = parent[last] if isinstance(parent[last], dict) else parent if isinstance(parent, dict) else doc
        target[rng.choice(["bogus", "strem", "needs", "kind", "id", "faults", "provider"])] = rng.choice(EXTREMES)
    return f"{operation} at {'.'.join(map(str, path))}"


def _shrunk(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    traffic = doc.get("traffic", {})
    traffic.pop("duration_s", None)
    traffic["requests"] = 12  # a mutation that still runs takes a moment, not minutes
    doc["policy"] = str((path.parent / doc["policy"]).resolve())
    if "overrides" in doc:
        doc["overrides"] = str((path.parent / doc["overrides"]).resolve())
    return doc


def _cases() -> list[tuple[int, Path]]:
    rng = random.Random(SEED)
    return [(case, rng.choice(SCENARIOS)) for case in range(CASES)]


@pytest.mark.parametrize(("case", "source"), _cases(), ids=lambda v: str(v) if isinstance(v, int) else v.stem)
def test_a_mutated_scenario_never_crashes(tmp_path: Path, case: int, source: Path) -> None:
    rng = random.Random(SEED * 1000 + case)
    doc = _shrunk(source)
    what = _mutate(doc, rng)
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    result = cli.invoke(app, ["drill", str(path), "-q"])
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), f"case {case} ({source.name}, {what}): exit {result.exit_code}\n{output}"
    assert "Traceback" not in output and "internal error" not in output, f"case {case} ({what})"
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].strip(), f"case {case} ({what}): {result.stderr!r}"
