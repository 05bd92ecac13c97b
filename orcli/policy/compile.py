"""A workflow as the exact OpenRouter request fragment, plus the client-side settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from orcli.policy.model import ErrorClass, ProviderRules, Workflow
from orcli.routing.plan import RouteRequest

MAX_MODELS_FIELD = 3  # OpenRouter answers 400 "'models' array must have 3 items or fewer" (observed)
FallbackMode = Literal["openrouter", "client"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def provider_object(rules: ProviderRules) -> dict[str, Any]:
    """OpenRouter's ``provider`` object: exactly the fields the policy sets.

    A field written in the policy goes on the wire even when it equals OpenRouter's default
    (``allow_fallbacks: true``): the request then says what the policy says, and a change of
    OpenRouter's default cannot silently change the route.
    """
    dumped = rules.model_dump(mode="python", exclude_unset=True, exclude_none=True)
    # An empty list (e.g. an override that cleared ``order``) means the same as no field.
    dumped = {k: v for k, v in dumped.items() if v != ()}
    if isinstance(rules.sort, str):
        dumped["sort"] = rules.sort.value
    elif rules.sort is not None:
        dumped["sort"] = {"by": rules.sort.by.value, "partition": rules.sort.partition}
    return _jsonable(dumped)  # type: ignore[no-any-return]


def chat_fragment(workflow: Workflow, mode: FallbackMode = "openrouter") -> dict[str, Any]:
    """The routing part of every chat-completions request this workflow sends.

    ``openrouter``: ``model`` is the primary and ``models`` the fallbacks, so OpenRouter walks
    the chain itself. ``client``: one model per request; the client walks the chain.
    """
    chain = workflow.models
    body: dict[str, Any] = {"model": chain.primary}
    if mode == "openrouter" and chain.fallbacks:
        body["models"] = list(chain.fallbacks[:MAX_MODELS_FIELD])
    provider = provider_object(workflow.provider)
    if provider:
        body["provider"] = provider
    if workflow.needs.max_output_tokens is not None:
        body["max_tokens"] = workflow.needs.max_output_tokens
    if workflow.needs.streaming:
        body["stream"] = True
    return body


def client_settings(workflow: Workflow) -> dict[str, Any]:
    """What the resilient client enforces on its side of the wire."""
    dump = workflow.model_dump(
        mode="json",
        include={"timeouts", "retry", "circuit_breaker", "budget", "degradation", "app_fallback", "byok"},
    )
    retry = workflow.retry
    dump["retry"]["on"] = {cls.value: retry.action(cls).value for cls in ErrorClass}
    dump["app_fallback"]["chain"] = list(workflow.models.all)
    dump["data_class"] = workflow.data_class.value
    return dump


def compile_workflow(name: str, workflow: Workflow, mode: FallbackMode = "openrouter") -> dict[str, Any]:
    return {
        "workflow": name,
        "request": chat_fragment(workflow, mode),
        "parameters_sent": sorted(workflow.needs.parameters),
        "client": client_settings(workflow),
    }


def route_request(workflow: Workflow, *, prompt_tokens: int | None = None) -> RouteRequest:
    """The routing view of a typical request of this workflow (for explain and lint)."""
    return RouteRequest(
        models=workflow.models.all,
        provider=workflow.provider,
        parameters=workflow.needs.parameters,
        prompt_tokens=_typical_prompt(workflow) if prompt_tokens is None else prompt_tokens,
        max_tokens=workflow.needs.max_output_tokens,
    )


def _typical_prompt(workflow: Workflow) -> int:
    """``needs.min_context`` is the whole window (prompt + output) the workflow must fit."""
    return max(0, workflow.needs.min_context - (workflow.needs.max_output_tokens or 0))
