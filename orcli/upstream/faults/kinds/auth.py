"""``auth``: OpenRouter refuses the key before routing."""

from __future__ import annotations

from typing import Literal

from orcli.upstream.faults.behaviour import REFUSE_REQUEST
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class AuthFault(Fault, order=80, acts=REFUSE_REQUEST, example="{kind: auth, from_request: 21, to_request: 40}"):
    """401 before routing: a disabled or unknown key."""

    kind: Literal["auth"] = "auth"
    message: str | None = None

    def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
        return ApiError(401, self.message or "User not found.", {"error_type": "authentication"})
