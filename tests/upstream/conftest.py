from __future__ import annotations

import pytest

from orcli.catalog.model import Catalog
from tests.upstream.support import CATALOG_DATA


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.model_validate(CATALOG_DATA)
