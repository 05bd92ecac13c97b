"""A catalog file or an overrides file that repeats an id is refused, naming the id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orcli.catalog import default_catalog
from orcli.catalog.load import load_catalog
from orcli.errors import OrcliError
from orcli.overrides.store import load_overrides


def _write_catalog(tmp_path: Path, models: list[dict[str, object]]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"version": 1, "models": models}))
    return path


def _first_model() -> dict[str, object]:
    return default_catalog().models[0].model_dump(mode="json")


def test_a_model_listed_twice_is_refused(tmp_path: Path) -> None:
    model = _first_model()
    with pytest.raises(OrcliError, match=f"model '{model['id']}' appears twice"):
        load_catalog(_write_catalog(tmp_path, [model, model]))


def test_an_endpoint_tag_listed_twice_is_refused(tmp_path: Path) -> None:
    model = _first_model()
    endpoints = model["endpoints"]
    assert isinstance(endpoints, list)
    model["endpoints"] = [endpoints[0], endpoints[0]]
    with pytest.raises(OrcliError, match=r"endpoint tag '[a-z0-9/-]+' appears twice"):
        load_catalog(_write_catalog(tmp_path, [model]))


def test_distinct_models_load(tmp_path: Path) -> None:
    models = [m.model_dump(mode="json") for m in default_catalog().models[:2]]
    assert [m.id for m in load_catalog(_write_catalog(tmp_path, models)).models] == [m["id"] for m in models]


def test_an_override_id_listed_twice_is_refused(tmp_path: Path) -> None:
    override = (
        "  - id: ovr-00000001\n    action: disable\n    provider: groq\n    reason: test\n"
        "    created_at: 2030-01-01T00:00:00Z\n    created_by: me\n"
    )
    path = tmp_path / "overrides.yaml"
    path.write_text("version: 1\noverrides:\n" + override + override)
    with pytest.raises(OrcliError, match="duplicate override id 'ovr-00000001'"):
        load_overrides(path)
