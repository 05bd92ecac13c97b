"""Small builders shared by the client tests."""

from __future__ import annotations

from typing import Any

from orcli.client.sync_client import Client
from orcli.clock import VirtualClock
from orcli.policy.model import Workflow

from .fakes import FakeOpenRouter

PRIMARY = "openai/gpt-4o-mini"
SECOND = "anthropic/claude-haiku-4.5"
THIRD = "google/gemini-2.5-flash"
GATEWAY = "http://gateway.internal/v1"  # not OpenRouter: the client walks the chain itself
CANARY_KEY = "sk-or-v1-canary0123456789abcdef0123456789abcdef"
HELLO = [{"role": "user", "content": "Hello?"}]


def workflow(**sections: Any) -> Workflow:
    data: dict[str, Any] = {"models": {"primary": PRIMARY, "fallbacks": [SECOND, THIRD]}}
    data.update(sections)
    return Workflow.model_validate(data)


def client(fake: FakeOpenRouter, clock: VirtualClock, wf: Workflow | None = None, **kwargs: Any) -> Client:
    kwargs.setdefault("api_key", CANARY_KEY)
    kwargs.setdefault("base_url", GATEWAY)
    return Client(wf or workflow(), transport=fake.transport(), clock=clock, **kwargs)
