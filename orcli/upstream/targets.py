"""Is a provider slug or model id one the catalog knows? With a did-you-mean when not.

Shared by everything that lets a user aim at the upstream by name (scenario faults, the
mock's admin API) so that a typo is refused up front instead of never matching.
"""

from __future__ import annotations

from orcli.catalog.model import Catalog
from orcli.ids import ModelId
from orcli.suggest import did_you_mean


def provider_problem(slug: str, catalog: Catalog) -> str | None:
    """Why ``slug`` names no provider of the catalog, or None if it names one."""
    if catalog.knows_provider(slug):
        return None
    bases = {s for s in catalog.provider_slugs if "/" not in s}
    hint = did_you_mean(slug, catalog.provider_slugs)
    return f"unknown provider '{slug}'{hint or '; known: ' + ', '.join(sorted(bases))}"


def target_problems(provider: str | None, model: str | None, catalog: Catalog) -> list[tuple[str, str]]:
    """The fields of a fault's target (``provider``, ``model``) that name nothing in the catalog, each with why."""
    found = []
    if provider is not None and (problem := provider_problem(provider, catalog)):
        found.append(("provider", problem))
    if model is not None and (problem := model_problem(model, catalog)):
        found.append(("model", problem))
    return found


def model_problem(model_id: str, catalog: Catalog) -> str | None:
    """Why ``model_id`` names no model of the catalog (a ``:variant`` suffix is ignored), or None."""
    if catalog.get(model_id) is not None:
        return None
    hint = did_you_mean(ModelId.parse(model_id).base, (m.id for m in catalog.models))
    return f"unknown model '{model_id}'{hint or ''} (see 'orcli catalog show')"
