"""Fault specifications: what goes wrong, where, and when.

A fault is a frozen value with a ``kind`` (the discriminator), a target and an
activation. The target is a provider slug and/or a model id; with neither, the
fault targets everything. The activation conditions all have to hold for a fault
to fire (they compose with AND):

- ``from_request``/``to_request``: 1-based index of the chat request, inclusive;
- ``start_s``/``end_s``: simulated seconds since the simulator's start, ``[start, end)``;
- ``flap_period_s``/``flap_down_s``: down for the first ``flap_down_s`` of every period
  (half of it by default), counted from ``start_s`` (or 0);
- ``first``: fire on the first N matching events, then stay healthy;
- ``every``: fire on every Nth matching event;
- ``probability``: fire with this chance, drawn from the simulator's seed.

A "matching event" is one evaluation of the fault whose target and windows match: one
per request for request-level kinds (auth, billing, OpenRouter-wide rate limits), one per
provider attempt inside OpenRouter's failover for provider kinds (outage, timeout, ...),
one per served response for response and stream kinds.

Each kind is a class of its own in ``orcli.upstream.faults.kinds``; :data:`FaultSpec` is
whichever of them a ``kind`` names. Scenario files embed a list of these;
:func:`parse_faults` reads a faults file with ``file:line`` errors.
"""

from __future__ import annotations

import functools
import operator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeAlias

from pydantic import Field, field_validator

import orcli.upstream.faults.kinds  # noqa: F401 - defines, and so registers, every kind
from orcli.catalog.model import Catalog
from orcli.frozen import Frozen
from orcli.sourcefile import load_document, parse_model
from orcli.upstream.faults.kind import Fault, FaultId, kind_name, kinds
from orcli.upstream.targets import target_problems

__all__ = ["FAULT_KINDS", "FaultId", "FaultPlan", "FaultSpec", "parse_faults", "with_ids"]

if TYPE_CHECKING:
    FaultSpec: TypeAlias = Fault
else:
    # One of the registered kinds, told apart by ``kind``. The union's order is the kinds'
    # ``order``: it is the order of the schema's ``oneOf`` and of "expected one of" errors.
    FaultSpec = Annotated[functools.reduce(operator.or_, kinds()), Field(discriminator="kind")]

FAULT_KINDS: tuple[str, ...] = tuple(kind_name(kind) for kind in kinds())


def with_ids(faults: tuple[FaultSpec, ...] | list[FaultSpec], *, start: int = 1) -> tuple[FaultSpec, ...]:
    """Give every fault without an ``id`` the default ``<kind>-<n>`` (``n`` = 1-based position,
    counted from ``start``). Raises ``ValueError`` on duplicate ids."""
    out: list[FaultSpec] = []
    seen: set[str] = set()
    for n, fault in enumerate(faults, start=start):
        if fault.id is None:
            fault = fault.model_copy(update={"id": f"{fault.kind_name}-{n}"})
        assert fault.id is not None
        if fault.id in seen:
            raise ValueError(f"fault id '{fault.id}' appears twice")
        seen.add(fault.id)
        out.append(fault)
    return tuple(out)


class FaultPlan(Frozen):
    """A faults file: ``faults: [...]`` (a bare list is accepted too)."""

    faults: tuple[FaultSpec, ...] = ()

    @field_validator("faults")
    @classmethod
    def _ids(cls, faults: tuple[FaultSpec, ...]) -> tuple[FaultSpec, ...]:
        return with_ids(faults)  # raises on duplicate ids


def parse_faults(path: str | Path, text: str | None = None, *, catalog: Catalog | None = None) -> tuple[FaultSpec, ...]:
    """Read a YAML/JSON faults file; errors name ``file:line:col: field``. With ``catalog``, a
    fault aimed at a provider or model the catalog lacks is refused too, with a did-you-mean:
    it would never fire."""
    document = load_document(path, text)
    if document.data is None:
        return ()
    if isinstance(document.data, list):
        document = type(document)(
            document.path,
            {"faults": document.data},
            {("faults", *loc): pos for loc, pos in document.positions.items()},
            {("faults", *loc): pos for loc, pos in document.key_positions.items()},
        )
    faults = parse_model(document, FaultPlan).faults
    if catalog is not None:
        for i, fault in enumerate(faults):
            for field, problem in target_problems(fault.provider, fault.model, catalog):
                raise document.error(("faults", i, field), problem)
    return faults
