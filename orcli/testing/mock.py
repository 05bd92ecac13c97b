"""An in-process OpenRouter for an app's own tests: the simulator, its clock and its records.

    mock = OrcliMock(seed=7)
    mock.fault(kind="outage", provider="openai", end_s=60)
    sdk = openai.OpenAI(base_url=mock.base_url, api_key="test", http_client=mock.http_client())

Nothing opens a socket: ``http_client()`` and ``async_http_client()`` are httpx clients
whose transport is the simulator, so the openai SDK, plain httpx and orcli's own clients
all reach it unchanged. Faults are validated exactly like a scenario's ``faults:`` entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from orcli.catalog.model import Catalog
from orcli.sourcefile import format_loc
from orcli.testing.clock import AsyncView, MockClock
from orcli.upstream import AttemptRecord, ChatRequestRecord, FaultSpec, Firing, Simulator, SimulatorOptions
from orcli.upstream.transport import AsyncSimulatorTransport, SimulatorTransport

# ``.invalid`` never resolves: a client that forgot the mock's http_client fails to connect
# instead of reaching a real server with a test key.
MOCK_BASE_URL = "http://orcli-mock.invalid/api/v1"
_FAULT: TypeAdapter[FaultSpec] = TypeAdapter(FaultSpec)


class FaultError(ValueError):
    """A fault the scenario format would refuse; the message names the field."""


def parse_fault(fields: Mapping[str, Any]) -> FaultSpec:
    """One fault spec from keyword fields, with the scenario format's rules and errors."""
    try:
        return _FAULT.validate_python(dict(fields))
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        kind = fields.get("kind")
        loc = [part for part in err["loc"] if not (isinstance(part, str) and part == kind)]
        where = format_loc(loc)
        raise FaultError(f"fault {kind!r}: {where + ': ' if where else ''}{err['msg']}") from None


class OrcliMock:
    """The simulator as a test double: add faults, point clients at it, read what happened."""

    def __init__(self, catalog: Catalog | None = None, *, seed: int = 0, time_scale: float = 0.0) -> None:
        self.clock = MockClock(time_scale)
        self.simulator = Simulator(catalog, seed=seed, options=SimulatorOptions())
        self.base_url = MOCK_BASE_URL
        self._sync_clients: list[httpx.Client] = []
        self._async_clients: list[httpx.AsyncClient] = []

    @property
    def seed(self) -> int:
        return self.simulator.seed

    # -- faults ----------------------------------------------------------------------------

    def fault(self, kind: str, **fields: Any) -> FaultSpec:
        """Add a fault now; ``start_s``/``end_s`` count from the fixture's start on :attr:`clock`.
        Returns the spec with its id. Raises :class:`FaultError` naming a bad field."""
        spec = parse_fault({"kind": kind, **fields})
        try:
            return self.simulator.add_fault(spec)
        except ValueError as exc:
            raise FaultError(str(exc)) from None

    def remove_fault(self, fault_id: str) -> bool:
        return self.simulator.remove_fault(fault_id)

    def clear_faults(self) -> None:
        self.simulator.clear_faults()

    @property
    def faults(self) -> tuple[FaultSpec, ...]:
        return self.simulator.faults

    # -- what happened -----------------------------------------------------------------------

    @property
    def requests(self) -> tuple[ChatRequestRecord, ...]:
        """Every chat-completions request, in order, as the simulator answered it."""
        return self.simulator.requests

    @property
    def attempts(self) -> tuple[AttemptRecord, ...]:
        """Every provider attempt inside the simulated OpenRouter's failover, in order."""
        return self.simulator.log

    @property
    def firings(self) -> tuple[Firing, ...]:
        """Every fault firing, in order."""
        return self.simulator.firings

    def fired(self, fault_id: str) -> int:
        return self.simulator.fired(fault_id)

    # -- clients -----------------------------------------------------------------------------

    def transport(self) -> SimulatorTransport:
        """A sync httpx transport on the mock (for ``orcli.Client(transport=...)``)."""
        return SimulatorTransport(self.simulator, self.clock, origin_s=0.0)

    def async_transport(self) -> AsyncSimulatorTransport:
        """An async httpx transport on the mock, on the same clock."""
        return AsyncSimulatorTransport(self.simulator, origin_s=0.0, clock=AsyncView(self.clock))

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the mock: pass it as ``openai.OpenAI(http_client=...)``."""
        kwargs.setdefault("base_url", self.base_url)
        client = httpx.Client(transport=self.transport(), **kwargs)
        self._sync_clients.append(client)
        return client

    def async_http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on the mock: pass it as ``openai.AsyncOpenAI(http_client=...)``."""
        kwargs.setdefault("base_url", self.base_url)
        client = httpx.AsyncClient(transport=self.async_transport(), **kwargs)
        self._async_clients.append(client)
        return client

    def close(self) -> None:
        """Close the sync clients handed out (async ones hold nothing that outlives the test)."""
        for client in self._sync_clients:
            client.close()
        self._sync_clients.clear()
        self._async_clients.clear()

    def __repr__(self) -> str:
        return f"OrcliMock(seed={self.seed}, faults={len(self.faults)}, requests={len(self.requests)}, {self.clock!r})"
