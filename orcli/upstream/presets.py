"""Presets: named request configuration that OpenRouter keeps on its side.

A preset holds request fields (``model``, ``models``, ``provider`` and parameters such as
``temperature`` or ``max_tokens``). A request calls one as ``model: "@preset/slug"``, with
``preset: "slug"``, or as ``model: "author/model@preset/slug"`` (that model, the preset's
other fields). Fields sent in the request override the preset's; ``provider`` is merged
field by field, so a request can change ``sort`` and keep the preset's ``only``.

An unknown preset answers 404: OpenRouter does not document that answer.

A presets file holds ``presets: {slug: {fields}}``; ``orcli compile --as-preset`` writes
one from a policy, and ``orcli mock serve --presets`` or a scenario's ``presets:`` serve it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orcli.routing.rules import ProviderRules
from orcli.sourcefile import load_document, parse_model
from orcli.upstream.protocol import ApiError, dumps

PRESET_PREFIX = "@preset/"
PresetSlug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
# Not part of a preset: the conversation itself, and another preset.
_NOT_IN_A_PRESET = ("messages", "preset")


class Preset(BaseModel):
    """One preset body: request fields, ``provider`` checked as OpenRouter's provider object."""

    model_config = ConfigDict(frozen=True, extra="allow")

    model: str | None = Field(default=None, min_length=1)
    models: tuple[str, ...] | None = None
    provider: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _a_request_part(self) -> Preset:
        for key in _NOT_IN_A_PRESET:
            if key in (self.model_extra or {}):
                raise ValueError(f"a preset cannot hold '{key}'")
        if self.model is not None and PRESET_PREFIX in self.model:
            raise ValueError("a preset's model cannot name another preset")
        if self.provider is not None:
            ProviderRules.model_validate(self.provider)  # the errors a request would get, at load time
        return self

    def body(self) -> dict[str, Any]:
        """The fields it sets, as a request would send them."""
        return self.model_dump(mode="json", exclude_unset=True)


class PresetsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    presets: dict[PresetSlug, Preset] = Field(default_factory=dict)


def parse_presets(path: str | Path, text: str | None = None) -> dict[str, dict[str, Any]]:
    """Read a presets file (YAML or JSON): slug -> fields. Errors name ``file:line:col: field``."""
    document = load_document(path, text)
    if document.data is None:
        return {}
    return bodies(parse_model(document, PresetsFile).presets)


def bodies(presets: Mapping[str, Preset]) -> dict[str, dict[str, Any]]:
    return {slug: preset.body() for slug, preset in presets.items()}


def apply_preset(raw: bytes, presets: Mapping[str, Mapping[str, Any]]) -> bytes | ApiError:
    """The request body with the preset it names merged in; ``raw`` itself when it names none
    (or is not a JSON object: parsing it reports that)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    if not isinstance(data, dict):
        return raw
    slug: str | None = None
    model = data.get("model")
    if isinstance(model, str) and PRESET_PREFIX in model:
        head, _, slug = model.partition(PRESET_PREFIX)
        if head:
            data["model"] = head  # "author/model@preset/slug": this model, the preset's other fields
        else:
            del data["model"]  # "@preset/slug": the preset's model
    named = data.pop("preset", None)
    if slug is None:
        if named is None:
            return raw
        if not isinstance(named, str) or not named:
            return ApiError(400, "preset: must be a preset slug", {"error_type": "invalid_request"})
        slug = named.removeprefix(PRESET_PREFIX)
    preset = presets.get(slug)
    if preset is None:
        return ApiError(404, f"Preset '{slug}' not found", {"error_type": "not_found"})
    merged = {**preset, **data}
    if isinstance(preset.get("provider"), dict) and isinstance(data.get("provider"), dict):
        merged["provider"] = {**preset["provider"], **data["provider"]}
    return dumps(merged)
