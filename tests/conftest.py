"""Shared fixtures. Tests never touch the network and never see a real key."""

from __future__ import annotations

import uuid
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


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    """A private redis-server for the whole session (see tests/redis_server.py)."""
    from tests.redis_server import redis_server

    with redis_server() as port:
        yield port


@pytest.fixture
def redis_url(redis_port: int) -> str:
    """A ``redis://`` store location of its own: a prefix no other test uses."""
    return f"redis://127.0.0.1:{redis_port}/0?prefix=t{uuid.uuid4().hex[:12]}:"
