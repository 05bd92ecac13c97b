"""A request's ledger as OpenTelemetry GenAI attributes: plain values, no OpenTelemetry import.

The live observer (:mod:`orcli.client.otel`) and the drill exporter (``--otlp-json``) both
describe requests with these functions, so a drill opened next to production traces uses
the same names and values.

Standard names come from the GenAI semantic conventions (``gen_ai.*``, ``server.address``,
``error.type``, ``http.response.status_code``); orcli's own are namespaced ``orcli.*``.
``gen_ai.provider.name`` is the API called (``openrouter``, also for the simulator); the
provider that served is ``orcli.served_provider``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orcli.client.hops import StopKind
from orcli.client.ledger import Attempt, ChatResult

AttributeValue = str | bool | int | float | Sequence[str]
Attributes = dict[str, AttributeValue]

OPERATION = "chat"
PROVIDER = "openrouter"


def request_span_name(model: str) -> str:
    return f"{OPERATION} {model}"


def attempt_span_name(attempt: Attempt) -> str:
    return f"attempt {attempt.index} {attempt.model}"


def outcome(result: ChatResult) -> str:
    """``served``, ``failed_safe`` (the workflow's approved message stood in) or ``failed``."""
    if result.ok:
        return "served"
    return "failed_safe" if result.fail_safe_message is not None else "failed"


def error_type(result: ChatResult) -> str | None:
    if result.ok:
        return None
    if result.error_class is not None:
        return result.error_class.value
    budget = result.stop_reason is not None and result.stop_reason.kind is StopKind.BUDGET
    return "budget_exceeded" if budget else "_OTHER"


def finish_reasons(response: Mapping[str, Any] | None) -> list[str]:
    choices = response.get("choices") if response else None
    if not isinstance(choices, list):
        return []
    return [c["finish_reason"] for c in choices if isinstance(c, Mapping) and isinstance(c.get("finish_reason"), str)]


def common(*, model: str, stream: bool, server_address: str) -> Attributes:
    """What a span has from its start: the operation, the API and the model asked for."""
    return {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": model,
        "gen_ai.request.stream": stream,
        "server.address": server_address,
    }


def request_attributes(result: ChatResult, *, stream: bool, server_address: str) -> Attributes:
    """The request span: the final answer (or failure) and the path that led to it."""
    model = result.chain[0] if result.chain else (result.attempts[0].model if result.attempts else "unknown")
    out = common(model=model, stream=stream, server_address=server_address)
    last = result.attempts[-1] if result.attempts else None
    if result.ok and last is not None:
        if last.served_model:
            out["gen_ai.response.model"] = last.served_model
        if last.generation_id:
            out["gen_ai.response.id"] = last.generation_id
        out["gen_ai.usage.input_tokens"] = last.prompt_tokens
        out["gen_ai.usage.output_tokens"] = last.completion_tokens
        reasons = finish_reasons(result.response)
        if reasons:
            out["gen_ai.response.finish_reasons"] = reasons
        if last.provider:
            out["orcli.served_provider"] = last.provider
        depth = result.fallback_depth
        if depth is not None:
            out["orcli.fallback_depth"] = depth
    failure = error_type(result)
    if failure is not None:
        out["error.type"] = failure
        out["orcli.error_class"] = failure
    out["orcli.workflow"] = result.workflow
    out["orcli.outcome"] = outcome(result)
    out["orcli.attempts"] = len(result.attempts)
    out["orcli.retries"] = result.retries
    out["orcli.fallbacks"] = result.fallbacks
    out["orcli.cost_usd"] = float(result.cost_usd)
    out["orcli.fallback_mode"] = result.fallback_mode
    if result.stop_reason:
        out["orcli.stop_reason"] = str(result.stop_reason)
    overrides = override_ids(result)
    if overrides:
        out["orcli.override_ids"] = overrides
    return out


def override_ids(result: ChatResult) -> list[str]:
    """The ids of the route overrides that shaped the request, when the client records them."""
    ids = getattr(result, "overrides", ())  # ChatResult.overrides, where the client records them
    return [str(i) for i in ids] if isinstance(ids, tuple | list) else []


def attempt_attributes(attempt: Attempt, *, workflow: str, server_address: str) -> Attributes:
    """One attempt span: the HTTP request the client sent and what came back."""
    out = common(model=attempt.model, stream=attempt.stream, server_address=server_address)
    if attempt.served_model:
        out["gen_ai.response.model"] = attempt.served_model
    if attempt.generation_id:
        out["gen_ai.response.id"] = attempt.generation_id
    if attempt.prompt_tokens or attempt.completion_tokens:
        out["gen_ai.usage.input_tokens"] = attempt.prompt_tokens
        out["gen_ai.usage.output_tokens"] = attempt.completion_tokens
    if attempt.status is not None:
        out["http.response.status_code"] = attempt.status
    if attempt.error_class is not None:
        out["error.type"] = attempt.error_class.value
        out["orcli.error_class"] = attempt.error_class.value
        out["orcli.detail"] = attempt.detail
    out["orcli.workflow"] = workflow
    out["orcli.attempt.index"] = attempt.index
    if len(attempt.models) > 1:
        out["orcli.models"] = list(attempt.models)
    if attempt.provider:
        out["orcli.served_provider"] = attempt.provider
    if attempt.next_hop:
        out["orcli.next_hop"] = str(attempt.next_hop)
    if attempt.wait_before_s:
        out["orcli.wait_before_s"] = attempt.wait_before_s
    if attempt.ignored_providers:
        out["orcli.ignored_providers"] = list(attempt.ignored_providers)
    out["orcli.cost_usd"] = float(attempt.cost_usd)
    return out


def metric_attributes(result: ChatResult, *, server_address: str) -> Attributes:
    """The few, low-cardinality attributes the metrics are split by."""
    model = result.chain[0] if result.chain else "unknown"
    out: Attributes = {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": model,
        "server.address": server_address,
        "orcli.workflow": result.workflow,
    }
    if result.served_model:
        out["gen_ai.response.model"] = result.served_model
    failure = error_type(result)
    if failure is not None:
        out["error.type"] = failure
    return out
