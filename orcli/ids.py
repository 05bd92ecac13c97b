"""OpenRouter's identifiers, each parsed in one place: model ids and provider slugs.

A model id is ``author/slug`` with an optional ``:variant`` (``openai/gpt-4o:nitro``); the
catalog, the breakers, the health memory and the fault targets all key on the base id.
A provider slug is a base slug with an optional endpoint suffix (``deepinfra/turbo``);
OpenRouter calls the whole the endpoint's *tag*. Routing fields and tags use slugs, while
responses name providers by display name (``"Amazon Bedrock"``), so the display-name
spelling rule lives here too.

Parses are cached: the simulator and the client look up the same few ids for every
request, and a cache hit costs less than splitting the string again.

The ``*Field`` types are the pydantic field types that config files are checked against;
they stay plain strings in the parsed models (and so in every report).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from pydantic import Field

from orcli.sourcefile import described

# Distinct ids in one process are few (the catalog's models and their variants), far fewer.
_CACHE_SIZE = 4096

ModelIdField = Annotated[
    str,
    Field(
        pattern=described(
            r"^[a-z0-9][a-z0-9._-]*/[a-zA-Z0-9][a-zA-Z0-9._:-]*$",
            "a model id 'author/slug', author in lowercase, e.g. 'openai/gpt-4o'",
        )
    ),
]
ProviderTagField = Annotated[
    str,
    Field(
        pattern=described(
            r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)?$", "a lowercase provider slug, e.g. 'deepinfra/turbo'"
        )
    ),
]
# Routing fields in a policy may also name a provider by display name, as OpenRouter allows.
ProviderSlugField = Annotated[
    str,
    Field(
        pattern=described(
            r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$", "a provider slug such as 'deepinfra' or 'deepinfra/turbo', or its name"
        ),
        max_length=64,
    ),
]


@dataclass(frozen=True, slots=True)
class ModelId:
    """``openai/gpt-4o:nitro`` -> base ``openai/gpt-4o``, variant ``nitro``."""

    base: str
    variant: str | None = None

    @staticmethod
    def parse(text: str) -> ModelId:
        return _parse_model_id(text)

    @property
    def author(self) -> str:
        return self.base.split("/", 1)[0]

    def __str__(self) -> str:
        return self.base if self.variant is None else f"{self.base}:{self.variant}"


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_model_id(text: str) -> ModelId:
    base, colon, variant = text.partition(":")
    return ModelId(base, variant if colon else None)


def base_model(model_id: str) -> str:
    """The id without its ``:variant``: what the catalog, breakers and faults key on."""
    return _parse_model_id(model_id).base


def same_base_model(a: str, b: str) -> bool:
    return a == b or _parse_model_id(a).base == _parse_model_id(b).base


@dataclass(frozen=True, slots=True)
class ProviderSlug:
    """``deepinfra/turbo`` -> base ``deepinfra``, suffix ``turbo``; the whole is the tag."""

    base: str
    suffix: str | None = None

    @staticmethod
    def parse(text: str) -> ProviderSlug:
        return _parse_provider_slug(text)

    @property
    def tag(self) -> str:
        return self.base if self.suffix is None else f"{self.base}/{self.suffix}"

    def __str__(self) -> str:
        return self.tag


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_provider_slug(text: str) -> ProviderSlug:
    base, slash, suffix = text.partition("/")
    return ProviderSlug(base, suffix if slash else None)


@lru_cache(maxsize=_CACHE_SIZE)
def slug_of_name(name: str) -> str:
    """OpenRouter's slug spelling of a display name or a slug part: lowercase, every run of
    other characters one hyphen ("Amazon Bedrock" -> ``amazon-bedrock``, "Z.AI" -> ``z-ai``).
    Empty when the name has no letter or digit."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
