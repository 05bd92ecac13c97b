"""What the clients put on the wire: one POST per attempt, no cookies kept, no redirects
followed, a product User-Agent, and the environment's proxy when no transport is given."""

from __future__ import annotations

import httpx
import pytest

from orcli import __version__
from orcli.client.http import environment_proxy
from orcli.clock import VirtualClock
from orcli.policy.model import ErrorClass

from .fakes import FakeOpenRouter, Reply, ok
from .helpers import HELLO, client, workflow


def test_requests_carry_the_orcli_user_agent_and_the_attempts_own_headers() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([ok()], clock)
    assert client(fake, clock).chat(HELLO).ok
    sent = fake.requests[0]
    assert sent.method == "POST"
    assert sent.headers["user-agent"] == f"orcli/{__version__}"
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["idempotency-key"]


def test_a_cookie_set_by_the_api_is_not_sent_back() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([Reply(200, ok().json_body, headers={"set-cookie": "session=abc; Path=/"}), ok()], clock)
    c = client(fake, clock)
    assert c.chat(HELLO).ok and c.chat(HELLO).ok
    assert len(fake.requests) == 2
    assert "cookie" not in fake.requests[1].headers


def test_a_redirect_is_an_error_not_followed_with_the_key_attached() -> None:
    clock = VirtualClock()
    moved = Reply(307, {"error": {"code": 307, "message": "moved"}}, headers={"location": "https://elsewhere.example/"})
    fake = FakeOpenRouter([moved], clock)
    wf = workflow(retry={"max_attempts": 1})
    result = client(fake, clock, wf).chat(HELLO)
    assert not result.ok
    assert [str(r.url) for r in fake.requests] == ["http://gateway.internal/v1/chat/completions"]
    assert result.attempts[0].status == 307
    assert result.error_class is not None and result.error_class is not ErrorClass.AUTH


def test_environment_proxy_follows_https_proxy_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    url = httpx.URL("https://openrouter.ai/api/v1/chat/completions")
    assert environment_proxy(url) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert environment_proxy(url) == "http://proxy.corp:3128"
    monkeypatch.setenv("NO_PROXY", "openrouter.ai")
    assert environment_proxy(url) is None
    assert environment_proxy(httpx.URL("https://gateway.internal/v1")) == "http://proxy.corp:3128"


def test_all_proxy_applies_when_no_scheme_proxy_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.corp:1080")
    assert environment_proxy(httpx.URL("https://openrouter.ai/api/v1")) == "socks5://proxy.corp:1080"
