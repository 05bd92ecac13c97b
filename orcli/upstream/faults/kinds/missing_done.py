"""``missing_done``: the stream never sends its ``[DONE]``."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from orcli.upstream.faults.behaviour import RESHAPE_STREAM
from orcli.upstream.faults.kind import Fault
from orcli.upstream.sse import StreamShape


class MissingDoneFault(Fault, order=170, acts=RESHAPE_STREAM, example="{kind: missing_done, every: 4}"):
    """The stream ends cleanly but never sends `data: [DONE]`."""

    kind: Literal["missing_done"] = "missing_done"

    def reshape(self, shape: StreamShape) -> StreamShape:
        return replace(shape, missing_done=True)
