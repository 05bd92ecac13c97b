"""``stream_error``: OpenRouter's in-band error chunk ends the stream."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from orcli.upstream.effects import STATUS_ERROR_TYPE
from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError
from orcli.upstream.sse import StreamShape


class StreamErrorFault(Fault):
    """After ``after_tokens`` tokens, OpenRouter's in-band terminal error chunk
    (``finish_reason: "error"``), then the stream ends. No failover: the stream had started."""

    order = 180
    behaviour = Behaviour(Stage.RESPONSE, Effect.STREAM, frozenset({Need.STREAM}))
    summary = (
        'after `after_tokens` (5), OpenRouter\'s in-band error chunk (`code`, `finish_reason: "error"`), '
        "then the end; no failover"
    )
    example = "{kind: stream_error, after_tokens: 5, code: 502}"

    kind: Literal["stream_error"] = "stream_error"
    after_tokens: int = Field(default=5, ge=0)
    code: int = Field(default=502, ge=400, le=599)
    message: str | None = None

    def reshape(self, shape: StreamShape) -> StreamShape:
        error_type = STATUS_ERROR_TYPE.get(self.code, "server")
        error = ApiError(self.code, self.message or "Provider returned error", {"error_type": error_type})
        return replace(shape, error_after=self.after_tokens, error=error)
