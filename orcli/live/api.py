"""Read-only calls to the OpenRouter API (models, endpoints, key), with retries.

Used by ``orcli catalog pull`` and ``orcli doctor``. A 429 or 5xx answer and a transport
error are retried with exponential backoff (``base_backoff_s * 2**n``, or the
``Retry-After`` seconds when the answer gives them, capped at ``max_wait_s``); anything
else fails at once. Waits go through an injected :class:`~orcli.clock.Clock`, so tests
never sleep. The key is only ever sent to the configured base URL, never in a redirect.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httpx

from orcli.client.keys import ApiKey, redact
from orcli.clock import Clock, SystemClock

RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 524, 529})
_MESSAGE_MAX = 160


class ApiCallFailed(Exception):
    """One call failed for good. The message is short and free of secrets."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Retries:
    max_attempts: int = 4
    base_backoff_s: float = 0.5
    max_wait_s: float = 30.0


class ApiReader:
    def __init__(
        self,
        base_url: str,
        key: ApiKey | None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        retries: Retries = Retries(),
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._clock = clock or SystemClock()
        self._retries = retries
        self._http = httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False)
        self.calls = 0  # HTTP requests made, retries included

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, str] | None = None, *, retry: bool = True) -> httpx.Response:
        """The final response (any status) after retries; ApiCallFailed when none came."""
        headers = {"Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        url = self.base_url + path
        attempts = self._retries.max_attempts if retry else 1
        last: str = "no attempt made"
        for attempt in range(attempts):
            self.calls += 1
            try:
                response = self._http.get(url, params=params, headers=headers)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__} reaching {self.base_url}"
                wait_s = self._backoff_s(attempt, None)
            else:
                if response.status_code not in RETRIED_STATUSES or attempt == attempts - 1:
                    return response
                last = f"HTTP {response.status_code}"
                wait_s = self._backoff_s(attempt, response.headers.get("retry-after"))
            if attempt < attempts - 1:
                self._clock.sleep(wait_s)
        raise ApiCallFailed(f"{last} (after {attempts} attempts)")

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        response = self.get(path, params)
        if response.status_code != 200:
            raise ApiCallFailed(f"HTTP {response.status_code}: {self.error_message(response)}", response.status_code)
        try:
            return response.json()
        except ValueError:
            raise ApiCallFailed(f"HTTP 200 with a body that is not JSON from {path}") from None

    def error_message(self, response: httpx.Response) -> str:
        """OpenRouter's error message, shortened and scrubbed of anything key-shaped."""
        try:
            error = response.json().get("error")
            message = error.get("message") if isinstance(error, dict) else None
        except (ValueError, AttributeError):
            message = None
        text = message if isinstance(message, str) and message else response.reason_phrase or "error"
        text = redact(" ".join(text.split()), self._key)
        return text if len(text) <= _MESSAGE_MAX else text[: _MESSAGE_MAX - 1] + "…"

    def _backoff_s(self, attempt: int, retry_after: str | None) -> float:
        # Keep in sync: docs/live.md gives the resulting waits (0.5 s, 1 s, 2 s) for the defaults.
        wait: float = self._retries.base_backoff_s * 2**attempt
        if retry_after is not None:
            with contextlib.suppress(ValueError):  # an HTTP date: keep the backoff
                wait = max(0.0, float(retry_after))
        return min(wait, self._retries.max_wait_s)
