"""OpenRouter's ``provider`` object as a frozen model: the rules routing applies.

Written in a policy (``workflows.<name>.provider``) and sent on the wire alike; it lives
here, below the policy language, because the router reads it and policies only embed it.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from orcli.catalog.model import Quantization
from orcli.frozen import Frozen
from orcli.ids import ProviderSlugField


class SortBy(StrEnum):
    PRICE = "price"
    THROUGHPUT = "throughput"
    LATENCY = "latency"
    EXACTO = "exacto"  # tool-call quality first: the lowest tool-call error rate leads


class SortSpec(Frozen):
    by: SortBy
    # "model": all of model 1's endpoints before model 2's (OpenRouter's default);
    # "none": sort every model's endpoints together.
    partition: Literal["model", "none"] = "model"


class PriceCeiling(Frozen):
    """``provider.max_price``: prompt/completion in USD per million tokens, request per request,
    image per image. OpenRouter does not state the unit of ``audio``; audio is priced per token
    like prompt and completion, so it is read the same way, in USD per million audio tokens."""

    prompt: Decimal | None = Field(default=None, ge=0)
    completion: Decimal | None = Field(default=None, ge=0)
    request: Decimal | None = Field(default=None, ge=0)
    image: Decimal | None = Field(default=None, ge=0)
    audio: Decimal | None = Field(default=None, ge=0)


class PercentileCutoffs(Frozen):
    p50: float | None = Field(default=None, ge=0)
    p75: float | None = Field(default=None, ge=0)
    p90: float | None = Field(default=None, ge=0)
    p99: float | None = Field(default=None, ge=0)


class ProviderRules(Frozen):
    """OpenRouter's ``provider`` object, field for field."""

    order: tuple[ProviderSlugField, ...] = ()
    only: tuple[ProviderSlugField, ...] = ()
    ignore: tuple[ProviderSlugField, ...] = ()
    allow_fallbacks: bool = True
    require_parameters: bool = False
    data_collection: Literal["allow", "deny"] = "allow"
    zdr: bool = False
    enforce_distillable_text: bool = False  # only models whose author allows distillation
    quantizations: tuple[Quantization, ...] = ()
    sort: SortBy | SortSpec | None = None
    max_price: PriceCeiling | None = None
    preferred_min_throughput: float | PercentileCutoffs | None = None
    preferred_max_latency: float | PercentileCutoffs | None = None

    @property
    def sort_spec(self) -> SortSpec | None:
        if self.sort is None or isinstance(self.sort, SortSpec):
            return self.sort
        return SortSpec(by=self.sort)
