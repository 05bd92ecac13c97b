"""``stream_stall``: the stream goes quiet, then resumes."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from orcli.upstream.faults.behaviour import RESHAPE_STREAM
from orcli.upstream.faults.kind import Fault
from orcli.upstream.sse import StreamShape


class StreamStallFault(
    Fault, order=150, acts=RESHAPE_STREAM, example="{kind: stream_stall, after_tokens: 5, seconds: 30}"
):
    """The stream goes quiet for `seconds` (30) after `after_tokens` (5), then resumes."""

    kind: Literal["stream_stall"] = "stream_stall"
    after_tokens: int = Field(default=5, ge=0)
    seconds: float = Field(default=30.0, gt=0)

    def reshape(self, shape: StreamShape) -> StreamShape:
        return replace(shape, stall_after=self.after_tokens, stall_s=self.seconds)
