"""``billing``: OpenRouter refuses the request for want of credits."""

from __future__ import annotations

from typing import Literal

from orcli.upstream.effects import CREDITS_URL
from orcli.upstream.faults.behaviour import REFUSE_REQUEST
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class BillingFault(Fault, order=90, acts=REFUSE_REQUEST, example="{kind: billing, start_s: 100, end_s: 200}"):
    """402 before routing: not enough credits."""

    kind: Literal["billing"] = "billing"
    message: str | None = None

    def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
        wanted = chat.max_tokens or max_output_tokens  # without max_tokens the model's maximum is assumed
        message = self.message or (
            f"This request requires more credits, or fewer max_tokens. You requested up to {wanted} tokens, "
            f"but can only afford {wanted // 7}. To increase, visit {CREDITS_URL} and add more credits"
        )
        return ApiError(402, message, {"error_type": "payment_required", "provider_name": None})
