"""Load a catalog: the embedded default, or a user's file (YAML or JSON)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from orcli.catalog.model import Catalog
from orcli.sourcefile import load_document, parse_model

ENV_VAR = "ORCLI_CATALOG"


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The embedded catalog. Its figures are illustrative, not live prices."""
    text = resources.files("orcli.catalog").joinpath("data/default.json").read_text("utf-8")
    # Trusted package data: plain json is several times faster than the line-tracking loader.
    return Catalog.model_validate(json.loads(text))


def load_catalog(path: str | Path | None = None) -> Catalog:
    """``path`` if given, else the embedded default."""
    if path is None:
        return default_catalog()
    document = load_document(path)
    if document.data is None:
        raise document.error((), "empty catalog file: expected 'models:'")
    catalog = parse_model(document, Catalog)
    return catalog.model_copy(update={"source": str(path)}) if catalog.source == "embedded" else catalog
