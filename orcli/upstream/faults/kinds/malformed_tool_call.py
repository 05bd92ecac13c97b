"""``malformed_tool_call``: the served tool call is broken."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import ClassVar, Literal

from orcli.upstream import content
from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ChatRequest


class MalformedToolCallFault(Fault):
    """The served tool call is broken: arguments that are not JSON, arguments that violate
    the tool's schema, a tool name not offered, or no tool call although one was required."""

    order = 60
    behaviour = Behaviour(Stage.RESPONSE, Effect.BREAK_TOOL_CALL, frozenset({Need.TOOL_CALLS}))
    behaviour_when: ClassVar[Mapping[tuple[str, object], Behaviour]] = {
        # Leaving out a call only breaks an answer whose request did not leave tool use to the model.
        ("mode", "missing_tool_calls"): Behaviour(
            Stage.RESPONSE, Effect.BREAK_TOOL_CALL, frozenset({Need.TOOL_CALLS, Need.TOOL_CHOICE_NOT_AUTO})
        ),
    }
    summary = "a broken tool call: `invalid_json`, `schema_violation`, `unknown_tool`, `missing_tool_calls`"
    example = "{kind: malformed_tool_call, model: qwen/qwen3-coder, mode: invalid_json, every: 6}"

    kind: Literal["malformed_tool_call"] = "malformed_tool_call"
    mode: Literal["invalid_json", "schema_violation", "unknown_tool", "missing_tool_calls"] = "invalid_json"

    @property
    def detail(self) -> str:
        return f"malformed tool call ({self.mode})"

    def break_completion(
        self, completion: content.Completion, chat: ChatRequest, rng: random.Random
    ) -> content.Completion:
        return content.break_tool_call(completion, chat, self.mode, rng)
