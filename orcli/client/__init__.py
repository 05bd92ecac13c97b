"""The resilient client: the app-side half of a workflow policy.

``Client`` (sync) and ``AsyncClient`` apply one workflow's timeouts, retries, fallbacks,
circuit breakers, budgets and validation to chat-completion calls and return a
:class:`ChatResult` with the attempt ledger. They are imported lazily so that
``import orcli.client.ledger`` (used by reports) does not pull in httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orcli.client.ledger import Attempt, ChatResult, ToolCall, UpstreamHop

if TYPE_CHECKING:
    from orcli.client.async_client import AsyncClient
    from orcli.client.sync_client import Client

__all__ = ["AsyncClient", "Attempt", "ChatResult", "Client", "ToolCall", "UpstreamHop"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from orcli.client.sync_client import Client

        return Client
    if name == "AsyncClient":
        from orcli.client.async_client import AsyncClient

        return AsyncClient
    raise AttributeError(f"module 'orcli.client' has no attribute {name!r}")
