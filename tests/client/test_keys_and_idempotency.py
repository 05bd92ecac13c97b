"""The key is sent and never shown; one idempotency key per logical request."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
import uuid
from dataclasses import asdict
from typing import Any

import httpx
import pytest

from orcli.client.keys import ApiKey, redact
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.errors import ClientConfigError
from orcli.policy.model import ErrorClass

from .fakes import FakeOpenRouter, Reply, completion, fail, ok, tool_call
from .helpers import CANARY_KEY, GATEWAY, HELLO, client, workflow


def test_canary_key_is_sent_but_appears_in_no_record_repr_error_or_log(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY_KEY)
    clock = VirtualClock()
    script = [
        # Gateways that echo the key they saw, as some do.
        fail(429, f"rate limited for key {CANARY_KEY[:-4]}…", {"Retry-After": "1"}),
        Reply(exception=httpx.ConnectError),
        Reply(200, {"error": {"code": 502, "message": f"Bearer {CANARY_KEY} failed upstream"}}),
        ok(),
        fail(401, f"Incorrect API key provided: {CANARY_KEY}"),
    ]
    fake = FakeOpenRouter(script, clock)
    wf = workflow(retry={"max_attempts": 5, "max_attempts_per_route": 5, "on": {"provider_failure": "retry"}})
    c = Client(wf, base_url=GATEWAY, transport=fake.transport(), clock=clock)  # key from the environment
    served = c.chat(HELLO)
    result = c.chat(HELLO)
    assert served.ok and result.error_class is ErrorClass.AUTH
    assert all(r.headers["authorization"] == f"Bearer {CANARY_KEY}" for r in fake.requests)

    outputs = [repr(c), str(c), caplog.text]
    for record in (served, result):
        outputs += [repr(record), str(record), repr(asdict(record)), str(record.error_message)]
        outputs += [a.detail for a in record.attempts] + list(record.alerts)
    try:
        Client(wf, api_key=CANARY_KEY, base_url="not a url")
    except ClientConfigError as exc:
        outputs.append(str(exc))
    joined = "\n".join(outputs)
    assert CANARY_KEY not in joined
    assert CANARY_KEY[8:-4] not in joined  # nor most of it
    assert "[redacted]" in result.attempts[0].detail and "[redacted]" in served.attempts[2].detail


def test_api_key_wrapper_masks_itself() -> None:
    key = ApiKey(CANARY_KEY)
    assert CANARY_KEY not in f"{key} {key!r} {key:>10}"
    assert repr(key) == "ApiKey('sk-or-v1-***')"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert redact(f"key={CANARY_KEY}", key) == "key=[redacted]"


def test_missing_key_for_openrouter_is_a_clear_usage_error() -> None:
    with pytest.raises(ClientConfigError, match="no OpenRouter API key: set OPENROUTER_API_KEY or pass api_key="):
        Client(workflow())


def test_no_key_against_a_gateway_sends_no_authorization_header() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([ok()], clock)
    Client(workflow(), base_url=GATEWAY, transport=fake.transport(), clock=clock).chat(HELLO)
    assert "authorization" not in fake.requests[0].headers


def test_one_idempotency_key_across_retries_and_fallbacks() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([fail(500, "boom"), fail(429, "slow", {"Retry-After": "1"}), ok()], clock)
    wf = workflow(retry={"on": {"provider_failure": "retry"}, "max_attempts_per_route": 1})
    result = client(fake, clock, wf).chat(HELLO)
    keys = {r.headers["idempotency-key"] for r in fake.requests}
    assert len(fake.requests) == 3 and keys == {result.idempotency_key}


def test_keys_differ_per_request_are_seeded_and_can_be_given() -> None:
    def keys(seed: int) -> list[str]:
        clock = VirtualClock()
        fake = FakeOpenRouter(lambda body: ok(), clock)
        c = client(fake, clock, seed=seed)
        return [c.chat(HELLO).idempotency_key for _ in range(3)]

    first = keys(1)
    assert len(set(first)) == 3 and keys(1) == first and keys(2) != first
    clock = VirtualClock()
    fake = FakeOpenRouter([ok()], clock)
    assert client(fake, clock).chat(HELLO, idempotency_key="order-42").idempotency_key == "order-42"
    assert fake.requests[0].headers["idempotency-key"] == "order-42"


def test_tool_calls_carry_keys_derived_from_the_request_key() -> None:
    clock = VirtualClock()
    calls = [tool_call("a", "{}", "call_x"), {**tool_call("b", '{"n": 1}', "call_y"), "index": 1}]
    fake = FakeOpenRouter([Reply(200, completion(None, tool_calls=calls, finish_reason="tool_calls"))], clock)
    tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in ("a", "b")]
    result = client(fake, clock).chat(HELLO, tools=tools, idempotency_key="req-7")
    assert [(t.name, t.idempotency_key) for t in result.tool_calls] == [("a", "req-7:0"), ("b", "req-7:1")]


_ONE_PROCESS = """
import json, random
import httpx
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.policy.model import Workflow

calls = []
def handler(request):
    calls.append(request.headers["idempotency-key"])
    if len(calls) == 1:
        return httpx.Response(429, json={"error": {"code": 429, "message": "slow down"}})
    answer = {"message": {"content": "hi"}, "finish_reason": "stop"}
    return httpx.Response(200, json={"model": "m", "choices": [answer]})

clock = VirtualClock()
wf = Workflow.model_validate({"models": {"primary": "openai/gpt-4o-mini"}})
client = Client(wf, base_url="http://gateway.internal/v1", transport=httpx.MockTransport(handler), clock=clock)
result = client.chat([{"role": "user", "content": "hi"}])
print(json.dumps({"key": result.idempotency_key, "jitter": result.attempts[1].wait_before_s}))
"""


def _run_process() -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _ONE_PROCESS], capture_output=True, text=True, check=True)
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def test_two_processes_without_a_seed_send_different_keys_and_draw_different_jitter() -> None:
    first, second = _run_process(), _run_process()
    assert first["key"] != second["key"]
    assert uuid.UUID(first["key"]).version == 4
    assert first["jitter"] != second["jitter"]
    assert 0 < first["jitter"] <= 0.5 and 0 < second["jitter"] <= 0.5


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("bench/model-1 is not a valid model ID", True),
        ("openai/gpt-4o-mini-bench failed", True),
        ("generation gen-bench-7 not found", True),
        ("the benchmark finished", True),
        ("Incorrect API key provided: bench.", False),
        ("Bearer bench was refused", False),
        ("bench", False),
    ],
)
def test_a_short_key_is_masked_where_it_stands_alone_and_nowhere_else(text: str, kept: bool) -> None:
    scrubbed = redact(text, ApiKey("bench"))
    assert (scrubbed == text) is kept
    if not kept:
        assert "bench" not in scrubbed and "[redacted]" in scrubbed


def test_a_short_key_leaves_model_names_in_the_ledger_intact() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([fail(400, "bench/model-1 is not a valid model ID"), fail(401, "bad key bench")], clock)
    wf = workflow(models={"primary": "openai/gpt-4o-mini"})
    c = client(fake, clock, wf, api_key="bench")
    refused = c.chat(HELLO)
    assert refused.attempts[0].detail == "400: bench/model-1 is not a valid model ID"
    assert c.chat(HELLO).attempts[0].detail == "401: bad key [redacted]"
