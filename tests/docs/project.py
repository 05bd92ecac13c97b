"""A throwaway copy of the repository's project files, as a git checkout with origin/main.

Documented commands run here, never in the repository itself: some write files
(overrides, reports), and ``orcli diff --base origin/main`` needs a git history.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "ci"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        cwd=cwd,
        capture_output=True,
        check=True,
    )


def build_project(dest: Path) -> Path:
    """policies/ and scenarios/ of the repository (the test fixtures' scenarios while it has none)."""
    shutil.copytree(ROOT / "policies", dest / "policies")
    if (ROOT / "scenarios").is_dir():
        shutil.copytree(ROOT / "scenarios", dest / "scenarios")
    else:
        shutil.copytree(FIXTURE / "scenarios", dest / "scenarios")
        for policy in (FIXTURE / "policies").iterdir():
            shutil.copy(policy, dest / "policies" / policy.name)
    git(dest, "init", "-q", "-b", "feature")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "base")
    git(dest, "update-ref", "refs/remotes/origin/main", "HEAD")
    return dest


def shell_env(bin_dir: Path, summary: Path) -> dict[str, str]:
    """An environment whose ``orcli`` is this checkout, run by this interpreter."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "orcli"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m orcli "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("ORCLI_OVERRIDES", "ORCLI_CATALOG", "OPENROUTER_API_KEY")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    return env


def run_shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub runs `run:` steps with bash; pipefail so a failing orcli is not hidden by a pipe.
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
