"""Judge one request: its outcome, and every way its answer broke the policy.

A 200 from a route the policy forbids (provider outside the allowlist or on the
ignore list, data policy broken, model not in the chain, price above the ceiling,
wrong quantization) is a violation and the request counts as failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from orcli.catalog.model import Catalog, Endpoint
from orcli.client.hops import StopKind
from orcli.client.ledger import Attempt, ChatResult
from orcli.drill.records import Outcome
from orcli.ids import base_model
from orcli.policy.compile import route_request
from orcli.policy.model import DegradationMode, ErrorClass, Workflow
from orcli.routing.plan import plan_model


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    reason: str
    violations: tuple[str, ...] = ()
    fallback_depth: int = 0


def serving_endpoint(catalog: Catalog, model_id: str, provider: str) -> Endpoint | None:
    model = catalog.get(model_id)
    if model is None:
        return None
    wanted = provider.lower()
    return next((ep for ep in model.endpoints if ep.provider_name.lower() == wanted or ep.tag == wanted), None)


def policy_violations(workflow: Workflow, catalog: Catalog, model_id: str, provider: str) -> list[str]:
    base = base_model(model_id)
    rules = workflow.provider
    problems: list[str] = []
    if base not in [base_model(m) for m in workflow.models.all]:
        problems.append(f"model {base} is not in the workflow's chain")
    endpoint = serving_endpoint(catalog, base, provider)
    if endpoint is None:
        problems.append(f"{provider} does not serve {base} in the catalog")
        return problems
    if rules.only and not any(endpoint.matches(s) for s in rules.only):
        problems.append(f"provider {endpoint.tag} is outside provider.only {list(rules.only)}")
    if any(endpoint.matches(s) for s in rules.ignore):
        problems.append(f"provider {endpoint.tag} is on provider.ignore")
    if rules.zdr and not endpoint.data_policy.zdr:
        problems.append(f"{endpoint.tag} is not zero-data-retention but the policy requires zdr")
    if rules.data_collection == "deny" and endpoint.data_policy.collects:
        problems.append(f"{endpoint.tag} stores or trains on prompts but data_collection is deny")
    if rules.quantizations and (endpoint.quantization or "unknown") not in rules.quantizations:
        problems.append(f"{endpoint.tag} quantization {endpoint.quantization} is not allowed")
    ceiling = rules.max_price
    if ceiling is not None:
        if ceiling.prompt is not None and endpoint.pricing.per_million("prompt") > ceiling.prompt:
            problems.append(f"{endpoint.tag} prompt price above max_price {ceiling.prompt}/M")
        if ceiling.completion is not None and endpoint.pricing.per_million("completion") > ceiling.completion:
            problems.append(f"{endpoint.tag} completion price above max_price {ceiling.completion}/M")
    return problems


def judge(result: ChatResult, workflow: Workflow, catalog: Catalog) -> Judgement:
    if not result.ok:
        return _unanswered(result, workflow)

    model = base_model(result.served_model or "")
    provider = result.served_provider or ""
    violations = tuple(policy_violations(workflow, catalog, model, provider))
    chain = [base_model(m) for m in workflow.models.all]
    depth = chain.index(model) if model in chain else len(chain)
    if violations:
        return Judgement(Outcome.FAILED, "answered outside the policy", violations, depth)

    final = result.attempts[-1]
    bypassed = _bypassed_ahead(workflow, catalog, final.ignored_providers, provider) if depth == 0 else []
    if bypassed:
        return Judgement(Outcome.DEGRADED, f"circuit breaker bypassed {', '.join(bypassed)}", (), depth)
    earlier_providers = {a.provider for a in result.attempts[:-1] if a.provider is not None}
    switched_provider = len(final.upstream_hops) > 1 or bool(earlier_providers - {final.provider})
    if depth == 0 and not switched_provider:
        retries = len(result.attempts) - 1
        return Judgement(
            Outcome.SERVED,
            "primary route" + (f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""),
        )
    if depth == 0:
        return Judgement(Outcome.DEGRADED, f"provider fallback to {provider}", (), depth)
    return Judgement(Outcome.DEGRADED, f"model fallback to {model} (depth {depth})", (), depth)


def _unanswered(result: ChatResult, workflow: Workflow) -> Judgement:
    """A request that got no answer: failed safe only where the policy's own path led there."""
    cls = result.error_class.value if result.error_class else "error"
    stop = result.stop_reason
    if stop is not None and stop.kind is StopKind.BUDGET:
        # The spending cap stopped the request: a clean stop the policy asked for.
        last = f", last error {result.error_class.value}" if result.error_class else ""
        sent = f"after {len(result.attempts)} attempt(s){last}" if result.attempts else "before sending"
        return Judgement(Outcome.FAILED_SAFE, f"budget cap: stopped {sent}")
    if result.attempts and all(_own_limit_before_first_byte(a) for a in result.attempts):
        # Nothing upstream refused: the client gave every attempt less time than a first
        # byte took. That is the policy's limits failing the request, not a safe failure.
        return Judgement(
            Outcome.FAILED,
            f"limits too tight: all {len(result.attempts)} attempt(s) hit the client's own time limit "
            "before a first byte",
        )
    path = _policy_path(result, workflow)
    if workflow.degradation.mode is DegradationMode.FAIL_SAFE and path and result.fail_safe_message is not None:
        return Judgement(Outcome.FAILED_SAFE, f"{cls}: failed safe with the approved message ({path})")
    return Judgement(Outcome.FAILED, f"{cls}: {result.error_message or 'no answer'}")


