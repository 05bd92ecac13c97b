"""``orcli mutate`` on the library: the 8 policy files of policies/ and scenarios/policies/,
every mutant, against every scenario in scenarios/. Target: <= 60 s wall clock on a 2-core machine.

Each run is a fresh ``orcli mutate`` process, as CI starts it (interpreter, imports, the
process pool and its workers included). Reported per run: wall time, the CPU time of the
command and its workers (a loaded machine disturbs it less than the wall clock), the
machine's load average at the start, the mutant counts and the score.

    python benchmarks/bench_mutate.py [--runs N] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 60.0
ARGS = ["policies/", "scenarios/policies/", "--scenarios", "scenarios/"]


def one_run(jobs: int | None, report: Path) -> tuple[float, float, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "orcli", "mutate", *ARGS, "--json", str(report)]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"orcli mutate exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    data: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return wall, cpu, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for orcli mutate (default: one per CPU)")
    args = parser.parse_args()
    print(f"orcli mutate {' '.join(ARGS)} ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-mutate-") as tmp:
        for n in range(args.runs):
            load = os.getloadavg()[0]
            wall, cpu, data = one_run(args.jobs, Path(tmp) / f"run-{n}.json")
            walls.append(wall)
            counts = data["counts"]
            assert isinstance(counts, dict)
            print(
                f"run {n + 1}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, load {load:4.1f} at start; "
                f"{data['total']} mutants: {counts['killed']} killed, {counts['survived']} survived, "
                f"{counts['equivalent']} equivalent; score {float(str(data['score'])):.1%}; "
                f"{data['processes']} process(es)"
            )
    median = statistics.median(walls)
    verdict = "ok" if median <= TARGET_S else "OVER"
    print(f"median wall {median:.1f} s (target <= {TARGET_S:g} s): {verdict}")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
