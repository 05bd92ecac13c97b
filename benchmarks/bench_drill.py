"""Benchmark drills on the mock: throughput, virtual time, memory and growth.

    PYTHONPATH=. python benchmarks/bench_drill.py [--runs N] [--hour-runs N] [--sizes 10000,30000,100000]

1. Throughput: the 10,000-request drill ``benchmarks/scenarios/load/mixed-faults-10k.yaml``
   (general-chat, 50 in flight, a model outage, a silent provider, an OpenRouter-wide 429
   window, unusable 200s; one JSON answer per request) against a bare httpx round trip
   timed in the same run: the same 10,000 arrival times and concurrency on the same
   virtual-time loop, through ``httpx.AsyncClient`` and an in-process async transport that
   decodes the JSON request and encodes a JSON reply of a real answer's size, which the
   client decodes. Target: drill rate >= 50 % of the bare rate. For reference (no target),
   the same traffic streamed (``load/streamed-10k.yaml``, ~40 events per answer, each on
   the virtual clock), timed once.
2. Virtual time: ``load/simulated-hour.yaml`` (one simulated hour at 10 requests/s, 36,000
   requests, a 10-minute outage and a 429 storm) in <= 24 s wall (>= 150x real time); and
   the 16 single-request failover scenarios of ``scenarios/failover/`` loaded, prepared and
   run through the library API in one process in <= 2 s together.
3. Memory and growth: the throughput drill resized to 10k, 30k and 100k requests, each run
   by ``orcli drill --quiet`` in its own process; peak RSS is the child's ``ru_maxrss``
   (from ``os.wait4``). Target: < 250 MB at 100k; time and memory per request roughly
   flat (linear growth). For reference, the largest size once more with ``--json``
   (the JSON report holds every request, so it grows with the drill).

Times are medians of ``--runs`` runs (the hour: ``--hour-runs``). The throughput drill and
its bare reference run in alternation; the share compares each side's fastest run (other
load only ever adds time, so the fastest run is the least disturbed, as ``timeit`` has it),
and the ratios of the alternating pairs are printed beside it to show how much a shared
machine moved under the measurement. Start-up and the HTTP server
have their own scripts: ``bench_startup.py`` and ``bench_simulator.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orcli.catalog import default_catalog  # noqa: E402
from orcli.drill.records import DrillResult  # noqa: E402
from orcli.drill.run import run_drill  # noqa: E402
from orcli.drill.runner import prepare  # noqa: E402
from orcli.drill.scenario import LoadedScenario, load_scenario, scenario_files  # noqa: E402
from orcli.drill.traffic import plan_traffic  # noqa: E402
from orcli.upstream.simulator import Simulator  # noqa: E402
from orcli.vtime import run_virtual  # noqa: E402

SCENARIOS = ROOT / "benchmarks" / "scenarios"
THROUGHPUT = SCENARIOS / "load" / "mixed-faults-10k.yaml"
STREAMED = SCENARIOS / "load" / "streamed-10k.yaml"
HOUR = SCENARIOS / "load" / "simulated-hour.yaml"
FAILOVER = SCENARIOS / "failover"
BARE_LATENCY_S = 0.9  # about the drill's median answer time, so as many requests are in flight
BODY = {
    "model": "openai/gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You serve the general-chat workflow."},
        {"role": "user", "content": "Request 1: route " * 75},
    ],
    "max_tokens": 200,
}


def _median_s(runs: int, action: Any) -> tuple[float, Any]:
    times: list[float] = []
    value = None
    for _ in range(runs):
        start = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def _drill(loaded: LoadedScenario) -> DrillResult:
    return run_drill(prepare(loaded, default_catalog()))


# --- 1. throughput ----------------------------------------------------------------------------


def bare_round_trips(loaded: LoadedScenario) -> int:
    """The reference: the drill's arrivals and concurrency, each request one plain httpx
    round trip with JSON encoded and decoded on both sides, on the same virtual-time loop."""
    import random

    traffic = loaded.scenario.traffic
    plan = plan_traffic(traffic, ("general-chat",), random.Random(loaded.scenario.seed))
    reply = Simulator(default_catalog(), seed=1).chat(BODY).body  # a real answer's size

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            json.loads(await request.aread())
            await anyio.sleep(BARE_LATENCY_S)
            answer = json.loads(reply)
            return httpx.Response(200, json=answer, request=request)

    async def main() -> int:
        done = 0
        limiter = anyio.CapacityLimiter(traffic.concurrency)
        async with httpx.AsyncClient(transport=Transport(), base_url="https://openrouter.ai/api/v1") as client:

            async def send() -> None:
                nonlocal done
                async with limiter:
                    response = await client.post("/chat/completions", json=BODY)
                    response.json()
                    done += 1

            start = anyio.current_time()
            async with anyio.create_task_group() as group:
                for request in plan:
                    delay = start + request.at_s - anyio.current_time()
                    if delay > 0:
                        await anyio.sleep(delay)
                    group.start_soon(send)
        return done

    return run_virtual(main)


def bench_throughput(runs: int) -> dict[str, float]:
    """Drill and bare reference timed in alternation, ``runs`` pairs: a slow spell of the
    machine then slows both sides of a pair, and the median of the pairs' ratios reads
    through it."""
    loaded = load_scenario(THROUGHPUT)
    inputs = prepare(loaded, default_catalog())
    count = loaded.scenario.traffic.count
    drill_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(runs):
        drill_s, result = _median_s(1, lambda: run_drill(inputs))
        assert result.passed, f"{THROUGHPUT.name} failed its expectations"
        bare_s, done = _median_s(1, lambda: bare_round_trips(loaded))
        assert done == count
        drill_times.append(drill_s)
        bare_times.append(bare_s)
    streamed_s, streamed = _median_s(1, lambda: _drill(load_scenario(STREAMED)))
    assert streamed.passed, f"{STREAMED.name} failed its expectations"
    pair_shares = [b / d for b, d in zip(bare_times, drill_times, strict=True)]
    return {
        "requests": count,
        "drill_s": min(drill_times),
        "bare_s": min(bare_times),
        # Other load only ever adds time, so each side's fastest run is its least disturbed
        # (timeit's rule); the pairs' ratios show how much the machine moved under them.
        "share": min(bare_times) / min(drill_times),
        "share_median": statistics.median(pair_shares),
        "share_low": min(pair_shares),
        "share_high": max(pair_shares),
        "streamed_s": streamed_s,
        "streamed_requests": len(streamed.requests),
    }


# --- 2. virtual time --------------------------------------------------------------------------


def bench_hour(runs: int) -> dict[str, float]:
    loaded = load_scenario(HOUR)
    inputs = prepare(loaded, default_catalog())
    times: list[float] = []
    result = None
    for _ in range(runs):
        wall_s, result = _median_s(1, lambda: run_drill(inputs))
        times.append(wall_s)
    assert result is not None and result.passed, f"{HOUR.name} failed its expectations"
    simulated_s = loaded.scenario.traffic.duration_s or result.duration_s
    wall_s = statistics.median(times)
    return {
        "requests": len(result.requests),
        "wall_s": wall_s,
        "fastest_s": min(times),
        "slowest_s": max(times),
        "speedup": simulated_s / wall_s,
    }


def bench_failover(runs: int) -> dict[str, float]:
    files = scenario_files([FAILOVER])

    def all_of_them() -> list[DrillResult]:
        return [_drill(load_scenario(path)) for path in files]

    wall_s, results = _median_s(runs, all_of_them)
    failed = [r.scenario for r in results if not r.passed]
    assert not failed, f"failover scenarios failed: {failed}"
    return {"scenarios": len(files), "wall_s": wall_s}


# --- 3. memory and growth ---------------------------------------------------------------------


def resized_scenario(requests: int, folder: Path) -> Path:
    """The throughput scenario with another request count (same rate, so a longer drill)."""
    data = yaml.safe_load(THROUGHPUT.read_text())
    data["name"] = f"bench-mixed-faults-{requests}"
    data["policy"] = str((THROUGHPUT.parent / data["policy"]).resolve())
    data["traffic"]["requests"] = requests
    path = folder / f"mixed-faults-{requests}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_child(scenario: Path, *extra: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``orcli drill`` in its own process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "orcli", "drill", str(scenario), "--quiet", *extra]
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if child.returncode not in (0, 1):
        raise SystemExit(f"orcli drill {scenario.name} exited {child.returncode}: {stderr[-500:]}")
    return wall_s, usage.ru_maxrss / 1024  # Linux reports kilobytes


def bench_growth(sizes: list[int]) -> tuple[list[dict[str, float]], dict[str, float]]:
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            wall_s, rss_mb = run_child(resized_scenario(size, Path(folder)))
            rows.append({"requests": size, "wall_s": wall_s, "rss_mb": rss_mb})
        largest = max(sizes)
        report = str(Path(folder) / "report.json")
        wall_s, rss_mb = run_child(resized_scenario(largest, Path(folder)), "--json", report)
    return rows, {"requests": largest, "wall_s": wall_s, "rss_mb": rss_mb}


# --- output -----------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per timed figure (median; throughput: pairs)")
    parser.add_argument("--hour-runs", type=int, default=3, help="runs of the simulated hour (median)")
    parser.add_argument("--sizes", default="10000,30000,100000", help="request counts for the growth runs")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: throughput,hour,failover,growth")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {args.runs} run(s)\n")

    if "growth" not in skip:
        # First, while this process is small: a child's ru_maxrss also counts the parent's
        # pages it was forked from, so a parent grown by the other parts would hide the figure.
        rows, with_json = bench_growth([int(s) for s in args.sizes.split(",")])
        print("3. memory and growth: orcli drill --quiet, one process per size")
        print("   requests    wall s   us/request   peak RSS MB   KB/request")
        for row in rows:
            n = row["requests"]
            print(
                f"   {n:8.0f}  {row['wall_s']:8.2f}   {row['wall_s'] / n * 1e6:10.0f}   "
                f"{row['rss_mb']:11.0f}   {row['rss_mb'] * 1024 / n:10.2f}"
            )
        largest = max(rows, key=lambda r: r["requests"])
        ok = largest["rss_mb"] < 250
        print(
            f"   peak RSS at {largest['requests']:.0f}: {largest['rss_mb']:.0f} MB   (target < 250 MB: {_verdict(ok)})"
        )
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            time_growth = (last["wall_s"] / last["requests"]) / (first["wall_s"] / first["requests"])
            print(f"   time per request, largest / smallest: {time_growth:.2f}x   (linear growth: ~1)")
            extra_kb = (last["rss_mb"] - first["rss_mb"]) * 1024 / (last["requests"] - first["requests"])
            print(f"   memory per extra request, smallest to largest: {extra_kb:.2f} KB (the rest is start-up)")
        print(
            f"   with --json at {with_json['requests']:.0f}: {with_json['wall_s']:.2f} s, "
            f"peak RSS {with_json['rss_mb']:.0f} MB (reference)\n"
        )

    if "throughput" not in skip:
        t = bench_throughput(args.runs)
        n = t["requests"]
        print(f"1. throughput, {n:.0f}-request drill with mixed faults (50 in flight, virtual time)")
        print(
            f"   bare httpx round trip : {t['bare_s']:6.2f} s  {n / t['bare_s']:7.0f} req/s  (fastest of {args.runs})"
        )
        print(
            f"   drill                 : {t['drill_s']:6.2f} s  {n / t['drill_s']:7.0f} req/s  (fastest of {args.runs})"
        )
        ok = t["share"] >= 0.5
        print(f"   drill / bare rate     : {t['share']:6.1%}   (target >= 50%: {_verdict(ok)})")
        print(
            f"   per alternating pair  : median {t['share_median']:.1%}, "
            f"{t['share_low']:.1%} to {t['share_high']:.1%} (how much the machine moved)"
        )
        streamed = t["streamed_requests"] / t["streamed_s"]
        print(f"   streamed (reference)  : {t['streamed_s']:6.2f} s  {streamed:7.0f} req/s, one run\n")

    if "hour" not in skip:
        h = bench_hour(args.hour_runs)
        ok = h["wall_s"] <= 24
        print(f"2a. one simulated hour at 10 req/s ({h['requests']:.0f} requests, outage + 429 storm)")
        print(
            f"   wall {h['wall_s']:.2f} s (median of {args.hour_runs}: "
            f"{h['fastest_s']:.2f} to {h['slowest_s']:.2f} s), "
            f"{h['speedup']:.0f}x real time   (target <= 24 s, >= 150x: {_verdict(ok)})\n"
        )

    if "failover" not in skip:
        f = bench_failover(args.runs)
        ok = f["wall_s"] <= 2
        print(f"2b. {f['scenarios']:.0f} single-request failover scenarios, loaded and run in one process")
        print(f"   wall {f['wall_s']:.2f} s together   (target <= 2 s: {_verdict(ok)})")


if __name__ == "__main__":
    main()
