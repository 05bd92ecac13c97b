"""The sixteen single-request failover cases, timed: each scenario of
``benchmarks/scenarios/failover/`` loaded, prepared and drilled in virtual time against the
simulator, in one process. Target: all sixteen pass, in at most 2 s of wall time together.

    PYTHONPATH=. python benchmarks/bench_failover.py [RUNS]

Prints each case's verdict and attempts, then the median wall time of RUNS rounds (default 5)
with the fastest and slowest. The same cases run against a fake OpenAI-compatible server
through both clients in ``tests/client/test_failover_cases.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orcli.catalog import default_catalog  # noqa: E402
from orcli.drill.records import DrillResult  # noqa: E402
from orcli.drill.run import run_drill  # noqa: E402
from orcli.drill.runner import prepare  # noqa: E402
from orcli.drill.scenario import load_scenario, scenario_files  # noqa: E402

FAILOVER = ROOT / "benchmarks" / "scenarios" / "failover"
TARGET_S = 2.0


def run_all() -> list[DrillResult]:
    catalog = default_catalog()
    return [run_drill(prepare(load_scenario(path), catalog)) for path in scenario_files([FAILOVER])]


def describe(result: DrillResult) -> str:
    record = result.requests[0].result
    path = " -> ".join(f"{a.model}:{a.status or a.error_class}" for a in record.attempts)
    return f"{'PASS' if result.passed else 'FAIL'}  {result.scenario:<40} {path}"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    times: list[float] = []
    results: list[DrillResult] = []
    for _ in range(runs):
        start = time.perf_counter()
        results = run_all()
        times.append(time.perf_counter() - start)
    for result in results:
        print(describe(result))
    median = statistics.median(times)
    passed = sum(r.passed for r in results)
    print(f"\n{passed} of {len(results)} cases passed")
    print(f"wall: median {median:.3f} s (fastest {min(times):.3f}, slowest {max(times):.3f}, {runs} rounds)")
    met = passed == len(results) and median <= TARGET_S
    print(f"target <= {TARGET_S:g} s with every case passing: {'met' if met else 'NOT met'}")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
