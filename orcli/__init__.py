"""orcli: workflow routing policy as code for OpenRouter apps, tested by chaos drills."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orcli.errors import BudgetExceeded, ClientConfigError, ClientError, ClientPolicyError, OrcliError
from orcli.version import __version__

if TYPE_CHECKING:
    from orcli.client.async_client import AsyncClient
    from orcli.client.sync_client import Client
    from orcli.dropin import async_openai_http_client, chat_result, openai_http_client

__all__ = [
    "AsyncClient",
    "BudgetExceeded",
    "Client",
    "ClientConfigError",
    "ClientError",
    "ClientPolicyError",
    "OrcliError",
    "__version__",
    "async_openai_http_client",
    "chat_result",
    "openai_http_client",
]
_DROPIN = ("async_openai_http_client", "chat_result", "openai_http_client")


def __getattr__(name: str) -> Any:
    # Lazy: `import orcli` (and the CLI's start-up) must not import httpx or jsonschema.
    if name == "Client":
        from orcli.client.sync_client import Client

        return Client
    if name == "AsyncClient":
        from orcli.client.async_client import AsyncClient

        return AsyncClient
    if name in _DROPIN:
        from importlib import import_module

        return getattr(import_module("orcli.dropin"), name)
    raise AttributeError(f"module 'orcli' has no attribute {name!r}")