def _policy_path(result: ChatResult, workflow: Workflow) -> str | None:
    """How the policy's own path ended the request, if it did: the error class's action is
    ``stop``, or every model of the chain was tried. Other ends (the deadline, a Retry-After
    too long, attempts used before the chain was walked) are the client running out, not the
    policy choosing to fail safe."""
    stop = result.stop_reason
    if stop is None:
        return None
    if stop.kind is StopKind.POLICY_STOP:
        return "the policy says stop"
    tried = {base_model(m) for a in result.attempts for m in (a.model, *a.models)}
    if stop.kind is StopKind.NO_FALLBACK or (
        stop.kind is StopKind.MAX_ATTEMPTS and all(base_model(m) in tried for m in workflow.models.all)
    ):
        return "the chain is exhausted"
    return None


def _own_limit_before_first_byte(attempt: Attempt) -> bool:
    """The attempt ended at the client's own time limit with nothing from upstream yet."""
    return (
        attempt.error_class is ErrorClass.TIMEOUT
        and attempt.ttft_s is None
        and attempt.status in (None, 200)
        and not attempt.upstream_hops
    )


def _bypassed_ahead(workflow: Workflow, catalog: Catalog, ignored: tuple[str, ...], served_provider: str) -> list[str]:
    """The providers an open circuit breaker skipped that the policy ranks before the one that
    served. BYOK endpoints rank first; ``order`` and ``sort`` rank the rest in turn; under load
    balancing the rest rank equal, so skipping one of them does not make an answer degraded."""
    if not ignored:
        return []
    plan = plan_model(workflow.models.primary, catalog, workflow.provider, route_request(workflow))
    balanced = not workflow.provider.order and workflow.provider.sort is None

    def rank(position: int, endpoint: Endpoint) -> int:
        return 0 if endpoint.is_byok else 1 if balanced else 1 + position

    ranked = [(rank(i, c.endpoint), c.endpoint) for i, c in enumerate(plan.candidates)]
    skipped = [ep for _, ep in ranked if any(ep.matches(slug) for slug in ignored)]
    served = min(
        (r for r, ep in ranked if ep.provider_name.lower() == served_provider.lower() and ep not in skipped),
        default=len(ranked) + 1,
    )
    return [slug for slug in ignored if min((r for r, ep in ranked if ep.matches(slug)), default=served) < served]
