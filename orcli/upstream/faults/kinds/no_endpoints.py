"""``no_endpoints``: the targeted endpoints drop out of routing."""

from __future__ import annotations

from typing import Literal

from orcli.catalog.model import Endpoint
from orcli.upstream.effects import AttemptError
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.faults.kind import Fault
from orcli.upstream.protocol import ApiError, ChatRequest


class NoEndpointsFault(
    Fault,
    order=130,
    acts=Behaviour(Stage.ROUTE, Effect.DROP_ENDPOINT),
    example="{kind: no_endpoints, provider: azure, start_s: 60, end_s: 120}",
):
    """The targeted endpoints drop out of routing; a model left with none answers 404."""

    kind: Literal["no_endpoints"] = "no_endpoints"
    message: str | None = None

    def dropped_message(self) -> str:
        return self.message or ""

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        message = self.message or f"No endpoints found for {model_id}."
        return AttemptError(ApiError(404, message, {"error_type": "not_found"}), 0.0)
