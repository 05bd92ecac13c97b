"""How long each report format takes for a large drill. Run: python benchmarks/bench_reports.py [requests]."""

from __future__ import annotations

import io
import sys
import time
from decimal import Decimal

from rich.console import Console

from orcli.client.hops import RetryHop
from orcli.client.ledger import Attempt, ChatResult
from orcli.drill.records import DeclaredFault, DrillResult, ExpectationResult, FiredFault, Outcome, RequestRecord
from orcli.policy.model import ErrorClass
from orcli.reports import FORMATS
from orcli.reports.terminal import render_drill


def _attempt(index: int, at_s: float, provider: str, status: int, error: ErrorClass | None) -> Attempt:
    return Attempt(
        index=index,
        model="meta-llama/llama-3.1-70b-instruct",
        served_model="meta-llama/llama-3.1-70b-instruct" if error is None else None,
        provider=provider,
        status=status,
        error_class=error,
        detail="ok" if error is None else error.value,
        started_at=at_s,
        latency_s=0.4 + (index % 7) / 10,
        ttft_s=0.1,
        prompt_tokens=200,
        completion_tokens=50,
        cost_usd=Decimal("0.0000275") if error is None else Decimal(0),
        wait_before_s=0.0,
        next_hop=None if error is None else RetryHop(0.5),
    )


def build(total: int) -> DrillResult:
    rows = []
    for i in range(total):
        at_s = i * 0.1
        if i % 9 == 0:
            attempts = (
                _attempt(1, at_s, "DeepInfra", 429, ErrorClass.RATE_LIMIT),
                _attempt(2, at_s + 1, "Together", 200, None),
            )
            outcome = Outcome.DEGRADED
        elif i % 31 == 0:
            attempts = (_attempt(1, at_s, "DeepInfra", 502, ErrorClass.PROVIDER_FAILURE),)
            outcome = Outcome.FAILED
        else:
            attempts = (_attempt(1, at_s, "DeepInfra", 200, None),)
            outcome = Outcome.SERVED
        ok = attempts[-1].error_class is None
        result = ChatResult(
            ok=ok,
            response=None,
            error_class=attempts[-1].error_class,
            error_message=None,
            attempts=attempts,
            idempotency_key=f"k{i}",
        )
        rows.append(
            RequestRecord(
                index=i,
                at_s=at_s,
                workflow="support" if i % 2 else "coding",
                kind="chat",
                stream=False,
                result=result,
                outcome=outcome,
                reason="-",
            )
        )
    return DrillResult(
        scenario="bench",
        scenario_path="scenarios/bench.yaml",
        description="benchmark",
        seed=1,
        target="mock",
        policy_path="policies/bench.yaml",
        workflows=("support", "coding"),
        duration_s=total * 0.1 + 2,
        requests=tuple(rows),
        declared_faults=(DeclaredFault("f", "rate_limit", "provider DeepInfra", "always"),),
        fired=tuple(FiredFault("f", "rate_limit", r.at_s, "DeepInfra", None) for r in rows if r.index % 9 == 0),
        expectations=(ExpectationResult("success_rate", "success_rate", True, "ok"),),
    )


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    drill = build(total)
    print(f"{total} requests")
    started = time.perf_counter()
    render_drill(drill, Console(file=io.StringIO(), width=160, color_system=None))
    print(f"  terminal  {time.perf_counter() - started:7.3f} s")
    for kind, writer in FORMATS.items():
        if kind == "text":
            continue
        started = time.perf_counter()
        size = len(writer(drill))
        print(f"  {kind:<9} {time.perf_counter() - started:7.3f} s  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
