from __future__ import annotations

from typing import Literal

from orcli.drill.expectations.base import DrillFacts, Expectation, describe
from orcli.drill.records import ExpectationResult

FINISHED = {"stop", "tool_calls", "content_filter"}


class NoTruncatedSuccess(Expectation):
    """No request counted as answered carries a cut or unfinished answer. An answer that stopped
    at the token limit (``length``) is cut too, unless its traffic entry sets ``allow_length_finish``."""

    kind: Literal["no_truncated_success"]

    def evaluate(self, facts: DrillFacts) -> ExpectationResult:
        bad: list[str] = []
        answered = [r for r in self.rows(facts) if r.result.ok]
        if not answered:
            return self.vacuous("no answered request")
        for row in answered:
            if row.result.response is None:
                continue
            choices = row.result.response.get("choices") or []
            reason = choices[0].get("finish_reason") if choices else None
            if reason not in FINISHED and not (reason == "length" and row.kind in facts.length_allowed):
                bad.append(f"{describe(row)}: finish_reason {reason!r}")
        return self.verdict(not bad, f"{len(bad)} answered request(s) without a proper finish", bad)
