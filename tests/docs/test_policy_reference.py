"""docs/policies.md names every key of the policy language and every lint rule."""

from __future__ import annotations

import typing
from collections.abc import Iterator

from pydantic import BaseModel

from orcli.policy.lint import RULES
from orcli.policy.model import ErrorClass, PolicyFile
from tests.docs.project import ROOT

PAGE = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def keys(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> Iterator[str]:
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield name
        for inner in _models(info.annotation):
            yield from keys(inner, seen)


def test_every_policy_key_is_documented() -> None:
    forms = ("`{}`", ".{}`", "`{}.")  # `zdr`, `max_price.prompt`, `backoff.initial_s`
    missing = sorted({k for k in keys(PolicyFile) if not any(form.format(k) in PAGE for form in forms)})
    assert missing == []


def test_every_lint_rule_is_documented_with_its_severity() -> None:
    for rule in RULES.values():
        assert f"| `{rule.id}` | {rule.severity} |" in PAGE


def test_every_error_class_is_documented() -> None:
    for error_class in ErrorClass:
        assert f"`{error_class.value}`" in PAGE
