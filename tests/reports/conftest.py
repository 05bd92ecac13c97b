"""Fixtures for the report tests: drill records built by hand (see factory.py)."""

from __future__ import annotations

import pytest

from .factory import Drills


@pytest.fixture
def drills() -> Drills:
    return Drills()
