"""Route overrides across a fleet: propagation, concurrent writers, writers killed mid-change.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_overrides.py [--rounds N] [--clients N] [--skip NAME]

Needs ``redis-server`` on the PATH (Debian: ``apt-get install redis-server``) and the
``redis`` package (``pip install -e '.[redis]'``). A private server is started on a free
loopback port without persistence and stopped at the end.

1. **Propagation** (target p99 <= 1 s). ``--clients`` processes (default 20) each run an
   ``orcli.Client`` with ``overrides=redis://...`` on an in-process simulator. When its
   feed announces a change, each sends one request and reports the wall-clock moment
   that request returned and the override ids its result names (checked: the new
   override after a disable, none after the enable). ``orcli route disable`` / ``enable``
   run as commands, one after another, ``--rounds`` times each; a sample is one client's
   moment minus the moment the command returned (negative: applied before the command's
   process had exited).
2. **Concurrent writers.** 20 processes each run ``orcli route disable`` 10 times with
   distinct reasons, all at once, against the file store and then Redis. Reported: the
   overrides lost (a reason missing from the store), refused (a command exiting non-zero)
   and the slowest command.
3. **Killed writers.** A writer adding overrides in a tight loop is SIGKILLed after a
   few commits, ``--kills`` times per store; after each kill the store must read, hold
   every override the writer reported and at most the one in flight, and take a write.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "ORCLI_ACTOR": "bench"}
ENV.pop("ORCLI_OVERRIDES", None)

CLIENT = """
import sys, time
from orcli.client.sync_client import Client
from orcli.overrides.feed import open_feed
from orcli.policy.model import Workflow
from orcli.upstream.simulator import Simulator
from orcli.upstream.transport import SimulatorTransport

workflow = Workflow.model_validate({"models": {"primary": "meta-llama/llama-3.3-70b-instruct"}})
feed = open_feed(sys.argv[1])
app = Client(workflow, api_key="sk-or-v1-bench", transport=SimulatorTransport(Simulator()), workflow_name="chat",
             overrides=feed)
hello = [{"role": "user", "content": "Hello?"}]
app.chat(hello)  # warm: the first request builds the caches
print("ready", flush=True)
seen = feed.version
while True:
    if not feed.wait_for(lambda f: f.version != seen, timeout_s=60):
        break
    seen = feed.version
    result = app.chat(hello)  # the first request after the change: it applies the overrides now in force
    print(seen, repr(time.time()), ",".join(result.overrides) or "-", flush=True)
"""

WRITER = """
import sys
from datetime import UTC, datetime
from orcli.overrides import OverrideAction, new_override
from orcli.overrides.location import open_store

