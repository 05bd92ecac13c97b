"""Spending caps: refuse an attempt whose worst case would break them, before it is sent.

The worst case of one attempt is its prompt (estimated at four characters a token, the
usual rule of thumb for English text and JSON) plus ``max_tokens`` of output, priced at
the most expensive endpoint the request could land on: every eligible endpoint of every
model the attempt names. Without a catalog price (or for a model the catalog lacks)
nothing can be estimated, and only money already spent counts against the caps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orcli.catalog.model import Catalog, Pricing
from orcli.policy.model import ProviderRules
from orcli.routing.plan import RouteRequest, plan_model

CHARS_PER_TOKEN = 4
_MAX_SHAPES = 4096  # worst-case estimates a price book remembers


def estimate_prompt_tokens(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None) -> int:
    """Prompt tokens, rounded up from characters of the JSON sent (messages and tool schemas)."""
    chars = len(json.dumps(list(messages), separators=(",", ":"), default=str))
    if tools:
        chars += len(json.dumps(list(tools), separators=(",", ":"), default=str))
    return math.ceil(chars / CHARS_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class Estimate:
    cost_usd: Decimal | None  # None: no price known for some model of the attempt
    prompt_tokens: int
    completion_tokens: int


class PriceBook:
    """Eligible endpoint prices per model, worked out once per model and provider rules."""

    def __init__(self, catalog: Catalog | None, rules: ProviderRules, parameters: frozenset[str]) -> None:
        self._catalog = catalog
        self._rules = rules
        self._parameters = parameters
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[tuple[Pricing, int], ...]] = {}
        # Worst cases per request shape: a client sends the same few shapes over and over.
        self._worst: dict[tuple[tuple[str, ...], int, int | None, tuple[str, ...]], Estimate] = {}

    def endpoints(self, model: str, ignored: tuple[str, ...] = ()) -> tuple[tuple[Pricing, int], ...]:
        """(pricing, max completion tokens) of every endpoint the model could be served by."""
        key = (model, ignored)
        if key not in self._cache:
            self._cache[key] = self._work_out(model, ignored)
        return self._cache[key]

    def _work_out(self, model_id: str, ignored: tuple[str, ...]) -> tuple[tuple[Pricing, int], ...]:
        if self._catalog is None:
            return ()
        model = self._catalog.get(model_id)
        if model is None:
            return ()
        rules = self._rules
        if ignored:
            rules = rules.model_copy(update={"ignore": tuple(rules.ignore) + ignored})
        plan = plan_model(model_id, self._catalog, rules, RouteRequest((model_id,), rules, self._parameters))
        chosen = [c.endpoint for c in plan.candidates] or list(model.endpoints)
        return tuple((ep.pricing, ep.max_completion_tokens) for ep in chosen)

    def routable(self, model_id: str, ignored: tuple[str, ...] = ()) -> bool | None:
        """Whether the provider rules (plus ``ignored``) leave the model any endpoint; None
        when the catalog does not know the model."""
        model = self._catalog.get(model_id) if self._catalog is not None else None
        if self._catalog is None or model is None:
            return None
        rules = self._rules
        if ignored:
            rules = rules.model_copy(update={"ignore": tuple(rules.ignore) + ignored})
        plan = plan_model(model_id, self._catalog, rules, RouteRequest((model_id,), rules, self._parameters))
        return bool(plan.candidates)

    def worst_case(
        self, models: Sequence[str], prompt_tokens: int, max_tokens: int | None, ignored: tuple[str, ...] = ()
    ) -> Estimate:
        key = (tuple(models), prompt_tokens, max_tokens, ignored)
        found = self._worst.get(key)
        if found is None:
            if len(self._worst) >= _MAX_SHAPES:
                self._worst.clear()
            found = self._worst[key] = self._worst_case(key[0], prompt_tokens, max_tokens, ignored)
        return found

    def _worst_case(
        self, models: Sequence[str], prompt_tokens: int, max_tokens: int | None, ignored: tuple[str, ...]
    ) -> Estimate:
        worst: Decimal | None = Decimal(0)
        worst_completion = 0
        for model in models:
            endpoints = self.endpoints(model, ignored)
            if not endpoints:
                return Estimate(None, prompt_tokens, max_tokens or 0)
            for pricing, max_completion in endpoints:
                completion = max_tokens if max_tokens is not None else max_completion
                cost = pricing.cost(prompt_tokens, completion)
                if worst is None or cost > worst:
                    worst = cost
                worst_completion = max(worst_completion, completion)
        return Estimate(worst, prompt_tokens, worst_completion)

    def actual(self, model: str | None, provider: str | None, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """Cost from the catalog when the response did not report ``usage.cost``."""
        if self._catalog is None or model is None:
            return Decimal(0)
        entry = self._catalog.get(model)
        if entry is None:
            return Decimal(0)
        endpoint = next((ep for ep in entry.endpoints if provider and ep.provider_name == provider), None)
        pricing = (endpoint or entry.top_endpoint).pricing
        return pricing.cost(prompt_tokens, completion_tokens)

    def completion_ceiling(self, model: str | None, provider: str | None, max_tokens: int | None) -> int:
        """The most output an abandoned attempt may be billed for: ``max_tokens``, else the
        serving endpoint's completion limit (0 when the catalog cannot say)."""
        if max_tokens is not None:
            return max_tokens
        entry = self._catalog.get(model) if self._catalog is not None and model is not None else None
        if entry is None:
            return 0
        endpoint = next((ep for ep in entry.endpoints if provider and ep.provider_name == provider), None)
        return (endpoint or entry.top_endpoint).max_completion_tokens


class Spend:
    """What a client has spent over its lifetime, plus what attempts in flight may still cost."""

    def __init__(self) -> None:
        self.spent_usd = Decimal(0)
        self.reserved_usd = Decimal(0)

    def reserve(self, amount: Decimal) -> None:
        self.reserved_usd += amount

    def settle(self, reserved: Decimal, actual: Decimal) -> None:
        self.reserved_usd -= reserved
        self.spent_usd += actual


def usd(value: Decimal) -> str:
    """Dollars for messages: enough digits that small per-request sums do not print as $0.00."""
    return f"${value:.6f}".rstrip("0").rstrip(".") if value < 1 else f"${value:.2f}"
