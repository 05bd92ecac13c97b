"""Bring-your-own-key endpoints, as OpenRouter routes them.

A BYOK key for a provider adds that provider's endpoints billed to our own account
(tag ``<slug>/byok``), tried before any shared capacity. ``shared_fallback`` keeps
OpenRouter's shared endpoints of that provider behind them; ``strict`` ("always use
this key") removes them, so the key's own 429s and outages reach the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from orcli.catalog.model import Catalog, Endpoint, Model

ByokMode = Literal["strict", "shared_fallback"]


def byok_tag(endpoint: Endpoint) -> str:
    return f"{endpoint.provider_slug}/byok"


def with_byok(catalog: Catalog, keys: Mapping[str, ByokMode]) -> Catalog:
    """The catalog as an account with BYOK keys for ``keys`` (provider slug -> mode) sees it."""
    if not keys:
        return catalog
    models: list[Model] = []
    for model in catalog.models:
        endpoints: list[Endpoint] = []
        for ep in model.endpoints:
            mode = keys.get(ep.provider_slug) if ep.tier == "standard" and not ep.is_byok else None
            if mode is None:
                endpoints.append(ep)
                continue
            if ep.tag == ep.provider_slug:  # one BYOK twin per provider: the key is per provider
                endpoints.append(ep.model_copy(update={"tag": byok_tag(ep), "is_byok": True}))
            if mode == "shared_fallback":
                endpoints.append(ep)
        models.append(model.model_copy(update={"endpoints": tuple(endpoints)}))
    updated = catalog.model_copy(update={"models": tuple(models), "source": f"{catalog.source} + BYOK"})
    # model_copy also copies the cached lookups (``get``'s index, the slug set) computed on
    # the original, which would keep answering with the endpoints before BYOK: rebuild clean.
    return Catalog.model_construct(**{name: getattr(updated, name) for name in Catalog.model_fields})
