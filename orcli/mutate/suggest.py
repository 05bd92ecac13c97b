"""For a surviving mutant: the expectation or scenario that would catch it.

Each suggestion names real things of the workflow (its endpoints, models, caps, the
scenario kinds and expectation kinds orcli has), so it can be written down as it reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from orcli.catalog.model import Catalog
from orcli.mutate.observe import plan_of
from orcli.mutate.operators import Mutant
from orcli.policy.model import Action, Workflow


def _eligible(workflow: Workflow, catalog: Catalog) -> list[str]:
    return [c.endpoint.tag for p in plan_of(workflow, catalog).models for c in p.candidates]


def _newly_eligible(mutant: Mutant, original: Workflow, catalog: Catalog) -> list[str]:
    before = set(_eligible(original, catalog))
    return [t for t in dict.fromkeys(_eligible(mutant.mutated, catalog)) if t not in before]


def _primary_endpoints(original: Workflow, catalog: Catalog) -> list[str]:
    plan = plan_of(original, catalog)
    return [c.endpoint.tag for c in plan.models[0].candidates] if plan.models else []


def _advice(mutant: Mutant, original: Workflow, catalog: Catalog) -> str:
    name, key = mutant.workflow, mutant.key
    if mutant.operator == "data-policy":
        if key.endswith("require_parameters"):
            params = ", ".join(sorted(original.needs.parameters)) or "its parameters"
            return (
                f"drill {name} with traffic sending {params} while the endpoints that support them are down, "
                "and expect no_malformed_tool_call (or within_policy) so an endpoint that drops them is caught"
            )
        added = _newly_eligible(mutant, original, catalog)
        where = ", ".join(added) if added else "the endpoints this rule excluded"
        return (
            f"a scenario whose faults push {name}'s traffic onto {where} (an outage of "
            f"{', '.join(_primary_endpoints(original, catalog)) or 'the endpoints ahead'}), pinning the approved "
            "providers (fail_safe_approved approved_providers) so an answer from them fails the drill"
        )
    if mutant.operator == "fallbacks":
        if key.startswith("remove-fallback"):
            return (
                f"a scenario with an outage of every model ahead of the removed fallback in {name}'s chain, "
                "expecting success_rate 1.0 (the removed model was the one that answered)"
            )
        if key == "remove-fallbacks":
            return f"a model outage of {original.models.primary} expecting success_rate 1.0 from {name}'s fallbacks"
        if original.provider.allow_fallbacks:
            return (
                f"an outage of {original.models.primary}'s first endpoint expecting success_rate 1.0 and "
                "max_fallback_depth 0 (another provider of the same model must answer)"
            )
        return (
            f"an outage of every allowed provider of {name}, expecting outcomes failed_safe and "
            "fail_safe_approved with approved_providers (no other provider may answer)"
        )
    if mutant.operator == "byok":
        slugs = ", ".join(f"{s}/byok" for s in original.byok.keys)
        return (
            f"a rate_limit fault on {slugs} with fail_safe_approved approved_providers [{slugs}] "
            "(no answer may come from shared capacity)"
        )
    if mutant.operator == "budget":
        if key == "remove-provider.max_price":
            return f"a cost expectation (max_per_request_usd) on {name} traffic whose cheap endpoints are down"
        cap = key.split(".", 1)[1]
        value = getattr(original.budget, cap)
        expectation = "max_per_request_usd" if "request" in cap else "max_total_usd"
        return (
            f"traffic for {name} that would cost more than {value} (long prompts or answers), with a cost "
            f"expectation {expectation}: {value} and outcomes failed_safe for the refused requests"
        )
    if mutant.operator == "timeouts":
        return (
            f"a latency fault (slow first token or a latency spike) on {original.models.primary} longer than "
            f"attempt_s {original.timeouts.attempt_s:g}, with a latency p95 bound: the client must give up and "
            "move on within its timeouts"
        )
    if mutant.operator == "retry":
        if key == "retry.max_attempts-1":
            return (
                f"transient failures on {name}'s primary route (a short rate_limit or 502 burst) with success_rate 1.0"
            )
        if key == "retry.max_attempts-x3":
            return f"a persistent failure of {name}'s routes with max_attempts {original.retry.max_attempts}"
        if key == "retry.honor_retry_after-off":
            return f"a rate_limit fault with retry_after_s on {name}'s primary, with retry_after_respected"
        error_class = key.rsplit(".", 1)[1]
        was = next((a for c, a in original.retry.on.items() if c.value == error_class), None)
        if was is Action.STOP:
            return (
                f"a {error_class} fault on {name} expecting outcomes failed_safe and max_fallback_depth 0 "
                "(the policy stops there)"
            )
        return f"a {error_class} fault on {name}'s primary expecting success_rate 1.0 from the fallback"
    if mutant.operator == "breaker":
        return (
            f"a long outage of {name}'s primary endpoint with a bound on attempts per request (max_attempts) "
            "and recovery: with the breaker open the client skips the dead route"
        )
    if mutant.operator == "degradation":
        if key == "degradation-queue-to-fallback":
            return f"an outage of {name}'s whole chain expecting outcomes degraded after queueing and success_rate 1.0"
        return f"fail_safe_approved with approved_models {list(original.models.all)} on a failure of {name}'s chain"
    return "a scenario that exercises the changed rule"


def suggestion(mutant: Mutant, original: Workflow, catalog: Catalog, scenarios: Sequence[str]) -> str:
    """ "no drill notices if you ...", and what would."""
    ran = f" ({len(scenarios)} scenario(s) ran: {', '.join(scenarios)})" if scenarios else " (no scenario uses it)"
    return f"no drill notices if you {mutant.change}{ran}; add {_advice(mutant, original, catalog)}"
