"""What each error class means to the client, whatever the policy says: one row per class.

The policy chooses an action per class (``workflow.retry.on``: retry, fallback or stop).
This table holds what the policy cannot change, and :func:`action_for` applies it. The
engine (:mod:`orcli.client.core`) reads nothing else about a class.

Invariants, each checked in ``tests/client/test_core.py``:

* Every :class:`ErrorClass` has exactly one row.
* A class that needs an operator (``alerts``: a key or account problem) is never retried:
  the same key and account would fail the same way, so a policy "retry" becomes stop.
* A moderation block never reaches the same model again: "retry" becomes fallback.
* A spent budget (``spend_limit``) only stops: "retry" becomes stop here, and the policy
  refuses any other action for it (``Retry.on``), since every route meets the same budget.
* Only ``health`` classes move circuit breakers; request and account problems say
  nothing about the route that returned them.
* A class that waiting cannot cure (the request or the account must change) is never
  ``queueable``, so queue degradation does not hold it.
* ``router_walks_past``: classes on which OpenRouter itself moves down the ``models``
  list (reference §3, "any error moves to the next model"), before the client can act.

Whatever the row, every request stays bounded by ``retry.max_attempts`` and the total
deadline: the table decides what kind of hop follows a failure, never how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from orcli.policy.model import Action, ErrorClass, Retry


@dataclass(frozen=True, slots=True)
class ClassRule:
    health: bool  # counts against the route's circuit breakers
    alerts: bool  # an operator must act: raises an alert on the request
    queueable: bool  # waiting in a queue can cure it
    router_walks_past: bool  # OpenRouter falls over to the next model by itself
    on_retry: Action  # what a policy "retry" becomes


_ = False
X = True
R, F, S = Action.RETRY, Action.FALLBACK, Action.STOP

# fmt: off
#                                                 health alerts queue walks  retry means
RULES: Mapping[ErrorClass, ClassRule] = MappingProxyType({
    ErrorClass.BAD_REQUEST:         ClassRule(_,     _,     _,     _,     R),
    ErrorClass.AUTH:                ClassRule(_,     X,     _,     _,     S),
    ErrorClass.BILLING:             ClassRule(_,     X,     _,     _,     S),
    ErrorClass.SPEND_LIMIT:         ClassRule(_,     X,     _,     _,     S),
    ErrorClass.RATE_LIMIT:          ClassRule(X,     _,     X,     X,     R),
    ErrorClass.TIMEOUT:             ClassRule(X,     _,     X,     X,     R),
    ErrorClass.PROVIDER_FAILURE:    ClassRule(X,     _,     X,     X,     R),
    ErrorClass.ROUTING_CONSTRAINT:  ClassRule(_,     _,     X,     _,     R),
    ErrorClass.MODERATION:          ClassRule(_,     _,     X,     X,     F),
    ErrorClass.CONTEXT_LENGTH:      ClassRule(_,     _,     X,     X,     R),
    ErrorClass.INVALID_RESPONSE:    ClassRule(X,     _,     X,     _,     R),
    ErrorClass.MALFORMED_TOOL_CALL: ClassRule(X,     _,     X,     _,     R),
    ErrorClass.STREAM_TRUNCATED:    ClassRule(X,     _,     X,     _,     R),
})
# fmt: on
del _, X, R, F, S


def action_for(retry: Retry, error_class: ErrorClass) -> Action:
    """The policy's action for the class, with this table's limits on "retry" applied."""
    action = retry.action(error_class)
    return RULES[error_class].on_retry if action is Action.RETRY else action
