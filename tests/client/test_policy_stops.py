"""A policy's explicit ``stop`` holds on OpenRouter too, and a written user message is shown."""

from __future__ import annotations

from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.policy.model import DegradationMode, ErrorClass

from .fakes import FakeOpenRouter, fail, ok
from .helpers import CANARY_KEY, HELLO, PRIMARY, SECOND, workflow

ESCALATE = "A member of our team will pick this up shortly."


def openrouter(script: list, clock: VirtualClock) -> FakeOpenRouter:  # type: ignore[type-arg]
    fake = FakeOpenRouter(script, clock)
    fake.openrouter_compatible = True
    return fake


def test_explicit_moderation_stop_keeps_the_fallbacks_away_from_openrouter() -> None:
    clock = VirtualClock()
    fake = openrouter([fail(403, "Your input was flagged.", reasons=["harassment"], flagged_input="...")], clock)
    wf = workflow(retry={"on": {"moderation": "stop"}}, degradation={"user_message": ESCALATE})
    c = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock)
    assert c.fallback_mode == "client"  # with `models`, OpenRouter itself would try the next model
    result = c.chat(HELLO)
    assert [b["model"] for b in fake.bodies] == [PRIMARY] and "models" not in fake.bodies[0]
    assert result.error_class is ErrorClass.MODERATION and len(result.attempts) == 1


def test_without_an_explicit_stop_openrouter_keeps_walking_the_models_list() -> None:
    clock = VirtualClock()
    fake = openrouter([ok(model=SECOND)], clock)
    c = Client(
        workflow(retry={"on": {"moderation": "fallback"}}), api_key=CANARY_KEY, transport=fake.transport(), clock=clock
    )
    assert c.fallback_mode == "openrouter"
    c.chat(HELLO)
    assert fake.bodies[0]["models"]


def test_a_fallback_workflow_with_a_user_message_fails_safe_with_it() -> None:
    clock = VirtualClock()
    fake = openrouter([fail(403, "Your input was flagged.", reasons=["harassment"], flagged_input="...")], clock)
    wf = workflow(retry={"on": {"moderation": "stop"}}, degradation={"user_message": ESCALATE})
    assert wf.degradation.mode is DegradationMode.FALLBACK
    result = Client(wf, api_key=CANARY_KEY, transport=fake.transport(), clock=clock).chat(HELLO)
    assert not result.ok and result.fail_safe_message == ESCALATE


def test_a_fallback_workflow_without_a_message_has_none_to_show() -> None:
    clock = VirtualClock()
    fake = openrouter([fail(502, "down")] * 9, clock)
    result = Client(workflow(), api_key=CANARY_KEY, transport=fake.transport(), clock=clock).chat(HELLO)
    assert not result.ok and result.fail_safe_message is None
