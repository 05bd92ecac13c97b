"""orcli for an app's own test suite: the in-process mock and the pytest plugin.

The plugin (``orcli.testing.pytest_plugin``) is registered with pytest by the package's
``pytest11`` entry point; its fixtures are ``orcli_mock`` and ``orcli_scenario``. The names
below are imported lazily: pytest loads the plugin in every session of a project that has
orcli installed, and a session that uses none of it should not pay for httpx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orcli.testing.clock import MockClock
    from orcli.testing.mock import MOCK_BASE_URL, FaultError, OrcliMock, parse_fault

__all__ = ["MOCK_BASE_URL", "FaultError", "MockClock", "OrcliMock", "parse_fault"]


def __getattr__(name: str) -> Any:
    # import_module rather than ``from orcli.testing import mock``: it goes by sys.modules,
    # so a module reloaded between test sessions (pytester) is never mixed with its old copy.
    if name == "MockClock":
        return import_module("orcli.testing.clock").MockClock
    if name in __all__:
        return getattr(import_module("orcli.testing.mock"), name)
    raise AttributeError(f"module 'orcli.testing' has no attribute {name!r}")
