"""``stream_cut``: the stream stops mid-answer and the connection closes."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from orcli.upstream.faults.behaviour import RESHAPE_STREAM
from orcli.upstream.faults.kind import Fault
from orcli.upstream.sse import StreamShape


class StreamCutFault(Fault, order=140, acts=RESHAPE_STREAM, example="{kind: stream_cut, after_tokens: 20, every: 6}"):
    """The stream stops after `after_tokens` (10): no finish chunk, no usage, no `[DONE]`.

    The connection closes mid-body (``httpx.RemoteProtocolError``).
    """

    kind: Literal["stream_cut"] = "stream_cut"
    after_tokens: int = Field(default=10, ge=0)

    def reshape(self, shape: StreamShape) -> StreamShape:
        return replace(shape, cut_after=self.after_tokens)
