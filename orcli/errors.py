"""The one exception tree of orcli's library.

    OrcliError                      something orcli raises on purpose
    ├── InputError                  input the caller gave cannot be used: a file, an argument's value
    │   ├── SourceError             ... at a known file:line:col and field
    │   └── InvalidValue            ... a value (an argument, a flag's text) that is not acceptable
    ├── CheckFailed                 a check ran and found problems (lint errors, failed expectations)
    ├── UpstreamError               the upstream (mock or live) cannot be used at all, e.g. unreachable
    └── ClientError                 the resilient client (``orcli.Client``) refused a call
        ├── ClientConfigError       ... it cannot be built as asked (a bad base_url, no API key)
        ├── ClientPolicyError       ... a call asks for what the policy forbids (a model outside the chain)
        └── BudgetExceeded          ... a call whose worst-case cost could break a spending cap

Exceptions carry no exit codes: they say what went wrong, and the command line's error
boundary (:mod:`orcli.cli.boundary`) alone maps them to exit codes, by one table.
Foreign exceptions (YAML, pydantic, httpx, OSError) are translated into this tree once,
at the edge that met them. No exception here ever carries an API key: messages are built
from file names, fields and upstream metadata only. (The resilient client classifies
upstream failures itself and reports them in its attempt ledger; see :mod:`orcli.client`.)
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path


class OrcliError(Exception):
    """Base of every error orcli raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(OrcliError):
    """Input the caller supplied cannot be used (a missing, unreadable or invalid file, a bad value)."""


class SourceError(InputError):
    """An input error at a precise place: ``path:line:col: field: message``.

    ``line`` and ``col`` are 1-based, as editors show them.
    """

    def __init__(
        self,
        path: str | Path,
        line: int,
        col: int,
        field: str,
        problem: str,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.col = col
        self.field = field
        self.problem = problem
        where = f"{self.path}:{line}:{col}"
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


class InvalidValue(InputError):
    """A value the caller gave (an argument, the text of an option) is not acceptable.

    The message names the value the way the caller wrote it, e.g. ``--ttl: ...``.
    """


class CheckFailed(OrcliError):
    """A check ran and found problems (lint errors, failed expectations)."""


class SpendLimitReached(OrcliError):
    """A budget the account enforces (an API key, guardrail or workspace budget) refused the
    work: nothing more can be spent until its owner raises it or it resets."""


class UpstreamError(OrcliError):
    """An upstream (mock or live) could not be used at all, e.g. unreachable or unreadable."""


class ClientError(OrcliError):
    """Base of what the resilient client (``orcli.Client``, ``orcli.AsyncClient``) raises.

    Upstream failures are not raised: the client classifies them, falls back, and reports
    them in the returned result's attempt ledger.
    """


class ClientConfigError(ClientError):
    """The client cannot be built as asked: a base URL that is not http(s), no API key."""


class ClientPolicyError(ClientError):
    """A call asked for what its workflow's policy does not allow, e.g. a model outside the chain."""


class BudgetExceeded(ClientError):
    """The client refused to send a request whose worst-case cost would break a cap.

    ``scope`` is ``"request"`` (the workflow's per-request cap) or ``"client"`` (the cap
    over the client's lifetime). Nothing was sent for the refused attempt.
    """

    def __init__(self, message: str, *, scope: str, estimate_usd: Decimal, cap_usd: Decimal) -> None:
        super().__init__(message)
        self.scope = scope
        self.estimate_usd = estimate_usd
        self.cap_usd = cap_usd
