"""``context_length``: the model refuses a request longer than its context."""

from __future__ import annotations

from typing import Literal

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import MODEL_CHECK_S, AttemptError, provider_meta
from orcli.upstream.faults.behaviour import REFUSE_INPUT
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class ContextLengthFault(
    Fault, order=110, acts=REFUSE_INPUT, example="{kind: context_length, model: openai/gpt-4o, every: 3}"
):
    """400 `context_length_exceeded` from the model; OpenRouter moves to the next model."""

    kind: Literal["context_length"] = "context_length"
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        wanted = max(chat.prompt_tokens + (chat.max_tokens or 0), ep.context_length + 1)
        message = self.message or (
            f"This endpoint's maximum context length is {ep.context_length} tokens. However, you requested "
            f"about {wanted} tokens. Please reduce the length of the messages or completion."
        )
        return AttemptError(ApiError(400, message, provider_meta(ep, "context_length_exceeded")), MODEL_CHECK_S)
