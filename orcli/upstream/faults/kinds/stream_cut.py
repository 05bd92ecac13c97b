"""``stream_cut``: the stream stops mid-answer and the connection closes."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.sse import StreamShape


class StreamCutFault(Fault):
    """The stream stops after ``after_tokens`` completion tokens: no finish chunk, no usage,
    no ``[DONE]``; the connection closes mid-body (``httpx.RemoteProtocolError``)."""

    order = 140
    behaviour = Behaviour(Stage.RESPONSE, Effect.STREAM, frozenset({Need.STREAM}))
    summary = "the stream stops after `after_tokens` (10): no finish chunk, no usage, no `[DONE]`"
    example = "{kind: stream_cut, after_tokens: 20, every: 6}"

    kind: Literal["stream_cut"] = "stream_cut"
    after_tokens: int = Field(default=10, ge=0)

    def reshape(self, shape: StreamShape) -> StreamShape:
        return replace(shape, cut_after=self.after_tokens)
