"""The support assistant's own tests, against orcli's in-process OpenRouter (``orcli_mock``)."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest
from support_bot import FAIL_SAFE_MESSAGE, FALLBACKS, PRIMARY, answer, client, policy_client

import orcli
from orcli.testing import OrcliMock


@pytest.fixture
def sdk(orcli_mock: OrcliMock) -> openai.OpenAI:
    return client(orcli_mock.base_url, "sk-test", http_client=orcli_mock.http_client())


def test_a_healthy_primary_answers(sdk: openai.OpenAI, orcli_mock: OrcliMock) -> None:
    reply = answer(sdk, "How do I reset my password?")

    assert reply.model == PRIMARY and reply.text and not reply.failed_safe
    assert [r.models for r in orcli_mock.requests] == [(PRIMARY, *FALLBACKS)]


def test_an_outage_of_the_primary_falls_back_to_the_next_model(sdk: openai.OpenAI, orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, id="primary-down")

    reply = answer(sdk, "Where is my invoice?")

    assert reply.model == FALLBACKS[0] and not reply.failed_safe
    assert orcli_mock.fired("primary-down") >= 1
    assert {a.model for a in orcli_mock.attempts if a.status == 200} == {FALLBACKS[0]}


def test_the_primary_is_back_once_a_sixty_second_outage_ends(sdk: openai.OpenAI, orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, start_s=0, end_s=60)
    wall_start = time.monotonic()

    during = answer(sdk, "Is the service down?")
    orcli_mock.clock.advance(60)
    after = answer(sdk, "Is the service back?")

    assert during.model == FALLBACKS[0]
    assert after.model == PRIMARY
    assert orcli_mock.clock.now() > 60
    assert time.monotonic() - wall_start < 10  # a minute of outage, simulated


def test_when_every_model_fails_the_customer_gets_the_approved_message(
    sdk: openai.OpenAI, orcli_mock: OrcliMock
) -> None:
    orcli_mock.fault(kind="outage", status=503)

    reply = answer(sdk, "Can I change my plan?")

    assert reply.failed_safe
    assert reply.text == FAIL_SAFE_MESSAGE and reply.model is None
    assert orcli_mock.requests[-1].status == 503


def test_a_hanging_provider_ends_in_the_fail_safe_answer_after_the_timeout(
    sdk: openai.OpenAI, orcli_mock: OrcliMock
) -> None:
    orcli_mock.fault(kind="timeout", hang=True)

    reply = answer(sdk, "Why was I charged twice?")

    assert reply.failed_safe
    assert orcli_mock.clock.now() == pytest.approx(20.0, abs=0.5)  # the SDK's 20 s timeout, simulated


def test_a_rate_limited_account_fails_safe_rather_than_raising(sdk: openai.OpenAI, orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="rate_limit", scope="openrouter", retry_after_s=30)

    assert answer(sdk, "Hello?").failed_safe


# The same app function with the workflow's policy under the SDK (orcli's drop-in).


@pytest.fixture
def policy_sdk(orcli_mock: OrcliMock) -> openai.OpenAI:
    return policy_client(orcli_mock.base_url, "sk-test", transport=orcli_mock.transport(), clock=orcli_mock.clock)


def test_under_the_policy_a_primary_outage_is_still_answered(policy_sdk: openai.OpenAI, orcli_mock: OrcliMock) -> None:
    orcli_mock.fault(kind="outage", model=PRIMARY, id="primary-down")

    reply = answer(policy_sdk, "Where is my invoice?")

    assert not reply.failed_safe and reply.model in FALLBACKS
    assert orcli_mock.fired("primary-down") >= 1


def test_under_the_policy_the_ledger_explains_a_fail_safe_answer(
    policy_sdk: openai.OpenAI, orcli_mock: OrcliMock
) -> None:
    orcli_mock.fault(kind="outage", status=503)

    with pytest.raises(openai.InternalServerError) as caught:
        policy_sdk.chat.completions.create(model=PRIMARY, messages=[{"role": "user", "content": "Hello?"}])
    assert answer(policy_sdk, "Hello?").failed_safe

    ledger = orcli.chat_result(caught.value)
    assert ledger is not None and ledger.fail_safe_message == FAIL_SAFE_MESSAGE
    assert orcli_mock.clock.now() < 30  # the policy's total_s, simulated


def test_the_policy_passes_its_outage_drill(orcli_scenario: Callable[..., object]) -> None:
    orcli_scenario("examples/support_bot/drill.yaml")
