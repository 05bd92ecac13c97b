"""Where OpenRouter is: its API base URL, and how to tell its hosts from any other.

Standard library only, on purpose: the command line reads the default base URL at
start-up, before anything imports httpx or pydantic.
"""

from __future__ import annotations

from urllib.parse import urlsplit

BASE_URL = "https://openrouter.ai/api/v1"
HOST = "openrouter.ai"


def is_openrouter(url: str) -> bool:
    """Whether ``url`` points at openrouter.ai or one of its subdomains (any scheme, port or path)."""
    host = (urlsplit(url).hostname or "").lower()
    return host == HOST or host.endswith(f".{HOST}")
