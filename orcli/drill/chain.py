"""A request's attempts in one line: ``m1@a 429 -> m1@b timeout -> m2@c ok``.

Expectations quote it as evidence and every report prints it, so it is written once, here
(the reports re-export it from :mod:`orcli.reports.common`).
"""

from __future__ import annotations

from orcli.client.ledger import Attempt
from orcli.drill.records import RequestRecord
from orcli.policy.model import ErrorClass

# The error class an HTTP status implies on its own; any other class is spelled out in the chain.
_STATUS_CLASS: dict[int, ErrorClass] = {
    400: ErrorClass.BAD_REQUEST,
    401: ErrorClass.AUTH,
    402: ErrorClass.BILLING,
    408: ErrorClass.TIMEOUT,
    429: ErrorClass.RATE_LIMIT,
    500: ErrorClass.PROVIDER_FAILURE,
    502: ErrorClass.PROVIDER_FAILURE,
    503: ErrorClass.PROVIDER_FAILURE,
}


def attempt_token(attempt: Attempt) -> str:
    """How one attempt ended, in a word: ``ok``, the HTTP status, or the failure class.

    A status is enough when it implies the class (429 is a rate limit); a status that
    can mean several things gets the class too (``400 context_length``). Failures with
    no response (timeouts, resets) or with a bad 200 body show the class alone.
    """
    if attempt.ok:
        return "ok"
    name = attempt.error_class.value if attempt.error_class is not None else "error"
    if attempt.status is None or attempt.status == 200:
        return name
    if _STATUS_CLASS.get(attempt.status) is attempt.error_class:
        return str(attempt.status)
    return f"{attempt.status} {name}"


def attempt_chain(record: RequestRecord) -> str:
    """``m1@a 429 -> m1@b timeout -> m2@c ok``: every attempt of one request, in order.

    OpenRouter's own failover inside one HTTP request (its attempt trail) is spelled out
    too, so a provider fallback the client never saw still shows in the chain.
    """
    attempts = record.result.attempts
    if not attempts:
        return "no attempt"
    steps: list[str] = []
    for attempt in attempts:
        steps.extend(f"{hop.model}@{hop.provider} {hop.status}" for hop in attempt.upstream_hops[:-1])
        step = f"{attempt_route(attempt)} {attempt_token(attempt)}"
        if attempt.ignored_providers:
            # The client's open breakers kept these out of this attempt (provider.ignore).
            step += f" (skipped {', '.join(attempt.ignored_providers)}: breaker open)"
        steps.append(step)
    return " -> ".join(steps)


OPENROUTER = "OpenRouter"
NO_ANSWER = "(no answer)"


def refused_by_openrouter(attempt: Attempt) -> bool:
    """An answer that names no provider: OpenRouter refused the request itself, before any
    routing (an account-wide rate limit, auth, credits), so no provider was tried."""
    return attempt.provider is None and attempt.status is not None and not attempt.ok and not attempt.upstream_hops


def answered_by(attempt: Attempt) -> str:
    """Who answered an attempt: its provider, OpenRouter itself, or nobody (a timeout, a reset)."""
    if attempt.provider is not None:
        return attempt.provider
    return OPENROUTER if refused_by_openrouter(attempt) else NO_ANSWER


def attempt_route(attempt: Attempt) -> str:
    """``model@provider``; ``model@OpenRouter`` for a refusal before routing; ``model@?``
    when no answer arrived to say who it was (a timeout, a reset)."""
    if refused_by_openrouter(attempt):
        return f"{attempt.served_model or attempt.model}@{OPENROUTER}"
    return attempt.route
