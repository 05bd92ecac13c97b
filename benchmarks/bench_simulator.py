"""Benchmark the OpenRouter simulator. A plain script: run it, read the figures.

    PYTHONPATH=. python benchmarks/bench_simulator.py [--requests N] [--http-requests N] [--seconds S]

1. In process: simulated chat completions per second through ``httpx.Client`` +
   ``SimulatorTransport`` (virtual clock), against a bare httpx round trip timed in the
   same run (``httpx.Client`` + ``httpx.MockTransport`` whose handler decodes the JSON
   request and encodes a JSON reply of the same size). Target: the simulator costs at most
   as much again as the bare round trip (ratio <= 2).
2. Over HTTP: ``orcli mock serve --time-scale 0`` in its own process on loopback, driven by
   50 concurrent keep-alive connections for a bounded number of requests or seconds.
   Target: >= 2,000 requests/s with p99 latency <= 20 ms. Two load generators run: a
   minimal HTTP/1.1 client on asyncio streams (the figure the target is judged on), and
   ``httpx.AsyncClient`` for reference. httpx's async connection pool is itself the limit at
   50 connections (it manages well under 1,000 req/s even against a trivial starlette app on
   the same machine), so it measures the client more than the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orcli.catalog import default_catalog  # noqa: E402
from orcli.clock import VirtualClock  # noqa: E402
from orcli.openrouter import BASE_URL  # noqa: E402
from orcli.upstream.simulator import Simulator  # noqa: E402
from orcli.upstream.transport import SimulatorTransport  # noqa: E402

BODY = {
    "model": "openai/gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Summarise the routing policy in two sentences."},
    ],
    "max_tokens": 200,
}
HEADERS = {"Authorization": "Bearer sk-or-v1-benchmark"}


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def bench_in_process(requests: int) -> dict[str, float]:
    sim = Simulator(default_catalog(), seed=1)
    sample = json.loads(sim.chat(BODY).body)  # a reply of realistic size for the bare handler

    def handler(request: httpx.Request) -> httpx.Response:
        json.loads(request.content)
        return httpx.Response(200, json=sample)

    bare = httpx.Client(transport=httpx.MockTransport(handler), base_url=BASE_URL, headers=HEADERS)
    simulated = httpx.Client(
        transport=SimulatorTransport(Simulator(default_catalog(), seed=1), VirtualClock()),
        base_url=BASE_URL,
        headers=HEADERS,
    )
    results: dict[str, float] = {}
    for name, client in (("bare", bare), ("simulator", simulated)):
        for _ in range(200):  # warm up
            client.post("/chat/completions", json=BODY).json()
        best = float("inf")
        for _ in range(3):  # best of three runs, to damp scheduler noise
            start = time.perf_counter()
            for _ in range(requests):
                response = client.post("/chat/completions", json=BODY)
                response.json()
            best = min(best, time.perf_counter() - start)
        results[name] = _rate(requests, best)
        client.close()
    results["ratio"] = results["bare"] / results["simulator"]
    return results


async def _drive(url: str, total: int, seconds: float, concurrency: int) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    deadline = time.perf_counter() + seconds
    remaining = total
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits, timeout=30) as client:
        for _ in range(concurrency):  # open every connection before timing
            await client.get("/models")

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                began = time.perf_counter()
                response = await client.post("/chat/completions", json=BODY)
                response.raise_for_status()
                latencies.append(time.perf_counter() - began)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return len(latencies), elapsed, latencies


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def _drive_raw(url: str, total: int, seconds: float, concurrency: int) -> tuple[int, float, list[float]]:
    """Keep-alive HTTP/1.1 over asyncio streams: just enough client to load the server."""
    address = httpx.URL(url)
    payload = json.dumps(BODY).encode()
    request = (
        f"POST {address.path}/chat/completions HTTP/1.1\r\nHost: {address.host}\r\n"
        f"Authorization: {HEADERS['Authorization']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    remaining = total
    connections = [await asyncio.open_connection(address.host, address.port) for _ in range(concurrency)]

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in connections))
    return len(latencies), time.perf_counter() - start, latencies


def bench_http(total: int, seconds: float, concurrency: int) -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "orcli", "mock", "serve", "--port", "0", "--time-scale", "0", "--seed", "1"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    figures: dict[str, dict[str, float]] = {}
    try:
        assert server.stderr is not None
        banner = server.stderr.readline()
        url = banner.split(" at ", 1)[1].split(" ", 1)[0]
        for name, drive in (("asyncio streams", _drive_raw), ("httpx.AsyncClient", _drive)):
            done, elapsed, latencies = asyncio.run(drive(url, total, seconds, concurrency))
            figures[name] = {
                "requests": done,
                "rps": _rate(done, elapsed),
                "p50_ms": statistics.median(latencies) * 1000,
                "p99_ms": _percentile(latencies, 99) * 1000,
            }
    finally:
        server.terminate()
        server.wait(timeout=10)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="in-process requests per run")
    parser.add_argument("--http-requests", type=int, default=20000, help="HTTP requests (upper bound)")
    parser.add_argument("--seconds", type=float, default=10.0, help="HTTP run time (upper bound)")
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    local = bench_in_process(args.requests)
    print(f"in-process bare httpx round trip : {local['bare']:9.0f} req/s")
    print(f"in-process simulator             : {local['simulator']:9.0f} req/s")
    verdict = "ok" if local["ratio"] <= 2 else "over target"
    print(f"simulator cost / bare round trip : {local['ratio']:9.2f} x   (target <= 2: {verdict})")

    for name, http in bench_http(args.http_requests, args.seconds, args.concurrency).items():
        ok = http["rps"] >= 2000 and http["p99_ms"] <= 20
        print(
            f"HTTP loopback, {args.concurrency} connections, {name:17}: {http['rps']:6.0f} req/s "
            f"({http['requests']:.0f} requests), p50 {http['p50_ms']:.1f} ms, p99 {http['p99_ms']:.1f} ms"
            f"   (target >= 2000 req/s, p99 <= 20 ms: {'ok' if ok else 'not met'})"
        )


if __name__ == "__main__":
    main()
