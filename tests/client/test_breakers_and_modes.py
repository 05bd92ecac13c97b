"""Circuit breakers across requests, and the two fallback modes on the wire."""

from __future__ import annotations

from typing import Any

from orcli.catalog import default_catalog
from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.policy.model import ErrorClass

from .fakes import FakeOpenRouter, Reply, completion, fail, ok
from .helpers import CANARY_KEY, HELLO, PRIMARY, SECOND, THIRD, client, workflow

# Without quick same-route retries, so each failing request is one failure of the primary.
BREAKER = {"circuit_breaker": {"failure_threshold": 2, "cool_down_s": 30}, "retry": {"same_route": 0}}
NO_QUICK_RETRY = {"same_route": 0}


def test_flapping_primary_is_bypassed_during_the_outage_and_used_again_soon_after_it_recovers() -> None:
    clock = VirtualClock()

    def upstream(body: dict[str, Any]) -> Reply:
        if body["model"] == PRIMARY and clock.now() < 100:
            return fail(502, "Provider returned error")
        return ok(model=body["model"])

    fake = FakeOpenRouter(upstream, clock)
    breaker = {"failure_threshold": 2, "cool_down_s": 5, "max_cool_down_s": 20}
    c = client(fake, clock, workflow(circuit_breaker=breaker, retry=NO_QUICK_RETRY))
    served = []
    for at in (0, 1, 3, 6, 10, 16, 30, 36, 50, 101, 102):
        clock.advance(at - clock.now())
        fake.bodies.clear()
        result = c.chat(HELLO)
        assert result.ok
        served.append((at, [b["model"] for b in fake.bodies]))
    assert served == [
        (0, [PRIMARY, SECOND]),
        (1, [PRIMARY, SECOND]),  # second consecutive failure: the breaker opens for 5 s
        (3, [SECOND]),  # open: the primary is not even tried
        (6, [PRIMARY, SECOND]),  # half-open: one probe, still failing: open for 10 s
        (10, [SECOND]),
        (16, [PRIMARY, SECOND]),  # the next probe fails too: 20 s, the cap
        (30, [SECOND]),
        (36, [PRIMARY, SECOND]),  # capped: at most 20 s between probes while it stays down
        (50, [SECOND]),
        (101, [PRIMARY]),  # recovered at 100: the next probe succeeds and closes the breaker
        (102, [PRIMARY]),
    ]


def test_an_open_breaker_never_empties_the_chain() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter(lambda body: fail(503, "overloaded"), clock)
    breaker = {"failure_threshold": 1, "cool_down_s": 60}
    wf = workflow(models={"primary": PRIMARY}, circuit_breaker=breaker, retry=NO_QUICK_RETRY)
    c = client(fake, clock, wf)
    c.chat(HELLO)
    fake.bodies.clear()
    result = c.chat(HELLO)
    assert [b["model"] for b in fake.bodies] == [PRIMARY]  # still sent: nothing else would remain
    assert result.error_class is ErrorClass.PROVIDER_FAILURE


def openrouter_fake(script: Any, clock: VirtualClock) -> FakeOpenRouter:
    fake = FakeOpenRouter(script, clock)
    fake.openrouter_compatible = True
    return fake


def test_openrouter_mode_sends_the_compiled_fragment() -> None:
    clock = VirtualClock()
    fake = openrouter_fake([ok(model=SECOND)], clock)
    wf = workflow(provider={"sort": "price", "data_collection": "deny"}, needs={"max_output_tokens": 800})
    c = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock, app_url="https://example.app")
    assert c.fallback_mode == "openrouter"
    result = c.chat(HELLO)
    body = fake.bodies[0]
    assert {k: body[k] for k in ("model", "models", "provider", "max_tokens")} == {
        "model": PRIMARY,
        "models": [SECOND, THIRD],
        "provider": {"data_collection": "deny", "sort": "price"},
        "max_tokens": 800,
    }
    headers = fake.requests[0].headers
    assert str(fake.requests[0].url) == "https://openrouter.ai/api/v1/chat/completions"
    assert headers["http-referer"] == "https://example.app" and headers["x-openrouter-title"] == "orcli"
    assert headers["x-openrouter-metadata"] == "enabled"
    assert result.fallback_mode == "openrouter" and result.fallback_depth == 1


def test_auto_mode_walks_the_chain_itself_against_another_base_url() -> None:
    clock = VirtualClock()
    fake = FakeOpenRouter([fail(502, "down"), ok(model=SECOND)], clock)
    c = client(fake, clock, workflow(retry=NO_QUICK_RETRY))
    assert c.fallback_mode == "client"
    c.chat(HELLO)
    assert [("models" in b, b["model"]) for b in fake.bodies] == [(False, PRIMARY), (False, SECOND)]


