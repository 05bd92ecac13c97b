"""``stream_error``: OpenRouter's in-band error chunk ends the stream."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from orcli.upstream.effects import STATUS_ERROR_TYPE
from orcli.upstream.faults.behaviour import RESHAPE_STREAM
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError
from orcli.upstream.sse import StreamShape


class StreamErrorFault(
    Fault, order=180, acts=RESHAPE_STREAM, example="{kind: stream_error, after_tokens: 5, code: 502}"
):
    """After `after_tokens` (5), OpenRouter's in-band error chunk (`code`, `finish_reason: "error"`), then the end; no
    failover.

    No failover: the stream had started.
    """

    kind: Literal["stream_error"] = "stream_error"
    after_tokens: int = Field(default=5, ge=0)
    code: int = Field(default=502, ge=400, le=599)
    message: str | None = None

    def reshape(self, shape: StreamShape) -> StreamShape:
        error_type = STATUS_ERROR_TYPE.get(self.code, "server")
        error = ApiError(self.code, self.message or "Provider returned error", {"error_type": error_type})
        return replace(shape, error_after=self.after_tokens, error=error)
