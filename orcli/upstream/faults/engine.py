"""The live set of faults: their match counters, evaluation by stage, and the firing log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from orcli.upstream.faults.activation import Event, fires, in_window, targets
from orcli.upstream.faults.behaviour import Behaviour, Stage
from orcli.upstream.faults.log import Firing
from orcli.upstream.faults.spec import FaultSpec, with_ids


@dataclass(slots=True)
class _Slot:
    spec: FaultSpec
    acts: Behaviour  # the spec's behaviour, resolved once: every evaluation reads it
    matched: int = 0  # matching events seen so far (for ``first`` and ``every``)


class FaultEngine:
    """Holds the faults in declaration order. Not thread-safe: the simulator serialises calls."""

    def __init__(self, faults: Sequence[FaultSpec] = (), *, seed: int = 0) -> None:
        self._seed = seed
        self._slots: list[_Slot] = []
        self._by_stage: dict[Stage, list[_Slot]] = {}  # the same slots, grouped: every request asks per stage
        self._added = 0  # faults ever added: default ids keep counting after a clear
        self._firings: list[Firing] = []
        for fault in faults:
            self.add(fault)

    @property
    def specs(self) -> tuple[FaultSpec, ...]:
        return tuple(slot.spec for slot in self._slots)

    @property
    def firings(self) -> tuple[Firing, ...]:
        return tuple(self._firings)

    def add(self, fault: FaultSpec) -> FaultSpec:
        """Add a fault (an id is assigned if it has none); ``ValueError`` on a duplicate id."""
        (named,) = with_ids([fault], start=self._added + 1)
        if any(slot.spec.id == named.id for slot in self._slots):
            raise ValueError(f"fault id '{named.id}' already exists")
        self._added += 1
        self._slots.append(_Slot(named, named.acts))
        self._group()
        return named

    def remove(self, fault_id: str) -> bool:
        before = len(self._slots)
        self._slots = [slot for slot in self._slots if slot.spec.id != fault_id]
        self._group()
        return len(self._slots) != before

    def clear(self) -> None:
        self._slots.clear()
        self._group()

    def _group(self) -> None:
        self._by_stage = {}
        for slot in self._slots:
            self._by_stage.setdefault(slot.acts.stage, []).append(slot)

    def clear_firings(self) -> None:
        self._firings.clear()

    def evaluate(
        self,
        stage: Stage,
        event: Event,
        *,
        generation_id: str | None,
        applies: Callable[[Behaviour], bool] | None = None,
        stop_at_first: bool = False,
    ) -> list[FaultSpec]:
        """The faults of ``stage`` that fire on ``event``, in declaration order, each recorded.

        ``applies`` narrows the candidates further by their behaviour (e.g. stream faults only
        on streamed requests) *before* counting, so a fault that cannot apply never uses up
        its ``first``. ``stop_at_first``: later faults are not evaluated once one fired (their
        counters stay).
        """
        fired: list[FaultSpec] = []
        for slot in self._by_stage.get(stage, ()):
            spec = slot.spec
            if not targets(spec, event) or not in_window(spec, event):
                continue
            if applies is not None and not applies(slot.acts):
                continue
            slot.matched += 1
            if not fires(spec, slot.matched, self._seed, event):
                continue
            fired.append(spec)
            self._record(spec, event, generation_id)
            if stop_at_first:
                break
        return fired

    def evaluate_one(self, spec: FaultSpec, event: Event, *, generation_id: str | None) -> bool:
        """Whether this one fault (which must be in the engine) fires on ``event``; recorded as
        ``evaluate`` records, and no other fault's counter moves."""
        slot = next(slot for slot in self._slots if slot.spec is spec)
        if not targets(spec, event) or not in_window(spec, event):
            return False
        slot.matched += 1
        if not fires(spec, slot.matched, self._seed, event):
            return False
        self._record(spec, event, generation_id)
        return True

    def in_force(self, event: Event, wanted: Callable[[FaultSpec], bool]) -> list[FaultSpec]:
        """The ``wanted`` faults whose target and windows hold at ``event`` and whose ``first``
        is not used up: the faults a state read (``GET /key``) reports. Nothing is counted or
        recorded; ``every`` and ``probability`` decide per request and are not consulted."""
        found: list[FaultSpec] = []
        for slot in self._slots:
            spec = slot.spec
            if not wanted(spec) or not targets(spec, event) or not in_window(spec, event):
                continue
            if spec.first is not None and slot.matched >= spec.first:
                continue
            found.append(spec)
        return found

    def _record(self, spec: FaultSpec, event: Event, generation_id: str | None) -> None:
        self._firings.append(
            Firing(
                fault_id=spec.fault_id,
                kind=spec.kind_name,
                request_index=event.request_index,
                generation_id=generation_id,
                at_s=event.at_s,
                provider=event.endpoint.tag if event.endpoint is not None else None,
                model=event.models[0] if len(event.models) == 1 else None,
            )
        )

    def not_applied(self, faults: Sequence[FaultSpec], generation_id: str | None) -> None:
        """Mark the latest firing of each of ``faults`` on ``generation_id`` as not applied:
        it matched, but changed nothing the client received."""
        ids = {f.fault_id for f in faults}
        for i in range(len(self._firings) - 1, -1, -1):
            if not ids:
                return
            firing = self._firings[i]
            if firing.generation_id == generation_id and firing.fault_id in ids:
                self._firings[i] = replace(firing, applied=False)
                ids.discard(firing.fault_id)

    def has_stage(self, stage: Stage) -> bool:
        return stage in self._by_stage
