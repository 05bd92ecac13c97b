"""What a fault kind declares about itself, as plain data: where it acts and what it does.

A kind's :class:`Behaviour` is read by two interpreters that never import each other: the
simulator (``orcli.upstream.simulator``), which plays OpenRouter and its providers, and the
live injector (``orcli.live.inject``), which plays the faults between a client and the real
API. Both switch on these values, never on the kind's class, so a new kind that declares a
known behaviour works in both without either of them changing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from orcli.upstream.effects import Need

__all__ = ["Behaviour", "Effect", "Need", "Stage"]


class Stage(StrEnum):
    """When a fault is evaluated within one chat request (the simulator's four fault stages)."""

    REQUEST = "request"  # OpenRouter itself, before routing: once per request
    ROUTE = "route"  # while routing: once per candidate endpoint
    ATTEMPT = "attempt"  # one provider attempt of OpenRouter's failover
    RESPONSE = "response"  # the answer or stream a provider served


class Effect(StrEnum):
    """What a fired fault does. Each effect names the hook of the kind that supplies its details."""

    REFUSE = "refuse"  # request: OpenRouter answers with the kind's error (``refusal``)
    DISCONNECT = "disconnect"  # the connection drops: refused (request stage) or reset mid-attempt
    DROP_ENDPOINT = "drop_endpoint"  # route: the endpoint leaves routing (``dropped_message``)
    DELAY = "delay"  # attempt: slower, never failing (``slowdown``); every firing one adds up
    FAIL = "fail"  # attempt: the provider or model answers with the kind's error (``attempt_error``)
    SILENT = "silent"  # attempt: like FAIL, after the provider was silent for the whole attempt
    HANG = "hang"  # attempt: no reply ever; only the client's own timeout ends the wait
    BREAK_TOOL_CALL = "break_tool_call"  # response: the served tool call is broken (``break_completion``)
    INVALID_BODY = "invalid_body"  # response: a 200 whose body is not a usable completion (``invalid_body``)
    STREAM = "stream"  # response: the stream is cut, stalled, corrupted or ended (``reshape``)


@dataclass(frozen=True, slots=True)
class Behaviour:
    stage: Stage
    effect: Effect
    needs: frozenset[Need] = frozenset()
    # Aimed at a provider, the fault hits only an answer that provider actually served (a model
    # refusing the input, a connection dropping mid-answer). Outside OpenRouter that is known
    # only from the response, so the live injector judges it there.
    on_answer: bool = False

    def needing(self, *needs: Need) -> Behaviour:
        """This behaviour, acting only on answers that also have ``needs``."""
        return replace(self, needs=self.needs | frozenset(needs))


# Behaviours several kinds share, by what they mean.
REFUSE_REQUEST = Behaviour(Stage.REQUEST, Effect.REFUSE)  # OpenRouter refuses the request before routing
FAIL_ATTEMPT = Behaviour(Stage.ATTEMPT, Effect.FAIL)  # the provider's attempt fails; OpenRouter fails over
REFUSE_INPUT = Behaviour(Stage.ATTEMPT, Effect.FAIL, on_answer=True)  # the model refuses what it is given
RESHAPE_STREAM = Behaviour(Stage.RESPONSE, Effect.STREAM, frozenset({Need.STREAM}))  # a streamed answer changes
