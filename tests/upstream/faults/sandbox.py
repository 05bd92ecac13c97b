"""A fault kind orcli does not have, registered apart from orcli's own kinds."""

from __future__ import annotations

from typing import ClassVar, Literal

from orcli.upstream.faults import Behaviour, Effect, Fault, Stage
from orcli.upstream.protocol import ApiError, ChatRequest


class Sandbox(Fault):
    """A base with a registry of its own: kinds defined here stay out of orcli's list."""

    registry: ClassVar[dict[str, type[Fault]]] = {}


class QuotaFault(Sandbox, order=10, acts=Behaviour(Stage.REQUEST, Effect.REFUSE), example="{kind: quota}"):
    """403 before routing.

    A spent quota: a kind orcli does not have.
    """

    kind: Literal["quota"] = "quota"
    scope: Literal["key", "workspace"] = "key"

    def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
        return ApiError(403, f"{self.scope} quota spent", {"error_type": "forbidden"})
