"""``missing_done``: the stream never sends its ``[DONE]``."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.sse import StreamShape


class MissingDoneFault(Fault):
    """The stream ends cleanly after the usage chunk but never sends ``data: [DONE]``."""

    order = 170
    behaviour = Behaviour(Stage.RESPONSE, Effect.STREAM, frozenset({Need.STREAM}))
    summary = "the stream ends cleanly but never sends `data: [DONE]`"
    example = "{kind: missing_done, every: 4}"

    kind: Literal["missing_done"] = "missing_done"

    def reshape(self, shape: StreamShape) -> StreamShape:
        return replace(shape, missing_done=True)
