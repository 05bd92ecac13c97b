"""Expected cost per 1,000 requests of a workflow, at the catalog's prices.

The definition, stated once and printed with every figure:

- a *typical request* of the workflow sends ``needs.min_context - needs.max_output_tokens``
  prompt tokens (``DEFAULT_PROMPT_TOKENS`` when ``min_context`` is not set) and gets a
  full-length answer of ``needs.max_output_tokens`` tokens (``DEFAULT_OUTPUT_TOKENS`` when
  not set);
- it is priced at the *first eligible endpoint*: the one ``orcli explain`` lists first,
  which OpenRouter tries first (the most likely pick under load balancing);
- prompt and completion token prices plus any per-request price, times 1,000.

Retries, fallbacks and prompt caching are left out: the figure compares two policy
versions on the same footing, it does not forecast a bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orcli.policy.model import Workflow
from orcli.routing.plan import RoutePlan

DEFAULT_PROMPT_TOKENS = 1_000
DEFAULT_OUTPUT_TOKENS = 500
REQUESTS = 1_000

DEFINITION = (
    f"expected cost per {REQUESTS:,} requests: a typical request (prompt of needs.min_context minus "
    f"needs.max_output_tokens tokens, or {DEFAULT_PROMPT_TOKENS:,} without min_context; answer of "
    f"needs.max_output_tokens tokens, or {DEFAULT_OUTPUT_TOKENS:,} without it) at the first eligible "
    f"endpoint's catalog prices; no retries or fallbacks"
)


@dataclass(frozen=True)
class CostEstimate:
    prompt_tokens: int
    output_tokens: int
    route: str | None  # "model via provider-tag"; None when nothing is eligible
    per_1k_requests_usd: Decimal | None


def typical_tokens(workflow: Workflow) -> tuple[int, int]:
    needs = workflow.needs
    output = needs.max_output_tokens or DEFAULT_OUTPUT_TOKENS
    if needs.min_context > 0:
        return max(0, needs.min_context - (needs.max_output_tokens or 0)), output
    return DEFAULT_PROMPT_TOKENS, output


def expected_cost(workflow: Workflow, plan: RoutePlan) -> CostEstimate:
    prompt, output = typical_tokens(workflow)
    if not plan.attempts:
        return CostEstimate(prompt, output, None, None)
    model_id, first = plan.attempts[0]
    per_request = first.endpoint.pricing.cost(prompt, output)
    return CostEstimate(prompt, output, f"{model_id} via {first.endpoint.tag}", per_request * REQUESTS)


def usd(value: Decimal | None) -> str:
    """Dollars for people: cents for large sums, significant digits for small ones."""
    if value is None:
        return "n/a"
    if value >= 1:
        return f"${value:,.2f}"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return f"${text}" if text not in ("0", "") else "$0"
