from __future__ import annotations

import json
from typing import Any, Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult


class NoMalformedToolCall(Expectation):
    """Every tool call handed to the app names an offered tool and matches its JSON Schema."""

    kind: Literal["no_malformed_tool_call"]

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        import jsonschema

        bad: list[str] = []
        checked = 0
        for row in self.rows(facts):
            if not row.result.ok or row.result.response is None:
                continue
            offered = {t["function"]["name"]: t["function"].get("parameters", {}) for t in _tools(facts, row.kind)}
            for choice in row.result.response.get("choices") or []:
                for call in (choice.get("message") or {}).get("tool_calls") or []:
                    checked += 1
                    problem = _problem(call, offered, jsonschema)
                    if problem:
                        bad.append(f"{describe(row)}: {problem}")
        if checked == 0:
            return self.vacuous("no tool call reached the app")
        return self.verdict(not bad, f"{checked} tool call(s) reached the app, {len(bad)} malformed", bad)


def _tools(facts: DrillFacts, kind: str) -> list[Any]:
    return list(facts.tools_by_kind.get(kind, ()))


def _problem(call: dict[str, Any], offered: dict[str, Any], jsonschema: Any) -> str | None:
    function = call.get("function") or {}
    name = function.get("name")
    if name not in offered:
        return f"unknown tool {name!r}"
    try:
        arguments = json.loads(function.get("arguments") or "")
    except (TypeError, ValueError):
        return f"tool {name}: arguments are not JSON"
    errors = list(jsonschema.Draft202012Validator(offered[name]).iter_errors(arguments))
    return f"tool {name}: {errors[0].message}" if errors else None
