"""``malformed_tool_call``: the served tool call is broken."""

from __future__ import annotations

import random
from typing import Literal

from orcli.upstream import content
from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ChatRequest

BROKEN_CALL = Behaviour(Stage.RESPONSE, Effect.BREAK_TOOL_CALL, frozenset({Need.TOOL_CALLS}))


class MalformedToolCallFault(
    Fault,
    order=60,
    acts=BROKEN_CALL,
    # Leaving out a call only breaks an answer whose request did not leave tool use to the model.
    acts_when={("mode", "missing_tool_calls"): BROKEN_CALL.needing(Need.TOOL_CHOICE_NOT_AUTO)},
    example="{kind: malformed_tool_call, model: qwen/qwen3-coder, mode: invalid_json, every: 6}",
):
    """A broken tool call: `invalid_json`, `schema_violation`, `unknown_tool`, `missing_tool_calls`.

    The served tool call is broken: arguments that are not JSON, arguments that violate the tool's schema, a tool
    name not offered, or no tool call although one was required.
    """

    kind: Literal["malformed_tool_call"] = "malformed_tool_call"
    mode: Literal["invalid_json", "schema_violation", "unknown_tool", "missing_tool_calls"] = "invalid_json"

    @property
    def detail(self) -> str:
        return f"malformed tool call ({self.mode})"

    def break_completion(
        self, completion: content.Completion, chat: ChatRequest, rng: random.Random
    ) -> content.Completion:
        return content.break_tool_call(completion, chat, self.mode, rng)
