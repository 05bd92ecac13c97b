from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult, RequestRecord
from orcli.ids import base_model, slug_of_name


class ServedBy(Expectation):
    """Every answer came from the listed routes, whatever the workflow's degradation mode.

    Providers are named by routing tag, as the judge identifies the endpoint that answered:
    ``deepinfra`` names the provider's endpoints (``deepinfra/turbo`` included, as OpenRouter's
    slug matching has it), ``deepinfra/turbo`` or ``anthropic/byok`` only that one. Pinning the
    routes in the scenario keeps them fixed even if someone loosens the policy."""

    kind: Literal["served_by"]
    models: tuple[str, ...] = ()  # allowed models; default: any
    providers: tuple[str, ...] = ()  # allowed providers; default: any
    not_providers: tuple[str, ...] = ()  # never these, even where ``providers`` allows them

    @model_validator(mode="after")
    def _some_rule(self) -> ServedBy:
        if not (self.models or self.providers or self.not_providers):
            raise ValueError("give models, providers, not_providers or several")
        return self

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        answered = [r for r in self.rows(facts) if r.result.ok]
        if not answered:
            return self.vacuous("no answered request")
        bad = [f"{describe(r)}: {problem}" for r in answered if (problem := self._problem(r))]
        return self.verdict(not bad, f"{len(bad)} of {len(answered)} answer(s) off the listed routes", bad)

    def _problem(self, row: RequestRecord) -> str | None:
        model = base_model(row.result.served_model or "")
        if self.models and model not in {base_model(m) for m in self.models}:
            return f"model {model} is not listed ({', '.join(self.models)})"
        tag = row.endpoint or slug_of_name(row.result.served_provider or "")
        if self.providers and not any(names(p, tag) for p in self.providers):
            return f"provider {tag or '?'} is not listed ({', '.join(self.providers)})"
        if any(names(p, tag) for p in self.not_providers):
            return f"provider {tag} is excluded ({', '.join(self.not_providers)})"
        return None


def names(listed: str, tag: str) -> bool:
    """Whether ``listed`` (a base slug or a full routing tag) names the endpoint ``tag``."""
    listed = listed.lower()
    return tag == listed or ("/" not in listed and tag.startswith(listed + "/"))
