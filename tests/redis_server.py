"""A private redis-server for the tests: a free loopback port, no persistence, stopped at the end.

Tests that need it skip when ``redis-server`` is not installed, except under ``CI=true``,
where a missing server is a failure: CI must prove the Redis store works against a real one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REQUIRED = os.environ.get("CI") == "true"
START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    """Read the server's log until it says it accepts connections; then keep draining it."""
    assert proc.stdout is not None
    ready = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if b"Ready to accept connections" in line:
                ready.set()
        ready.set()  # the server exited: let the waiter see it

    threading.Thread(target=drain, name=f"redis-{port}-log", daemon=True).start()
    if not ready.wait(START_TIMEOUT_S) or proc.poll() is not None:
        pytest.fail(f"redis-server did not start on 127.0.0.1:{port}")


@contextmanager
def redis_server() -> Iterator[int]:
    """Start ``redis-server`` on a free loopback port; yields the port."""
    binary = shutil.which("redis-server")
    if binary is None:
        if REQUIRED:
            pytest.fail("CI=true but redis-server is not installed: the Redis store must be tested for real")
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI=true makes this a failure")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="orcli-redis-") as folder:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(proc, port)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
