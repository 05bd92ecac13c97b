"""The admin API under ``/_orcli/``: list, add and clear faults; read the logs.

    GET    /_orcli/faults          -> {"faults": [spec, ...]}
    POST   /_orcli/faults          body: one spec, a list of specs, or {"faults": [...]}
                                   -> 201 {"added": [spec with id, ...]}
    DELETE /_orcli/faults          -> {"cleared": n}
    DELETE /_orcli/faults/{id}     -> {"removed": id} or 404
    GET    /_orcli/log             -> {"attempts": [...]}   provider attempts, in order
    GET    /_orcli/requests        -> {"requests": [...]}   chat requests, in order
    GET    /_orcli/firings         -> {"firings": [...]}    fault firings, in order
    POST   /_orcli/reset           -> forget history (keeps the faults)

Invalid fault specs get a 400 with one line naming the field, worded as ``orcli`` words a
bad faults file (did-you-mean included); a provider or model the simulator's catalog
lacks is refused the same way, since a fault aimed at it could never fire.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from orcli.catalog.model import Catalog
from orcli.sourcefile import explain_error, format_loc, non_finite
from orcli.upstream.faults.log import Firing
from orcli.upstream.faults.spec import FaultSpec
from orcli.upstream.records import AttemptRecord, ChatRequestRecord
from orcli.upstream.targets import target_problems

PREFIX = "/_orcli"


class Administered(Protocol):
    """What the admin API needs of the simulator it serves (the simulator imports this
    module, so it is named here by what it does rather than imported)."""

    @property
    def faults(self) -> tuple[FaultSpec, ...]: ...
    @property
    def firings(self) -> tuple[Firing, ...]: ...
    @property
    def log(self) -> tuple[AttemptRecord, ...]: ...
    @property
    def requests(self) -> tuple[ChatRequestRecord, ...]: ...
    @property
    def catalog(self) -> Catalog: ...
    def add_fault(self, fault: FaultSpec) -> FaultSpec: ...
    def remove_fault(self, fault_id: str) -> bool: ...
    def clear_faults(self) -> None: ...
    def reset(self) -> None: ...


_SPECS: TypeAdapter[list[FaultSpec]] = TypeAdapter(list[FaultSpec])


def _error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "message": message}}


def _finite(record: Any) -> dict[str, Any]:
    data = asdict(record)
    return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in data.items()}


def handle(sim: Administered, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    route = path[len(PREFIX) :]
    if route == "/faults":
        if method == "GET":
            return 200, {"faults": [f.model_dump(mode="json") for f in sim.faults]}
        if method == "POST":
            return _add(sim, body)
        if method == "DELETE":
            count = len(sim.faults)
            sim.clear_faults()
            return 200, {"cleared": count}
        return _error(405, "Method Not Allowed")
    if route.startswith("/faults/") and method == "DELETE":
        fault_id = route[len("/faults/") :]
        if sim.remove_fault(fault_id):
            return 200, {"removed": fault_id}
        return _error(404, f"no fault with id '{fault_id}'")
    if method == "GET" and route == "/log":
        return 200, {"attempts": [_finite(a) for a in sim.log]}
    if method == "GET" and route == "/requests":
        return 200, {"requests": [_finite(r) for r in sim.requests]}
    if method == "GET" and route == "/firings":
        return 200, {"firings": [f.as_json() for f in sim.firings]}
    if method == "POST" and route == "/reset":
        sim.reset()
        return 200, {"reset": True}
    return _error(404, "Not Found")


def _add(sim: Administered, body: bytes) -> tuple[int, dict[str, Any]]:
    try:
        data = json.loads(body or b"null", parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        detail = f": {exc}" if isinstance(exc, NonFinite) else ""
        return _error(400, f"Invalid JSON in request body{detail}")
    wrapped = isinstance(data, dict) and "faults" in data and "kind" not in data
    items = data["faults"] if wrapped else data
    if not isinstance(items, list):
        items = [items]
    try:
        specs = _SPECS.validate_python(items)
    except ValidationError as exc:
        loc, message, _ = explain_error(items, list[FaultSpec], exc)
        return _error(400, _one_line(_where(loc, len(items)), message))
    for i, spec in enumerate(specs):
        where = non_finite(spec)
        if where is not None:
            return _error(400, _one_line(_where((i, *where), len(items)), "not a finite number"))
        for field, problem in target_problems(spec.provider, spec.model, sim.catalog):
            return _error(400, _one_line(_where((i, field), len(items)), problem))
    added = []
    for spec in specs:
        try:
            added.append(sim.add_fault(spec))
        except ValueError as exc:
            return _error(400, _one_line("", str(exc)))
    return 201, {"added": [f.model_dump(mode="json") for f in added]}


class NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON does not have: a fault window from
    # them would never open (NaN) or never close (Infinity).
    raise NonFinite(f"{name} is not a JSON number")


def _where(loc: tuple[Any, ...], count: int) -> str:
    """A field's place in the body: ``status`` for a single spec, ``[1].status`` in a list."""
    return format_loc(loc if count > 1 else loc[1:])


def _one_line(where: str, problem: str) -> str:
    text = f"{where}: {problem}" if where else problem
    return " ".join(text.split())
