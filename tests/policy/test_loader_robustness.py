"""Whatever a policy file holds, loading and linting it either works or raises InputError.

Three sources of input: arbitrary bytes, arbitrary YAML documents (generated structures
dumped by PyYAML), and valid example policies with one part mutated. Runs are
derandomized so a failure reproduces on every machine.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orcli.catalog import default_catalog
from orcli.cli.app import app
from orcli.errors import InputError, SourceError
from orcli.policy.lint import lint_policy
from orcli.policy.load import load_policy

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = [load_policy(p).document.data for p in sorted((ROOT / "policies").glob("*.yaml"))]
runner = CliRunner()

robust = settings(
    derandomize=True,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_file(path: Path) -> None:
    """Load and lint; the only exception allowed out is an InputError with a one-line message."""
    try:
        loaded = load_policy(path)
    except InputError as exc:
        assert "\n" not in exc.message
        assert exc.message.startswith(str(path))
        if isinstance(exc, SourceError):
            assert exc.line >= 1
            assert exc.col >= 1
        return
    for finding in lint_policy(loaded, default_catalog()):
        assert finding.line >= 1
        assert "\n" not in finding.message


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["openai/gpt-4o", "fallback", "fail_safe", "queue", "price", "regulated", "deepinfra", "on"]),
)
keys = st.one_of(
    st.sampled_from(
        ["workflows", "models", "primary", "fallbacks", "provider", "needs", "retry", "on", "only", "version"]
    ),
    st.text(min_size=1, max_size=10),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=20,
)


@robust
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    check_file(path)


@robust
@given(doc=documents)
def test_arbitrary_yaml_documents(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    check_file(path)


@robust
@given(doc=st.dictionaries(st.just("workflows"), st.dictionaries(keys, documents, max_size=3), min_size=1))
def test_arbitrary_workflows(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc))
    check_file(path)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


@st.composite
def mutated_policies(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    target = draw(st.sampled_from(_paths(doc)[1:]))
    parent = doc
    for part in target[:-1]:
        parent = parent[part]
    last = target[-1]
    action = draw(st.sampled_from(["replace", "delete", "add-sibling"]))
    if action == "replace":
        parent[last] = draw(documents)
    elif action == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(keys)] = draw(documents)
    else:
        parent.append(draw(documents))
    return doc


@robust
@given(doc=mutated_policies())
def test_mutated_example_policies(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    check_file(path)


@settings(derandomize=True, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200) | documents.map(lambda d: yaml.safe_dump(d).encode()))
def test_validate_command_exits_cleanly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith(str(path))
