"""``moderation``: the model's moderation flags the input."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import MODEL_CHECK_S, AttemptError, flagged_input
from orcli.upstream.faults.behaviour import REFUSE_INPUT
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class ModerationFault(
    Fault, order=100, acts=REFUSE_INPUT, example="{kind: moderation, model: openai/gpt-4o-mini, every: 8}"
):
    """403: the input is flagged (`reasons`); OpenRouter moves to the next model."""

    kind: Literal["moderation"] = "moderation"
    reasons: tuple[str, ...] = Field(default=("harassment",), min_length=1)
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        meta = {
            "error_type": "content_policy_violation",
            "reasons": list(self.reasons),
            "flagged_input": flagged_input(chat),
            "provider_name": ep.provider_name,
            "model_slug": model_id,
        }
        message = self.message or f"{model_id} requires moderation on {ep.provider_name}. Your input was flagged."
        return AttemptError(ApiError(403, message, meta), MODEL_CHECK_S)
