"""A small support assistant that calls models through the openai SDK, via OpenRouter.

It asks the primary model and lets OpenRouter fall back to two others (the ``models``
field); when no model answers, it fails safe with a message support has approved instead
of an error page. Its tests (``test_support_bot.py``) prove both with orcli's ``orcli_mock``
fixture: no key, no network, and a 60 s outage costs no wall time.

``policy_client`` is the same SDK with the workflow in ``policy.yaml`` underneath (orcli's
drop-in): ``answer`` does not change, and gains the policy's timeouts, retries, breaker and
budget. ``drill.yaml`` drills that policy through an outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai

import orcli

PRIMARY = "openai/gpt-4o-mini"
FALLBACKS = ["anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"]
TIMEOUT_S = 20.0
POLICY = Path(__file__).with_name("policy.yaml")
WORKFLOW = "support-answer"
FAIL_SAFE_MESSAGE = "Our assistant is unavailable right now. A person from support will reply by email."
SYSTEM_PROMPT = "You answer questions about our product in three sentences or fewer."


@dataclass(frozen=True)
class Answer:
    text: str
    model: str | None  # the model that answered; None when the assistant failed safe
    failed_safe: bool = False


def answer(sdk: openai.OpenAI, question: str) -> Answer:
    """One answer to a customer's question, or the approved fail-safe message."""
    try:
        completion = sdk.chat.completions.create(
            model=PRIMARY,
            messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": question}],
            max_tokens=300,
            timeout=TIMEOUT_S,
            extra_body={"models": FALLBACKS},
        )
    except (openai.APIStatusError, openai.APIConnectionError):
        # Every model failed, or the request timed out: never show the customer a stack trace.
        return Answer(FAIL_SAFE_MESSAGE, None, failed_safe=True)
    return Answer(completion.choices[0].message.content or "", completion.model)


def client(base_url: str, api_key: str, http_client: httpx.Client | None = None) -> openai.OpenAI:
    """The app's SDK client. ``max_retries=0``: fallbacks are OpenRouter's job, and a retry
    loop inside the SDK would only make a customer wait longer for the fail-safe answer."""
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, http_client=http_client)


def policy_client(
    base_url: str, api_key: str, transport: httpx.BaseTransport | None = None, **options: Any
) -> openai.OpenAI:
    """The SDK with ``policy.yaml``'s workflow applied under it. ``transport`` is the network
    (tests pass the mock's); ``options`` go to orcli's client (a test's clock, a seed)."""
    http_client = orcli.openai_http_client(POLICY, WORKFLOW, transport=transport, **options)
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, http_client=http_client)
