"""Ledger records built by hand: one builder for an ``Attempt`` and one for a ``ChatResult``.

Tests that check verdicts and reports need exact records without running a drill. Each
field has a plain default (a first attempt that answered); a test names only what it is
about. Fields that follow from others (the served model, the error class and the detail
of a failed status) are derived unless given.
"""

from __future__ import annotations

from decimal import Decimal
from types import EllipsisType
from typing import Any

from orcli.client.ledger import Attempt, ChatResult
from orcli.policy.model import ErrorClass

MODEL = "openai/gpt-4o-mini"
ANSWER: dict[str, Any] = {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}


def attempt(
    model: str = MODEL,
    provider: str | None = "OpenAI",
    status: int | None = 200,
    *,
    error: ErrorClass | EllipsisType | None = ...,
    detail: str | None = None,
    index: int = 1,
    started_at: float = 0.0,
    latency_s: float = 0.5,
    ttft_s: float | EllipsisType | None = ...,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    cost_usd: Decimal | str = "0.00001",
    wait_before_s: float = 0.0,
    next_hop: Any = None,
    **fields: Any,
) -> Attempt:
    """An attempt on ``model`` at ``provider``; a status other than 200 fails as a provider failure."""
    answered = status == 200
    if isinstance(error, EllipsisType):
        error = None if answered else ErrorClass.PROVIDER_FAILURE
    if detail is None:
        detail = "ok" if error is None else f"{status} from {provider}"
    return Attempt(
        index=index,
        model=model,
        served_model=model if answered else None,
        provider=provider,
        status=status,
        error_class=error,
        detail=detail,
        started_at=started_at,
        latency_s=latency_s,
        ttft_s=(0.1 if answered else None) if isinstance(ttft_s, EllipsisType) else ttft_s,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=Decimal(cost_usd),
        wait_before_s=wait_before_s,
        next_hop=next_hop,
        **fields,
    )


def answered(*attempts: Attempt, response: dict[str, Any] | None = None, **fields: Any) -> ChatResult:
    """A result the last attempt answered with ``response`` (a short chat answer by default)."""
    return ChatResult(
        ok=True,
        response=ANSWER if response is None else response,
        error_class=None,
        error_message=None,
        attempts=attempts,
        idempotency_key=fields.pop("idempotency_key", "k"),
        **fields,
    )


def unanswered(
    *attempts: Attempt,
    error: ErrorClass | None = ErrorClass.PROVIDER_FAILURE,
    message: str | None = "502 from every provider",
    **fields: Any,
) -> ChatResult:
    """A result no attempt answered, failing with ``error`` and ``message``."""
    return ChatResult(
        ok=False,
        response=None,
        error_class=error,
        error_message=message,
        attempts=attempts,
        idempotency_key=fields.pop("idempotency_key", "k"),
        **fields,
    )
