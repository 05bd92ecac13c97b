"""respx stands in for the live API: the default transport, the real base URL."""

from __future__ import annotations

import json

import httpx
import respx

from orcli.client.sync_client import Client
from orcli.clock import VirtualClock

from .fakes import completion, error
from .helpers import CANARY_KEY, HELLO, PRIMARY, SECOND, THIRD, workflow

URL = "https://openrouter.ai/api/v1/chat/completions"


def test_live_api_request_shape_and_failover_via_models() -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.post(URL).mock(
            side_effect=[
                httpx.Response(429, json=error(429, "Rate limit exceeded"), headers={"Retry-After": "2"}),
                httpx.Response(200, json=completion("Hi!", model=SECOND, provider="Anthropic")),
            ]
        )
        clock = VirtualClock()
        c = Client(workflow(provider={"zdr": True}), api_key=CANARY_KEY, clock=clock, app_url="https://acme.example")
        result = c.chat(HELLO, max_tokens=64)

        assert c.fallback_mode == "openrouter"
        assert result.ok and result.served_model == SECOND and result.served_provider == "Anthropic"
        assert clock.now() >= 2.0  # waited out the Retry-After on the virtual clock
        first, second = route.calls
        body = json.loads(first.request.content)
        assert body == {
            "model": PRIMARY,
            "models": [SECOND, THIRD],
            "provider": {"zdr": True},
            "messages": HELLO,
            "max_tokens": 64,
        }
        assert first.request.headers["authorization"] == f"Bearer {CANARY_KEY}"
        assert first.request.headers["http-referer"] == "https://acme.example"
        assert first.request.headers["idempotency-key"] == second.request.headers["idempotency-key"]