store = open_store(sys.argv[1], actor="doomed")
n = 0
while True:
    now = datetime.now(UTC)
    o = new_override(action=OverrideAction.DISABLE, provider="groq", reason=f"n{n}", created_at=now,
                     created_by="doomed")
    print(store.add(o, now=now).id, flush=True)
    n += 1
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="orcli-bench-redis-") as folder:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if b"Ready to accept connections" in line:
                break
        threading.Thread(target=lambda: proc.stdout.read() if proc.stdout else None, daemon=True).start()
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def orcli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orcli", *args], cwd=cwd, env=ENV, capture_output=True, text=True, check=False
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def propagation(url: str, clients: int, rounds: int) -> None:
    location = f"{url}?prefix=propagation:"
    procs = [
        subprocess.Popen([sys.executable, "-c", CLIENT, location], env=ENV, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(clients)
    ]
    applied: dict[int, list[float]] = {}
    shaped_by: dict[int, set[str]] = {}
    lock = threading.Lock()

    def collect(proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            version, at, ids = line.split()
            with lock:
                applied.setdefault(int(version), []).append(float(at))
                shaped_by.setdefault(int(version), set()).add(ids)

    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        threading.Thread(target=collect, args=(proc,), daemon=True).start()
    from orcli.overrides.location import open_store
    from orcli.overrides.redis_store import RedisStore

    store = open_store(location)
    assert isinstance(store, RedisStore)

    def committed_at() -> float:
        """When the last change was committed: its audit entry's id is Redis's clock in ms."""
        entry_id = store.client.xrevrange(store.keys.audit, count=1)[0][0]
        return int(entry_id.split("-")[0]) / 1000

    samples: list[float] = []  # from the command returning
    from_commit: list[float] = []  # from the change's commit in Redis
    try:
        for n in range(rounds):
            done = orcli(
                "route",
                "disable",
                "--provider",
                "groq",
                "--reason",
                f"round {n}",
                "--overrides",
                location,
                "--policy",
                "policies/",
            )
            returned = time.time()
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            override_id = done.stdout.split()[1].rstrip(":")
            version = 2 * n + 1
            samples.extend(_await(applied, lock, version, clients, returned))
            from_commit.extend(_await(applied, lock, version, clients, committed_at()))
            if shaped_by[version] != {override_id}:
                raise SystemExit(f"a client's request after the disable named {shaped_by[version]}, not {override_id}")
            done = orcli("route", "enable", override_id, "--reason", "over", "--overrides", location)
            returned = time.time()
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            samples.extend(_await(applied, lock, version + 1, clients, returned))
            from_commit.extend(_await(applied, lock, version + 1, clients, committed_at()))
            if shaped_by[version + 1] != {"-"}:
                raise SystemExit(f"a client's request after the enable still named {shaped_by[version + 1]}")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    print(
        f"propagation, {clients} client processes, {len(samples)} samples ({rounds} disables and {rounds} enables)\n"
        f"  from the command returning: p50 {statistics.median(samples) * 1000:.1f} ms, "
        f"p99 {percentile(samples, 0.99) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms (target p99 <= 1000 ms)\n"
        f"  from the commit in Redis:   p50 {statistics.median(from_commit) * 1000:.1f} ms, "
        f"p99 {percentile(from_commit, 0.99) * 1000:.1f} ms, max {max(from_commit) * 1000:.1f} ms"
    )


def _await(
    applied: dict[int, list[float]], lock: threading.Lock, version: int, clients: int, since: float
) -> list[float]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            got = list(applied.get(version, []))
        if len(got) == clients:
            return [at - since for at in got]
        time.sleep(0.005)
    raise SystemExit(f"only {len(got)} of {clients} clients applied change {version} within 30 s")


def writers(location: str, label: str, workdir: Path, count: int = 20, each: int = 10) -> None:
    errors: set[str] = set()

    def one(writer: int, results: list[tuple[int, float]]) -> None:
        for n in range(each):
            started = time.monotonic()
            done = orcli(
                "route",
                "disable",
                "--provider",
                "groq",
                "--reason",
                f"w{writer} n{n}",
                "--overrides",
                location,
                cwd=workdir,
            )
            results.append((done.returncode, time.monotonic() - started))
            if done.returncode != 0:
                errors.add(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")

    results: list[tuple[int, float]] = []
    threads = [threading.Thread(target=one, args=(w, results)) for w in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    from orcli.overrides.location import open_store

    stored = {o.reason for o in open_store(location).read().overrides}
    expected = {f"w{w} n{n}" for w in range(count) for n in range(each)}
    refused = sum(1 for code, _ in results if code != 0)
    slowest = max(t for _, t in results)
    print(
        f"writers, {label}: {count} x {each} writes in {took:.1f} s: {len(expected - stored)} lost, {refused} refused, "
        f"slowest command {slowest:.2f} s"
    )
    for error in sorted(errors):
        print(f"  refused: {error}")


def kills(location: str, label: str, times: int) -> None:
    from datetime import UTC, datetime

    from orcli.overrides import OverrideAction, new_override
    from orcli.overrides.location import open_store

    consistent = 0
    store = open_store(location)
    for k in range(times):
        already = len(store.read().overrides)
        proc = subprocess.Popen([sys.executable, "-c", WRITER, location], env=ENV, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        reported: list[str] = []
        for line in proc.stdout:
            reported.append(line.strip())
            if len(reported) == 1 + k % 7:
                proc.send_signal(signal.SIGKILL)
                break
        reported.extend(line.strip() for line in proc.stdout)
        proc.wait()
        new = [o.id for o in store.read().overrides][already:]  # reads: nothing half-written
        # Every reported commit is there in order; at most the change in flight made it too.
        ok = new[: len(reported)] == reported and len(new) - len(reported) <= 1
        now = datetime.now(UTC)
        after = new_override(
            action=OverrideAction.DISABLE, provider="together", reason="after", created_at=now, created_by="bench"
        )
        store.add(after, now=now)  # no stale lock, no stuck transaction
        consistent += ok
    print(f"killed writers, {label}: {consistent} of {times} kills left the store consistent and writable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--writes", type=int, default=10, help="per writer")
    parser.add_argument("--skip", action="append", default=[], choices=["propagation", "writers", "kills"])
    parser.add_argument("--stores", choices=["file", "redis", "both"], default="both", help="for writers and kills")
    args = parser.parse_args()
    with redis_server() as url, tempfile.TemporaryDirectory(prefix="orcli-bench-") as folder:
        workdir = Path(folder)
        shutil.copytree(ROOT / "policies", workdir / "policies")
        if "propagation" not in args.skip:
            propagation(url, args.clients, args.rounds)
        file, redis = args.stores in ("file", "both"), args.stores in ("redis", "both")
        if "writers" not in args.skip:
            if file:
                writers(str(workdir / ".orcli" / "overrides.yaml"), "file store", workdir, args.writers, args.writes)
            if redis:
                writers(f"{url}?prefix=writers:", "Redis", workdir, args.writers, args.writes)
        if "kills" not in args.skip:
            if file:
                kills(str(workdir / "killed" / "overrides.yaml"), "file store", args.kills)
            if redis:
                kills(f"{url}?prefix=killed:", "Redis", args.kills)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
