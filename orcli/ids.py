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

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, ClassVar, Self, cast

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
class _TwoPartId:
    """A base and an optional part after the first ``SEPARATOR``: parsed and written back the same
    way for every kind of id, so ``str(parse(text)) == text``."""

    SEPARATOR: ClassVar[str]

    base: str
    part: str | None = None

    @classmethod
    def parse(cls, text: str) -> Self:
        return cast(Self, _parse(cls, text))

    def __str__(self) -> str:
        return self.base if self.part is None else f"{self.base}{self.SEPARATOR}{self.part}"


def _split(kind: type[_TwoPartId], text: str) -> _TwoPartId:
    base, separator, part = text.partition(kind.SEPARATOR)
    return kind(base, part if separator else None)


# The cast only restates _split's signature: typeshed types lru_cache's arguments as Hashable,
# which mypy does not see a dataclass's class object as.
_parse = cast(Callable[[type[_TwoPartId], str], _TwoPartId], lru_cache(maxsize=_CACHE_SIZE)(_split))


class ModelId(_TwoPartId):
    """``openai/gpt-4o:nitro`` -> base ``openai/gpt-4o``, variant ``nitro``."""

    __slots__ = ()
    SEPARATOR = ":"

    @property
    def variant(self) -> str | None:
        return self.part

    @property
    def author(self) -> str:
        return self.base.split("/", 1)[0]


def base_model(model_id: str) -> str:
    """The id without its ``:variant``: what the catalog, breakers and faults key on."""
    return _parse(ModelId, model_id).base


def same_base_model(a: str, b: str) -> bool:
    return a == b or _parse(ModelId, a).base == _parse(ModelId, b).base


class ProviderSlug(_TwoPartId):
    """``deepinfra/turbo`` -> base ``deepinfra``, suffix ``turbo``; the whole is the tag."""

    __slots__ = ()
    SEPARATOR = "/"

    @property
    def suffix(self) -> str | None:
        return self.part

    @property
    def tag(self) -> str:
        return str(self)


@lru_cache(maxsize=_CACHE_SIZE)
def slug_of_name(name: str) -> str:
    """OpenRouter's slug spelling of a display name or a slug part: lowercase, every run of
    other characters one hyphen ("Amazon Bedrock" -> ``amazon-bedrock``, "Z.AI" -> ``z-ai``).
    Empty when the name has no letter or digit."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
