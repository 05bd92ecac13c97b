"""Judge one request: its outcome, and every way its answer broke the policy.

A 200 from a route the policy forbids (provider outside the allowlist or on the
ignore list, data policy broken, model not in the chain, price above the ceiling,
wrong quantization) is a violation and the request counts as failed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from orcli.catalog.model import Catalog, Endpoint
from orcli.client.hops import StopKind
from orcli.client.ledger import Attempt, ChatResult
from orcli.drill.records import Outcome
from orcli.drill.served import served_endpoint
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
    endpoint: str | None = None  # routing tag of the endpoint that served ("deepinfra/turbo", "anthropic/byok")


def policy_violations(workflow: Workflow, model_id: str, endpoint: Endpoint | None, provider: str) -> list[str]:
    """Every rule of ``workflow`` the answer of ``model_id`` on ``endpoint`` broke; ``provider``
    (the display name) names an endpoint the catalog does not know."""
    base = base_model(model_id)
    rules = workflow.provider
    problems: list[str] = []
    if base not in [base_model(m) for m in workflow.models.all]:
        problems.append(f"model {base} is not in the workflow's chain")
    if endpoint is None:
        problems.append(f"{provider} does not serve {base} in the catalog")
        return problems
    byok = workflow.byok
    if byok.mode == "strict" and not endpoint.is_byok and endpoint.provider_slug in {k.lower() for k in byok.keys}:
        problems.append(
            f"{endpoint.tag} answered on OpenRouter's shared capacity but byok.mode is strict "
            f"(only the workflow's own {endpoint.provider_slug} key may serve)"
        )
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


def judge(result: ChatResult, workflow: Workflow, catalog: Catalog, *, allow_length_finish: bool = False) -> Judgement:
    """``allow_length_finish``: the request's traffic entry accepts an answer cut at the token limit."""
    if not result.ok:
        return _unanswered(result, workflow)
    verdict = _answered(result, workflow, catalog)
    if verdict.outcome is Outcome.FAILED or allow_length_finish or _finish_reason(result) != "length":
        return verdict
    # Cut at the token limit: the user got part of an answer, which is degradation at best.
    return replace(verdict, outcome=Outcome.DEGRADED, reason=f"truncated at the length limit ({verdict.reason})")


def _finish_reason(result: ChatResult) -> object:
    choices = (result.response or {}).get("choices") or []
    return choices[0].get("finish_reason") if choices and isinstance(choices[0], dict) else None


def _answered(result: ChatResult, workflow: Workflow, catalog: Catalog) -> Judgement:

    model = base_model(result.served_model or "")
    provider = result.served_provider or ""
    endpoint = served_endpoint(catalog, model, result)
    tag = endpoint.tag if endpoint is not None else None
    violations = tuple(policy_violations(workflow, model, endpoint, provider))
    chain = [base_model(m) for m in workflow.models.all]
    depth = chain.index(model) if model in chain else len(chain)
    if violations:
        return Judgement(Outcome.FAILED, "answered outside the policy", violations, depth, tag)

    final = result.attempts[-1]
    bypassed = _bypassed_ahead(workflow, catalog, final.ignored_providers, provider) if depth == 0 else []
    if bypassed:
        return Judgement(Outcome.DEGRADED, f"circuit breaker bypassed {', '.join(bypassed)}", (), depth, tag)
    earlier_providers = {a.provider for a in result.attempts[:-1] if a.provider is not None}
    switched_provider = len(final.upstream_hops) > 1 or bool(earlier_providers - {final.provider})
    if depth == 0 and not switched_provider:
        retries = len(result.attempts) - 1
        return Judgement(
            Outcome.SERVED,
            "primary route" + (f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""),
            endpoint=tag,
        )
    if depth == 0:
        return Judgement(Outcome.DEGRADED, f"provider fallback to {tag or provider}", (), depth, tag)
    return Judgement(Outcome.DEGRADED, f"model fallback to {model} (depth {depth})", (), depth, tag)


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
