"""Fault kinds register themselves when defined; what they declare is all the simulator needs."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from orcli.upstream.faults import FAULT_KINDS, Behaviour, Effect, Fault, OutageFault, Stage, kinds, parse_faults
from orcli.upstream.faults.kind import kind_name
from orcli.upstream.simulator import Simulator
from tests.upstream.faults.sandbox import QuotaFault, Sandbox
from tests.upstream.support import make_catalog, request_body


def test_registry_order_is_the_public_list() -> None:
    assert [kind_name(k) for k in kinds()] == list(FAULT_KINDS)
    assert len(set(FAULT_KINDS)) == len(FAULT_KINDS) == 19
    assert [k.order for k in kinds()] == sorted(k.order for k in kinds())
    assert "quota" not in FAULT_KINDS and Sandbox.registry == {"quota": QuotaFault}


def test_every_registered_kind_parses_by_its_name() -> None:
    text = json.dumps({"faults": [{"kind": name} for name in FAULT_KINDS]})
    assert [type(f) for f in parse_faults("faults.json", text)] == list(kinds())


def test_a_second_class_with_a_taken_name_is_refused() -> None:
    with pytest.raises(TypeError, match="fault kind 'outage' is defined twice: OutageFault and"):

        class Outage2(Fault, order=9_999, acts=Behaviour(Stage.REQUEST, Effect.DISCONNECT), example="{kind: outage}"):
            """x"""

            kind: Literal["outage"] = "outage"

    assert Fault.registry["outage"] is OutageFault


def test_a_taken_order_is_refused() -> None:
    with pytest.raises(TypeError, match="fault kind 'other' has order 10, already taken by 'quota'"):

        class Other(Sandbox, order=10, acts=Behaviour(Stage.REQUEST, Effect.DISCONNECT), example="{kind: other}"):
            """x"""

            kind: Literal["other"] = "other"


def test_a_kind_without_behaviour_is_refused() -> None:
    with pytest.raises(TypeError, match="fault kind 'idle' declares no behaviour"):

        class Idle(Sandbox, order=15, example="{kind: idle}"):
            """x"""

            kind: Literal["idle"] = "idle"


def test_an_effect_without_its_hook_is_refused() -> None:
    with pytest.raises(TypeError, match="fault kind 'silent' declares effect 'fail' but defines no attempt_error"):

        class Silent(Sandbox, order=20, acts=Behaviour(Stage.ATTEMPT, Effect.FAIL), example="{kind: silent}"):
            """x"""

            kind: Literal["silent"] = "silent"


def test_a_behaviour_keyed_on_a_missing_field_is_refused() -> None:
    with pytest.raises(TypeError, match="acts_when names no field 'phase'"):

        class Drop(
            Sandbox,
            order=30,
            acts=Behaviour(Stage.ATTEMPT, Effect.DISCONNECT),
            acts_when={("phase", "connect"): Behaviour(Stage.REQUEST, Effect.DISCONNECT)},
            example="{kind: drop}",
        ):
            """x"""

            kind: Literal["drop"] = "drop"


@pytest.mark.parametrize("example", ["{kind: mute}", None])
def test_a_kind_without_docs_is_refused(example: str | None) -> None:
    with pytest.raises(TypeError, match="fault kind 'mute' needs a docstring and an example"):
        if example is None:

            class Mute(Sandbox, order=40, acts=Behaviour(Stage.REQUEST, Effect.DISCONNECT)):
                """Dropped before routing."""

                kind: Literal["mute"] = "mute"

        else:

            class Mute2(Sandbox, order=40, acts=Behaviour(Stage.REQUEST, Effect.DISCONNECT), example=example):
                kind: Literal["mute"] = "mute"

    assert set(Sandbox.registry) == {"quota"}


def test_the_docs_line_is_the_docstrings_first_paragraph() -> None:
    assert QuotaFault.summary == "403 before routing."
    assert OutageFault.summary == "The provider answers 5xx (`status`); OpenRouter fails over."
    assert all(kind.summary and "\n" not in kind.summary for kind in kinds())


def test_a_shared_behaviour_can_need_more() -> None:
    from orcli.upstream.faults import InvalidResponseFault, Need

    assert InvalidResponseFault().acts.needs == {Need.NO_STREAM}
    assert InvalidResponseFault(mode="invalid_structured_output").acts.needs == {
        Need.NO_STREAM,
        Need.STRUCTURED_OUTPUT,
    }


def test_behaviour_follows_the_fields() -> None:
    from orcli.upstream.faults import ConnectionResetFault, RateLimitFault, TimeoutFault

    assert RateLimitFault().acts == Behaviour(Stage.ATTEMPT, Effect.FAIL)
    assert RateLimitFault(scope="openrouter").acts == Behaviour(Stage.REQUEST, Effect.REFUSE)
    assert TimeoutFault(hang=True).acts.effect is Effect.HANG
    assert ConnectionResetFault(phase="connect").stage is Stage.REQUEST


def test_the_simulator_plays_a_new_kind_from_its_declarations() -> None:
    sim = Simulator(make_catalog(), [QuotaFault(scope="workspace", first=1)])
    refused = sim.chat(request_body())
    assert refused.status == 403
    assert json.loads(refused.body)["error"]["message"] == "workspace quota spent"
    assert sim.chat(request_body()).status == 200
    assert [(f.fault_id, f.kind) for f in sim.firings] == [("quota-1", "quota")]
