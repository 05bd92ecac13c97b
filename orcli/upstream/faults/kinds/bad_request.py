"""``bad_request``: the model rejects what the request asks for."""

from __future__ import annotations

from typing import Literal

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import MODEL_CHECK_S, AttemptError
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class BadRequestFault(Fault):
    """400 invalid_request from the targeted model: it rejects what the request asks for (an
    assistant prefill, a parameter it does not take). OpenRouter moves to the next model."""

    order = 120
    behaviour = Behaviour(Stage.ATTEMPT, Effect.FAIL, on_answer=True)
    summary = (
        "400 `invalid_request` from the model (e.g. it rejects an assistant prefill); "
        "OpenRouter moves to the next model"
    )
    example = "{kind: bad_request, model: google/gemini-2.5-flash, message: prefill is not supported}"

    kind: Literal["bad_request"] = "bad_request"
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        message = self.message or f"{model_id} rejected the request as invalid"
        meta = {"error_type": "invalid_request", "provider_name": ep.provider_name, "is_byok": ep.is_byok}
        return AttemptError(ApiError(400, message, meta), MODEL_CHECK_S)
