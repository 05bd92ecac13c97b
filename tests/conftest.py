"""Shared fixtures. Tests never touch the network and never see a real key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# pytest's own fixture for running a test session inside a test: orcli's pytest plugin is tested with it.
pytest_plugins = ("pytester",)

_SCRUBBED = (
    "OPENROUTER_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "ORCLI_OVERRIDES",
    "ORCLI_CATALOG",
    "ORCLI_BASE_URL",
    "ORCLI_APP_URL",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    yield
