"""Model ids and provider slugs: parsed one way, written back unchanged."""

from __future__ import annotations

import pytest

from orcli.ids import ModelId, ProviderSlug, base_model, same_base_model, slug_of_name


@pytest.mark.parametrize(
    ("text", "base", "variant", "author"),
    [
        ("openai/gpt-4o", "openai/gpt-4o", None, "openai"),
        ("openai/gpt-4o:nitro", "openai/gpt-4o", "nitro", "openai"),
        ("xiaomi/mimo-v2-flash:free", "xiaomi/mimo-v2-flash", "free", "xiaomi"),
        # only the first colon separates: the rest belongs to the variant, as OpenRouter sends it
        ("acme/chat:a:b", "acme/chat", "a:b", "acme"),
        ("acme/chat:", "acme/chat", "", "acme"),
    ],
)
def test_model_id_parts_and_round_trip(text: str, base: str, variant: str | None, author: str) -> None:
    parsed = ModelId.parse(text)
    assert (parsed.base, parsed.variant, parsed.author) == (base, variant, author)
    assert str(parsed) == text
    assert base_model(text) == base


def test_a_model_id_is_parsed_once() -> None:
    assert ModelId.parse("openai/gpt-4o:floor") is ModelId.parse("openai/gpt-4o:floor")


def test_same_base_model_ignores_variants_only() -> None:
    assert same_base_model("openai/gpt-4o:nitro", "openai/gpt-4o")
    assert same_base_model("openai/gpt-4o:nitro", "openai/gpt-4o:floor")
    assert not same_base_model("openai/gpt-4o", "openai/gpt-4o-mini")


@pytest.mark.parametrize(
    ("text", "base", "suffix"),
    [
        ("deepinfra", "deepinfra", None),
        ("deepinfra/turbo", "deepinfra", "turbo"),
        ("openai/priority", "openai", "priority"),
    ],
)
def test_provider_slug_parts_and_tag(text: str, base: str, suffix: str | None) -> None:
    slug = ProviderSlug.parse(text)
    assert (slug.base, slug.suffix) == (base, suffix)
    assert slug.tag == str(slug) == text


def test_one_text_parsed_as_each_kind_keeps_its_own_parts() -> None:
    # Both kinds share one parse cache: the kind is part of its key.
    model, slug = ModelId.parse("deepinfra/turbo"), ProviderSlug.parse("deepinfra/turbo")
    assert (type(model), model.base, model.variant) == (ModelId, "deepinfra/turbo", None)
    assert (type(slug), slug.base, slug.suffix) == (ProviderSlug, "deepinfra", "turbo")
    assert model != slug
    assert ProviderSlug.parse("deepinfra/turbo") is slug


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Amazon Bedrock", "amazon-bedrock"),
        ("Google AI Studio", "google-ai-studio"),
        ("DeepInfra", "deepinfra"),
        ("  Together  ", "together"),
        # OpenRouter spells punctuation as one hyphen, never keeps it
        ("Z.AI", "z-ai"),
        ("Acme (EU) -- fast", "acme-eu-fast"),
        ("***", ""),
    ],
)
def test_display_names_get_openrouter_slug_spelling(name: str, slug: str) -> None:
    assert slug_of_name(name) == slug
