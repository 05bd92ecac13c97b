from __future__ import annotations

from orcli.catalog import default_catalog
from orcli.catalog.byok import with_byok


def tags(model_id: str, keys: dict[str, str]) -> list[tuple[str, bool]]:
    model = with_byok(default_catalog(), keys).get(model_id)  # type: ignore[arg-type]
    assert model is not None
    return [(ep.tag, ep.is_byok) for ep in model.endpoints]


def test_shared_fallback_keeps_the_shared_endpoint_behind_the_key() -> None:
    assert ("anthropic/byok", True) in tags("anthropic/claude-sonnet-4.5", {"anthropic": "shared_fallback"})
    assert ("anthropic", False) in tags("anthropic/claude-sonnet-4.5", {"anthropic": "shared_fallback"})


def test_strict_removes_the_shared_endpoint_of_that_provider_only() -> None:
    strict = tags("anthropic/claude-sonnet-4.5", {"anthropic": "strict"})
    assert ("anthropic/byok", True) in strict
    assert ("anthropic", False) not in strict
    assert ("amazon-bedrock", False) in strict


def test_no_keys_is_the_same_catalog() -> None:
    assert with_byok(default_catalog(), {}) is default_catalog()


def test_lookups_see_the_keys_after_the_catalog_was_used() -> None:
    catalog = default_catalog()
    assert catalog.get("openai/gpt-4o-mini") is not None  # fills the catalog's look-up index
    model = with_byok(catalog, {"openai": "strict"}).get("openai/gpt-4o-mini")
    assert model is not None
    assert [ep.tag for ep in model.endpoints] == ["openai/byok", "azure"]
    assert "openai/byok" in with_byok(catalog, {"openai": "strict"}).provider_slugs
