"""respx stands in for https://openrouter.ai/api/v1; drills run on the virtual-time loop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

API = "https://openrouter.ai/api/v1"
CHAT = f"{API}/chat/completions"
CANARY_KEY = "sk-or-v1-canary5c1f0e9a7d3b2c8e4f6a0b1d"
PRIMARY = "openai/gpt-4o-mini"
FALLBACK = "anthropic/claude-haiku-4.5"

POLICY = f"""\
version: 1
workflows:
  chat:
    models:
      primary: {PRIMARY}
      fallbacks: [{FALLBACK}]
    timeouts: {{connect_s: 1, attempt_s: 4, total_s: 20}}
    retry:
      max_attempts: 2
      backoff: {{initial_s: 0.01, max_s: 0.02}}
"""


def write_scenario(
    folder: Path,
    *,
    requests: int = 3,
    concurrency: int = 4,
    faults: str = "",
    mix: str = "",
    expect: str = "  - kind: success_rate\n    min: 0\n",
    name: str = "live-check",
) -> Path:
    (folder / "policy.yaml").write_text(POLICY)
    text = (
        f"name: {name}\npolicy: policy.yaml\ntarget: live\nseed: 3\n"
        f"traffic:\n  requests: {requests}\n  rate_per_s: 100\n  concurrency: {concurrency}\n{mix}"
        + (f"faults:\n{faults}" if faults else "")
        + f"expect:\n{expect}"
    )
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def completion(
    *,
    model: str = PRIMARY,
    provider: str = "OpenAI",
    cost: float | None = 0.00002,
    gen_id: str = "gen-1767373622-AbCdEfGhIjKlMnOpQrSt",
    content: str = "Hello from the live API.",
    tool_calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    usage: dict[str, Any] = {"prompt_tokens": 60, "completion_tokens": 8, "total_tokens": 68}
    if cost is not None:
        usage["cost"] = cost
    return {
        "id": gen_id,
        "provider": provider,
        "model": model,
        "object": "chat.completion",
        "created": 1767373622,
        "choices": [{"index": 0, "finish_reason": "tool_calls" if tool_calls else "stop", "message": message}],
        "usage": usage,
    }


def ok(**kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json=completion(**kwargs))


def error(status: int, message: str = "Provider returned error", **headers: str) -> httpx.Response:
    body = {"error": {"code": status, "message": message, "metadata": {"error_type": "server"}}}
    return httpx.Response(status, json=body, headers=headers)


def sse(pieces: list[str], *, model: str = PRIMARY, provider: str = "OpenAI", cost: float = 0.00003) -> httpx.Response:
    head = {"id": "gen-1767373622-StreamStreamStreamStr", "object": "chat.completion.chunk", "created": 1767373622}
    head |= {"model": model, "provider": provider}
    events = [": OPENROUTER PROCESSING"]
    for i, piece in enumerate(pieces):
        delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
        events.append("data: " + json.dumps({**head, "choices": [{"index": 0, "delta": delta}]}))
    finish = {"index": 0, "delta": {}, "finish_reason": "stop"}
    events.append("data: " + json.dumps({**head, "choices": [finish]}))
    usage = {"prompt_tokens": 60, "completion_tokens": len(pieces), "total_tokens": 60 + len(pieces), "cost": cost}
    events.append("data: " + json.dumps({**head, "choices": [], "usage": usage}))
    events.append("data: [DONE]")
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=("\n\n".join(events) + "\n\n").encode()
    )


def sent_bodies(route: respx.Route) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in route.calls]


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """The live API, faked; any request to another host fails the test."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router
