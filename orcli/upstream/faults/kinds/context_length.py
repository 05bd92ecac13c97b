"""``context_length``: the model refuses a request longer than its context."""

from __future__ import annotations

from typing import Literal

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import MODEL_CHECK_S, AttemptError
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class ContextLengthFault(Fault):
    """400 context_length_exceeded from the targeted model; OpenRouter moves to the next model."""

    order = 110
    behaviour = Behaviour(Stage.ATTEMPT, Effect.FAIL, on_answer=True)
    summary = "400 `context_length_exceeded` from the model; OpenRouter moves to the next model"
    example = "{kind: context_length, model: openai/gpt-4o, every: 3}"

    kind: Literal["context_length"] = "context_length"
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        wanted = max(chat.prompt_tokens + (chat.max_tokens or 0), ep.context_length + 1)
        message = self.message or (
            f"This endpoint's maximum context length is {ep.context_length} tokens. However, you requested "
            f"about {wanted} tokens. Please reduce the length of the messages or completion."
        )
        meta = {"error_type": "context_length_exceeded", "provider_name": ep.provider_name, "is_byok": ep.is_byok}
        return AttemptError(ApiError(400, message, meta), MODEL_CHECK_S)