def test_an_error_for_the_whole_models_list_moves_past_every_model_sent() -> None:
    clock = VirtualClock()
    chain = {
        "primary": "openai/gpt-4o",
        "fallbacks": [PRIMARY, SECOND, THIRD, "deepseek/deepseek-chat-v3"],
    }
    fake = openrouter_fake([fail(502, "Provider returned error"), ok(model="deepseek/deepseek-chat-v3")], clock)
    wf = workflow(models=chain, retry=NO_QUICK_RETRY)
    result = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock).chat(HELLO)
    assert [(b["model"], b.get("models")) for b in fake.bodies] == [
        ("openai/gpt-4o", [PRIMARY, SECOND, THIRD]),  # OpenRouter takes at most three in 'models'
        ("deepseek/deepseek-chat-v3", None),
    ]
    assert result.ok and result.fallback_depth == 4


def test_openrouter_trail_opens_provider_breakers_which_become_provider_ignore() -> None:
    clock = VirtualClock()
    trail = {
        "attempts": [
            {"provider": "OpenAI", "model": PRIMARY, "status": 503},
            {"provider": "Azure", "model": PRIMARY, "status": 200},
        ]
    }
    fake = openrouter_fake(lambda body: Reply(200, completion(provider="Azure", openrouter_metadata=trail)), clock)
    wf = workflow(circuit_breaker={"failure_threshold": 1, "cool_down_s": 60}, provider={"ignore": ["novita"]})
    c = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock, catalog=default_catalog())
    first = c.chat(HELLO)
    assert first.attempts[0].upstream_hops[0].status == 503
    second = c.chat(HELLO)
    assert fake.bodies[1]["provider"]["ignore"] == ["novita", "openai"]
    assert second.attempts[0].ignored_providers == ("openai",)
    clock.advance(61)  # half-open: OpenAI is no longer ignored
    c.chat(HELLO)
    assert fake.bodies[2]["provider"]["ignore"] == ["novita"]


def test_openrouter_trail_showing_the_primary_down_removes_it_from_the_next_window() -> None:
    clock = VirtualClock()
    trail = {
        "attempts": [
            {"provider": "OpenAI", "model": PRIMARY, "status": 502},
            {"provider": "Azure", "model": PRIMARY, "status": 502},
            {"provider": "Anthropic", "model": SECOND, "status": 200},
        ]
    }
    fake = openrouter_fake(
        lambda body: Reply(
            200,
            completion(
                model=body["model"] if body["model"] != PRIMARY else SECOND,
                provider="Anthropic",
                openrouter_metadata=trail,
            ),
        ),
        clock,
    )
    wf = workflow(circuit_breaker={"failure_threshold": 1, "cool_down_s": 60})
    c = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock)
    c.chat(HELLO)
    c.chat(HELLO)
    assert (fake.bodies[1]["model"], fake.bodies[1]["models"]) == (SECOND, [THIRD])


def test_a_bad_answer_from_a_fallback_model_moves_past_it_and_everything_before_it() -> None:
    clock = VirtualClock()
    fourth = "deepseek/deepseek-chat-v3"
    filtered = Reply(200, completion("[removed]", model=SECOND, provider="Anthropic", finish_reason="content_filter"))
    fake = openrouter_fake([filtered, ok(model=fourth)], clock)
    wf = workflow(models={"primary": PRIMARY, "fallbacks": [SECOND, THIRD, fourth]})
    result = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock).chat(HELLO)
    assert result.attempts[0].error_class is ErrorClass.MODERATION
    assert result.attempts[0].served_model == SECOND
    assert (fake.bodies[1]["model"], fake.bodies[1]["models"]) == (THIRD, [fourth])
    assert result.ok and result.fallback_depth == 3


def test_from_policy_reads_the_workflow_by_name(tmp_path: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "workflows:\n  support:\n    models: {primary: openai/gpt-4o-mini, fallbacks: [anthropic/claude-haiku-4.5]}\n"
        "    app_fallback: {mode: client}\n"
    )
    clock = VirtualClock()
    fake = openrouter_fake([ok()], clock)
    c = Client.from_policy(path, "support", api_key=CANARY_KEY, transport=fake.transport(), clock=clock)
    assert c.fallback_mode == "client"  # the policy's mode wins over the transport's routing
    result = c.chat(HELLO)
    assert result.workflow == "support" and result.chain == (PRIMARY, SECOND)
    assert "models" not in fake.bodies[0]
