"""Start-up time of the CLI: ``orcli --help`` and ``orcli validate policies/``.

Each command runs N times in a fresh interpreter (as a user's shell would start it);
the median is compared with ``python -c pass`` measured in the same run, so the
figures separate orcli's own cost from the interpreter's. Targets: --help <= 100 ms,
validate <= 200 ms (wall clock, interpreter included). On a shared, loaded machine the wall
clock drifts; ``--cpu`` reports the CPU time of each run instead, which load disturbs less.

    python benchmarks/bench_startup.py [--runs N]

To see where the time goes: ``python -X importtime -m orcli --help 2> imports.txt``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("python -c pass", [sys.executable, "-c", "pass"], None),
    ("orcli --help", [sys.executable, "-m", "orcli", "--help"], 100.0),
    ("orcli validate policies/", [sys.executable, "-m", "orcli", "validate", "policies/"], 200.0),
]


def median_ms(argv: list[str], runs: int, *, cpu: bool = False) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        times.append((spent_s if cpu else time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[2:])} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--cpu", action="store_true", help="CPU time of each run instead of wall time")
    args = parser.parse_args()
    for argv in (case[1] for case in CASES):  # warm the file-system and bytecode caches
        subprocess.run(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, check=False)
    baseline_ms = 0.0
    over = False
    clock = "CPU time" if args.cpu else "wall time"
    print(f"median {clock} of {args.runs} runs ({sys.executable}, Python {sys.version.split()[0]})")
    for name, argv, target_ms in CASES:
        ms = median_ms(argv, args.runs, cpu=args.cpu)
        if target_ms is None:
            baseline_ms = ms
            print(f"  {name:<26} {ms:7.1f} ms")
            continue
        verdict = "ok" if ms <= target_ms else "OVER TARGET"
        over = over or ms > target_ms
        extra_ms = ms - baseline_ms
        print(f"  {name:<26} {ms:7.1f} ms  (+{extra_ms:.1f} ms over python; target {target_ms:.0f} ms: {verdict})")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
