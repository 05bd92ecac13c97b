"""Models, their provider endpoints and what each endpoint can do.

The shapes follow OpenRouter's ``GET /api/v1/models`` and
``GET /api/v1/models/{author}/{slug}/endpoints``: prices are USD per token as
decimal strings, latency is time to first token in seconds, throughput is
tokens per second. Data policy is folded onto each endpoint because routing
filters on it per endpoint.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from orcli.frozen import Frozen, refuse_repeats
from orcli.ids import ModelId, ModelIdField, ProviderSlug, ProviderTagField, base_model

QUANTIZATIONS = (
    "int4",
    "int8",
    "fp4",
    "mxfp4",
    "nvfp4",
    "fp6",
    "fp8",
    "mxfp8",
    "fp16",
    "bf16",
    "fp32",
    "unknown",
)
Quantization = Literal[
    "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"
]
Tier = Literal["standard", "priority", "flex"]


MAX_TOKEN_PRICE_USD = Decimal(1)  # per token: a million dollars per million tokens
MAX_REQUEST_PRICE_USD = Decimal(1000)


class Pricing(Frozen):
    """USD per token (prompt, completion) and per request, as OpenRouter quotes them."""

    # Upper bounds far above any real price keep the arithmetic finite: routing weighs
    # endpoints by 1/price², which a price of 1e200 would turn into zero.
    prompt: Decimal = Field(ge=0, le=MAX_TOKEN_PRICE_USD)
    completion: Decimal = Field(ge=0, le=MAX_TOKEN_PRICE_USD)
    request: Decimal = Field(default=Decimal(0), ge=0, le=MAX_REQUEST_PRICE_USD)
    image: Decimal = Field(default=Decimal(0), ge=0, le=MAX_REQUEST_PRICE_USD)  # per input image
    audio: Decimal = Field(default=Decimal(0), ge=0, le=MAX_TOKEN_PRICE_USD)  # per audio input token

    def per_million(self, which: Literal["prompt", "completion", "audio"]) -> Decimal:
        return getattr(self, which) * 1_000_000  # type: ignore[no-any-return]

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        return self.prompt * prompt_tokens + self.completion * completion_tokens + self.request

    @cached_property
    def blended(self) -> Decimal:
        """One price for ranking: prompt and completion weighted 3:1, like typical chat traffic.
        Cached: routing ranks by it on every request."""
        return (self.prompt * 3 + self.completion) / 4


class Percentiles(Frozen):
    p50: float = Field(ge=0)
    p75: float = Field(ge=0)
    p90: float = Field(ge=0)
    p99: float = Field(ge=0)


class DataPolicy(Frozen):
    """What the provider does with prompts on this endpoint."""

    training: bool = False  # may train on prompts
    retains_prompts: bool = False  # stores prompts (beyond in-memory caching)
    zdr: bool = False  # zero data retention endpoint

    @property
    def collects(self) -> bool:
        """``provider.data_collection: deny`` drops endpoints that store or train."""
        return self.training or self.retains_prompts


class Endpoint(Frozen):
    provider_name: str = Field(min_length=1)  # display name, as responses show it
    tag: ProviderTagField  # routing slug, as requests name it: "deepinfra" or "deepinfra/turbo"
    context_length: int = Field(gt=0)
    max_completion_tokens: int = Field(gt=0)
    pricing: Pricing
    supported_parameters: frozenset[str] = frozenset()
    quantization: Quantization | None = None
    tier: Tier = "standard"
    data_policy: DataPolicy = DataPolicy()
    latency_last_30m: Percentiles  # seconds to first token
    throughput_last_30m: Percentiles  # tokens per second
    uptime_last_30m: float = Field(default=100.0, ge=0, le=100)
    is_byok: bool = False
    # Share of recent tool calls that failed (invalid JSON, unknown tool, schema mismatch):
    # the quality figure ``sort: exacto`` ranks by, lowest first. None: not measured.
    tool_call_error_rate: float | None = Field(default=None, ge=0, le=1)

    @property
    def provider_slug(self) -> str:
        """The base slug: ``deepinfra/turbo`` -> ``deepinfra``."""
        return ProviderSlug.parse(self.tag).base

    def matches(self, slug: str) -> bool:
        """OpenRouter's slug matching: a base slug matches every endpoint of the provider
        except tier endpoints, which only their explicit slug names."""
        slug = slug.lower()
        if slug == self.tag:
            return True
        if self.tier != "standard":
            return False
        return slug == self.provider_slug or slug == self.provider_name.lower()

    def supports(self, parameter: str) -> bool:
        return parameter in self.supported_parameters


class Model(Frozen):
    id: ModelIdField
    name: str = Field(min_length=1)
    context_length: int = Field(gt=0)
    endpoints: tuple[Endpoint, ...] = Field(min_length=1)
    # The author allows training other models on its outputs (``enforce_distillable_text``
    # keeps only such models). Unknown counts as not allowed.
    distillable: bool = False

    @field_validator("endpoints")
    @classmethod
    def _unique_tags(cls, endpoints: tuple[Endpoint, ...]) -> tuple[Endpoint, ...]:
        refuse_repeats((ep.tag for ep in endpoints), "endpoint tag '{}' appears twice")
        return endpoints

    @property
    def author(self) -> str:
        return ModelId.parse(self.id).author

    @property
    def max_context(self) -> int:
        return max(ep.context_length for ep in self.endpoints)

    @property
    def top_endpoint(self) -> Endpoint:
        """OpenRouter's model-level price is the top provider's: we take the first listed."""
        return self.endpoints[0]


class Catalog(Frozen):
    version: Literal[1] = 1
    source: str = "embedded"  # "embedded", a file path, or "live <date>"
    generated_at: str | None = None
    models: tuple[Model, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_models(self) -> Catalog:
        refuse_repeats((model.id for model in self.models), "model '{}' appears twice")
        return self

    @cached_property
    def _by_id(self) -> dict[str, Model]:
        return {m.id: m for m in self.models}

    def get(self, model_id: str) -> Model | None:
        """Look up a model, ignoring a ``:variant`` suffix."""
        return self._by_id.get(base_model(model_id))

    @cached_property
    def provider_slugs(self) -> frozenset[str]:
        """Every slug a request may name: base slugs and full endpoint tags."""
        slugs: set[str] = set()
        for model in self.models:
            for ep in model.endpoints:
                slugs.add(ep.tag)
                slugs.add(ep.provider_slug)
        return frozenset(slugs)

    def knows_provider(self, slug: str) -> bool:
        slug = slug.lower()
        if slug in self.provider_slugs:
            return True
        return any(ep.provider_name.lower() == slug for m in self.models for ep in m.endpoints)
