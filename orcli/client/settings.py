"""Building a client's :class:`~orcli.client.core.Settings` from constructor arguments (both clients)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from orcli.catalog.model import Catalog
from orcli.client.core import FallbackChoice, Settings, explicit_stops_need_client_chain, resolve_mode
from orcli.client.keys import ENV_VAR, resolve_api_key
from orcli.errors import ClientConfigError
from orcli.openrouter import is_openrouter
from orcli.policy.model import Workflow


def build_settings(
    workflow: Workflow,
    *,
    api_key: str | None,
    base_url: str,
    transport: object | None,
    fallback_mode: FallbackChoice | None,
    workflow_name: str,
    catalog: Catalog | None,
    app_url: str | None,
    app_title: str | None,
    wall_now: Callable[[], float] | None,
) -> Settings:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientConfigError(f"base_url must be an http(s) URL, got '{base_url}'")
    key = resolve_api_key(api_key)
    if key is None and transport is None and is_openrouter(base_url):
        raise ClientConfigError(f"no OpenRouter API key: set {ENV_VAR} or pass api_key=")
    requested = fallback_mode or workflow.app_fallback.mode
    mode = resolve_mode(requested, base_url, transport)
    if requested == "auto" and explicit_stops_need_client_chain(workflow):
        mode = "client"
    return Settings(
        workflow=workflow,
        workflow_name=workflow_name,
        mode=mode,
        chat_url=base_url.rstrip("/") + "/chat/completions",
        key=key,
        app_url=app_url,
        app_title=app_title,
        catalog=catalog,
        wall_now=wall_now or time.time,
    )
