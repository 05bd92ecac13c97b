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

Invalid fault specs get a 400 naming the field, like the API's own errors.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from orcli.sourcefile import format_loc
from orcli.upstream.faults.log import Firing
from orcli.upstream.faults.spec import FAULT_KINDS, FaultSpec
from orcli.upstream.records import AttemptRecord, ChatRequestRecord

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
        data = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return _error(400, "Invalid JSON in request body")
    if isinstance(data, dict) and "faults" in data and "kind" not in data:
        data = data["faults"]
    items = data if isinstance(data, list) else [data]
    try:
        specs = _SPECS.validate_python(items)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = [p for p in err["loc"] if isinstance(p, int) or not _is_tag(p)]
        where = format_loc(loc) if len(items) > 1 else format_loc(loc[1:])
        return _error(400, f"{where}: {err['msg']}" if where else str(err["msg"]))
    added = []
    for spec in specs:
        try:
            added.append(sim.add_fault(spec))
        except ValueError as exc:
            return _error(400, str(exc))
    return 201, {"added": [f.model_dump(mode="json") for f in added]}


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and part in FAULT_KINDS
