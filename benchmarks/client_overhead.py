"""Client overhead: requests per second through the resilient client against a bare httpx
round trip, both over the same in-process transport and the same answer.

    PYTHONPATH=. python benchmarks/client_overhead.py [N]

Prints the median of five runs of each and their ratio (the drill-throughput target asks
the client path to keep at least half the bare rate).
"""

from __future__ import annotations

import statistics
import sys
import time

import httpx

from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.policy.model import Workflow

ANSWER = {
    "id": "gen-1-bench",
    "provider": "OpenAI",
    "model": "openai/gpt-4o-mini",
    "object": "chat.completion",
    "created": 1,
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello there."}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15, "cost": 0.00001},
}
MESSAGES = [{"role": "user", "content": "Say hello."}]


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=ANSWER)


def bare(n: int) -> float:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    body = {"model": "openai/gpt-4o-mini", "models": ["anthropic/claude-haiku-4.5"], "messages": MESSAGES}
    start = time.perf_counter()
    for _ in range(n):
        http.post("https://openrouter.ai/api/v1/chat/completions", json=body).json()
    return n / (time.perf_counter() - start)


def through_client(n: int) -> float:
    workflow = Workflow.model_validate(
        {"models": {"primary": "openai/gpt-4o-mini", "fallbacks": ["anthropic/claude-haiku-4.5"]}}
    )
    client = Client(workflow, api_key="sk-bench", transport=httpx.MockTransport(handler), clock=VirtualClock())
    start = time.perf_counter()
    for _ in range(n):
        assert client.chat(MESSAGES).ok
    return n / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    bare_rates = [bare(n) for _ in range(5)]
    client_rates = [through_client(n) for _ in range(5)]
    b, c = statistics.median(bare_rates), statistics.median(client_rates)
    print(f"bare httpx round trip : {b:8.0f} req/s (median of 5 x {n})")
    print(f"resilient client      : {c:8.0f} req/s")
    print(f"ratio                 : {c / b:8.2f}")


if __name__ == "__main__":
    main()
