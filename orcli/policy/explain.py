"""``explain``: each model of a workflow's chain, every catalog endpoint, eligible or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orcli.catalog.model import Catalog, Endpoint
from orcli.policy.compile import route_request
from orcli.policy.model import Workflow
from orcli.routing.plan import ModelPlan, plan_route


@dataclass(frozen=True)
class Explanation:
    workflow: str
    plans: tuple[ModelPlan, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "models": [
                {
                    "model": plan.model_id,
                    "known": plan.model is not None,
                    "eligible": [
                        {
                            "rank": rank,
                            **_endpoint_json(c.endpoint),
                            "reason": c.reason,
                            **(
                                {"first_pick_chance": round(c.first_pick_chance, 4)}
                                if c.first_pick_chance is not None
                                else {}
                            ),
                        }
                        for rank, c in enumerate(plan.candidates, 1)
                    ],
                    "excluded": [
                        {**_endpoint_json(x.endpoint), "rule": x.rule, "detail": x.detail} for x in plan.excluded
                    ],
                    "dropped_parameters": list(plan.dropped_parameters),
                    "error": (
                        {"status": plan.failure.status, "message": plan.failure.message} if plan.failure else None
                    ),
                }
                for plan in self.plans
            ],
        }


def _endpoint_json(ep: Endpoint) -> dict[str, Any]:
    return {
        "provider": ep.provider_name,
        "tag": ep.tag,
        "prompt_per_million": float(ep.pricing.per_million("prompt")),
        "completion_per_million": float(ep.pricing.per_million("completion")),
        "context_length": ep.context_length,
        "quantization": ep.quantization,
        "zdr": ep.data_policy.zdr,
        "latency_p50_s": ep.latency_last_30m.p50,
        "throughput_p50": ep.throughput_last_30m.p50,
    }


def explain_workflow(name: str, workflow: Workflow, catalog: Catalog) -> Explanation:
    plan = plan_route(route_request(workflow), catalog)
    return Explanation(name, plan.models)
