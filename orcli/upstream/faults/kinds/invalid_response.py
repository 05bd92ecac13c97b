"""``invalid_response``: a 200 that is not a usable completion."""

from __future__ import annotations

import json
from typing import Any, Literal

from orcli.upstream import schema_values
from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ChatRequest, dumps

BAD_BODY = Behaviour(Stage.RESPONSE, Effect.INVALID_BODY, frozenset({Need.NO_STREAM}))


class InvalidResponseFault(
    Fault,
    order=70,
    acts=BAD_BODY,
    acts_when={("mode", "invalid_structured_output"): BAD_BODY.needing(Need.STRUCTURED_OUTPUT)},
    example="{kind: invalid_response, mode: invalid_structured_output, every: 5}",
):
    """A 200 that is not a usable completion (non-streamed): `non_json`, `empty_choices`, `error_in_200`,
    `choice_error`, `invalid_structured_output`."""

    kind: Literal["invalid_response"] = "invalid_response"
    mode: Literal["non_json", "empty_choices", "error_in_200", "choice_error", "invalid_structured_output"] = "non_json"

    @property
    def detail(self) -> str:
        return f"invalid response ({self.mode})"

    def invalid_body(self, response: dict[str, Any], chat: ChatRequest) -> bytes:
        if self.mode == "non_json":
            return b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        if self.mode == "empty_choices":
            return dumps({**response, "choices": []})
        if self.mode == "error_in_200":
            # Observed in real traffic: HTTP 200 whose body is only an error object.
            metadata = {"raw": "error code: 524", "provider_name": response["provider"]}
            error = {"message": "Provider returned error", "code": 524, "metadata": metadata}
            return dumps({"error": error, "user_id": "user_simulated"})
        choice = dict(response["choices"][0])
        if self.mode == "choice_error":
            # Documented: a partial message with finish_reason "error" and the error on the choice.
            choice["finish_reason"] = "error"
            choice["error"] = {"code": 502, "message": "Provider returned error", "metadata": {"error_type": "server"}}
            return dumps({**response, "choices": [choice]})
        # invalid_structured_output: content that breaks the requested schema, or is not JSON at all.
        text = choice["message"]["content"] or "{}"
        schema = chat.response_format.schema if chat.response_format is not None else None
        try:
            value = json.loads(text)
        except ValueError:
            value = None  # already cut short by max_tokens
        broken = (
            json.dumps(schema_values.violate(value, schema)) if schema and value is not None else text[: len(text) // 2]
        )
        choice["message"] = {**choice["message"], "content": broken}
        return dumps({**response, "choices": [choice]})
