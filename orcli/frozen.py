"""The base of every config and catalog model: immutable, and strict about unknown keys.

Parsed once at the edge, these objects are shared by the policy, the catalog, the
overrides and the scenarios; freezing them means no consumer can change what another
one reads, and ``extra="forbid"`` turns a misspelt key into an error instead of a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def refuse_repeats(names: Iterable[str], message: str) -> None:
    """Raise ``ValueError(message)``, its ``{}`` filled with the first name that appears a second
    time, when ``names`` (ids and tags a model requires unique) repeat one; pydantic turns it into
    a validation error at the right field."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(message.format(name))
        seen.add(name)
