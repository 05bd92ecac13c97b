"""Which catalog endpoint served an answer, by routing tag.

A response names its provider by display name only ("DeepInfra"), and one provider may
show several endpoints under that name: ``deepinfra`` and ``deepinfra/turbo`` (another
quantization, another data policy), ``anthropic`` and ``anthropic/byok``. Judging by name
alone would let a forbidden endpoint pass as its allowed twin. So the answer's other
facts pick the endpoint: ``usage.is_byok`` tells an own key from shared capacity, and the
billed cost tells same-named endpoints apart by their prices. Where they still cannot be
told apart, the first in catalog order stands.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orcli.catalog.model import Catalog, Endpoint
from orcli.client.ledger import Attempt, ChatResult
from orcli.upstream.responses import BYOK_FEE

_PRICE_TOLERANCE = Decimal("1e-6")  # relative: costs cross the wire as JSON floats


def answer_is_byok(result: ChatResult) -> bool | None:
    """``usage.is_byok`` of the answer, when the response says."""
    usage: Any = (result.response or {}).get("usage")
    flag = usage.get("is_byok") if isinstance(usage, dict) else None
    return flag if isinstance(flag, bool) else None


def served_endpoint(catalog: Catalog, model_id: str, result: ChatResult) -> Endpoint | None:
    """The endpoint of ``model_id`` that served ``result``'s answer, or None if the catalog has none."""
    model = catalog.get(model_id)
    final = result.attempts[-1] if result.attempts else None
    if model is None or final is None or final.provider is None:
        return None
    wanted = final.provider.lower()
    named = [ep for ep in model.endpoints if ep.provider_name.lower() == wanted or ep.tag == wanted]
    is_byok = answer_is_byok(result)
    if is_byok is not None:
        same_key = [ep for ep in named if ep.is_byok == is_byok]
        if not same_key and not is_byok:
            # Shared capacity the account's catalog leaves out (a strict BYOK key): the
            # provider's own endpoint, as OpenRouter lists it without the key.
            same_key = [_shared_twin(ep) for ep in named if ep.is_byok]
        named = same_key
    if len(named) > 1:
        priced = [ep for ep in named if _billed_at(ep, final)]
        named = priced or named
    return named[0] if named else None


def _shared_twin(byok: Endpoint) -> Endpoint:
    return byok.model_copy(update={"tag": byok.provider_slug, "is_byok": False})


def _billed_at(endpoint: Endpoint, attempt: Attempt) -> bool:
    """Whether the attempt's cost is what ``endpoint``'s prices give for its tokens."""
    expected = endpoint.pricing.cost(attempt.prompt_tokens, attempt.completion_tokens)
    if endpoint.is_byok:
        expected *= BYOK_FEE
    if expected == 0:
        return attempt.cost_usd == 0
    return abs(attempt.cost_usd - expected) <= expected * _PRICE_TOLERANCE
