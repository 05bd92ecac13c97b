"""How overrides change a workflow: pure functions, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orcli.overrides import NoModelLeft, Override, OverrideAction, apply_overrides, new_override
from orcli.overrides.resolve import resolve_workflow
from orcli.policy.model import ModelChain, ProviderRules, Workflow

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def make(action: OverrideAction = OverrideAction.DISABLE, *, at: datetime = T0, **fields: object) -> Override:
    return new_override(action=action, reason="incident", created_at=at, created_by="tester", **fields)  # type: ignore[arg-type]


WORKFLOW = Workflow(
    models=ModelChain(primary="openai/gpt-4o", fallbacks=("openai/gpt-4o-mini:nitro", "anthropic/claude-haiku-4.5")),
    provider=ProviderRules(order=("openai", "azure"), ignore=("novita",)),
)


def test_disable_provider_joins_ignore_and_is_reported() -> None:
    groq = make(provider="groq")
    resolved = resolve_workflow("chat", WORKFLOW, [groq], T0)
    assert resolved.workflow.provider.ignore == ("novita", "groq")
    assert resolved.workflow.provider.order == ("openai", "azure")
    assert resolved.workflow.models == WORKFLOW.models
    assert resolved.applied == (groq,)


def test_disabling_an_already_ignored_provider_changes_nothing() -> None:
    resolved = resolve_workflow("chat", WORKFLOW, [make(provider="novita")], T0)
    assert resolved.workflow == WORKFLOW
    assert resolved.applied == ()


def test_disabling_the_primary_promotes_the_first_fallback() -> None:
    resolved = resolve_workflow("chat", WORKFLOW, [make(model="openai/gpt-4o")], T0)
    assert resolved.workflow.models == ModelChain(
        primary="openai/gpt-4o-mini:nitro", fallbacks=("anthropic/claude-haiku-4.5",)
    )


def test_disabling_a_model_also_removes_its_variants_but_not_the_reverse() -> None:
    base = resolve_workflow("chat", WORKFLOW, [make(model="openai/gpt-4o-mini")], T0)
    assert base.workflow.models.all == ("openai/gpt-4o", "anthropic/claude-haiku-4.5")
    variant_only = Workflow(models=ModelChain(primary="openai/gpt-4o-mini", fallbacks=("openai/gpt-4o-mini:nitro",)))
    resolved = resolve_workflow("chat", variant_only, [make(model="openai/gpt-4o-mini:nitro")], T0)
    assert resolved.workflow.models.all == ("openai/gpt-4o-mini",)


def test_disabling_a_model_outside_the_chain_is_not_applied() -> None:
    resolved = resolve_workflow("chat", WORKFLOW, [make(model="google/gemini-2.5-pro")], T0)
    assert resolved.workflow == WORKFLOW
    assert resolved.applied == ()


def test_disabling_every_model_raises_no_model_left() -> None:
    single = Workflow(models=ModelChain(primary="openai/gpt-4o"))
    gone = make(model="openai/gpt-4o")
    with pytest.raises(NoModelLeft) as info:
        resolve_workflow("solo", single, [gone], T0)
    assert info.value.message == (
        f"workflow 'solo': override {gone.id} (disable model openai/gpt-4o in every workflow) removes its last "
        f"model; run 'orcli route enable {gone.id}' to restore it"
    )


def test_force_with_provider_pins_model_and_provider_without_fallbacks() -> None:
    force = make(
        OverrideAction.FORCE,
        workflow="chat",
        model="anthropic/claude-haiku-4.5",
        provider="amazon-bedrock",
        expires_at=T0 + timedelta(hours=1),
    )
    resolved = resolve_workflow("chat", WORKFLOW, [force], T0)
    assert resolved.workflow.models == ModelChain(primary="anthropic/claude-haiku-4.5")
    assert resolved.workflow.provider == ProviderRules(
        only=("amazon-bedrock",), ignore=("novita",), allow_fallbacks=False
    )


def test_force_without_provider_keeps_the_provider_rules() -> None:
    force = make(OverrideAction.FORCE, workflow="chat", model="openai/gpt-4o-mini", expires_at=T0 + timedelta(hours=1))
    resolved = resolve_workflow("chat", WORKFLOW, [force], T0)
    assert resolved.workflow.models == ModelChain(primary="openai/gpt-4o-mini")
    assert resolved.workflow.provider == WORKFLOW.provider


def test_workflow_scope_limits_an_override_to_its_workflow() -> None:
    scoped = make(provider="groq", workflow="batch")
    assert apply_overrides("chat", WORKFLOW, [scoped], T0) == WORKFLOW
    assert apply_overrides("batch", WORKFLOW, [scoped], T0).provider.ignore == ("novita", "groq")


def test_expiry_under_an_injected_clock() -> None:
    two_hours = make(provider="groq", expires_at=T0 + timedelta(hours=2))
    forever = make(provider="together")
    overrides = [two_hours, forever]
    assert apply_overrides("chat", WORKFLOW, overrides, T0).provider.ignore == ("novita", "groq", "together")
    almost = T0 + timedelta(hours=2) - timedelta(microseconds=1)
    assert apply_overrides("chat", WORKFLOW, overrides, almost).provider.ignore == ("novita", "groq", "together")
    at_expiry = T0 + timedelta(hours=2)
    assert apply_overrides("chat", WORKFLOW, overrides, at_expiry).provider.ignore == ("novita", "together")
    assert resolve_workflow("chat", WORKFLOW, overrides, T0 + timedelta(days=365)).applied == (forever,)


def test_later_override_has_the_last_word() -> None:
    disable = make(model="openai/gpt-4o")
    force = make(
        OverrideAction.FORCE,
        workflow="chat",
        model="openai/gpt-4o",
        at=T0 + timedelta(minutes=5),
        expires_at=T0 + timedelta(hours=1),
    )
    resolved = resolve_workflow("chat", WORKFLOW, [disable, force], T0 + timedelta(minutes=6))
    assert resolved.workflow.models == ModelChain(primary="openai/gpt-4o")
    assert resolved.applied == (disable, force)
    with pytest.raises(NoModelLeft):
        resolve_workflow("chat", WORKFLOW, [force, disable], T0 + timedelta(minutes=6))


def test_apply_does_not_change_the_written_workflow() -> None:
    resolved = resolve_workflow("chat", WORKFLOW, [make(provider="groq")], T0)
    assert resolved.written is WORKFLOW
    assert WORKFLOW.provider.ignore == ("novita",)


CHAIN = ("openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash")
PROVIDERS = ("groq", "azure", "openai", "together")


@given(
    picks=st.lists(
        st.one_of(
            st.sampled_from(CHAIN).map(lambda m: ("model", m)),
            st.sampled_from(PROVIDERS).map(lambda p: ("provider", p)),
        ),
        max_size=8,
    ),
    expired=st.sets(st.integers(0, 7)),
)
def test_disables_only_ever_narrow_a_workflow(picks: list[tuple[str, str]], expired: set[int]) -> None:
    written = Workflow(models=ModelChain(primary=CHAIN[0], fallbacks=CHAIN[1:]))
    overrides = [
        make(**{kind: value}, expires_at=T0 + timedelta(seconds=1 if i in expired else 3600))  # type: ignore[arg-type]
        for i, (kind, value) in enumerate(picks)
    ]
    now = T0 + timedelta(seconds=10)
    active = [o for o in overrides if o.is_active(now)]
    disabled_models = {o.model for o in active if o.model}
    try:
        resolved = resolve_workflow("chat", written, overrides, now)
    except NoModelLeft:
        assert disabled_models >= set(CHAIN)
        return
    assert resolved.workflow.models.all == tuple(m for m in CHAIN if m not in disabled_models)
    assert set(resolved.workflow.provider.ignore) == {o.provider for o in active if o.provider}
    assert set(resolved.applied) <= set(active)
