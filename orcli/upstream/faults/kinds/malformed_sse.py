"""``malformed_sse``: one event of the stream is not JSON."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import Field

from orcli.upstream.faults.behaviour import RESHAPE_STREAM
from orcli.upstream.faults.kind import Fault
from orcli.upstream.sse import StreamShape


class MalformedSseFault(
    Fault, order=160, acts=RESHAPE_STREAM, example="{kind: malformed_sse, after_tokens: 5, every: 4}"
):
    """After `after_tokens` (5) one event's data is not JSON; the stream goes on."""

    kind: Literal["malformed_sse"] = "malformed_sse"
    after_tokens: int = Field(default=5, ge=0)

    def reshape(self, shape: StreamShape) -> StreamShape:
        return replace(shape, malformed_after=self.after_tokens)
