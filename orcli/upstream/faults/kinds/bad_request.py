"""``bad_request``: the model rejects what the request asks for."""

from __future__ import annotations

from typing import Literal

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import MODEL_CHECK_S, AttemptError, provider_meta
from orcli.upstream.faults.behaviour import REFUSE_INPUT
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class BadRequestFault(
    Fault,
    order=120,
    acts=REFUSE_INPUT,
    example="{kind: bad_request, model: google/gemini-2.5-flash, message: prefill is not supported}",
):
    """400 `invalid_request` from the model (e.g. it rejects an assistant prefill); OpenRouter moves to the next model.

    The targeted model rejects what the request asks for: an assistant prefill, a parameter it does not take.
    """

    kind: Literal["bad_request"] = "bad_request"
    message: str | None = None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        message = self.message or f"{model_id} rejected the request as invalid"
        return AttemptError(ApiError(400, message, provider_meta(ep, "invalid_request")), MODEL_CHECK_S)
