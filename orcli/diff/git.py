"""The few git plumbing calls ``orcli diff --base`` needs, run as subprocesses.

Every failure (no git, not a repository, an unknown ref) becomes an ``InputError``
here, so nothing above sees ``subprocess`` or ``OSError``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orcli.errors import InputError


@dataclass(frozen=True)
class Repo:
    """A git work tree, seen from the folder the command runs in."""

    root: Path  # top of the work tree
    prefix: str  # the current folder relative to the root, '' or ending in '/'

    def run(self, *args: str) -> bytes:
        return _git(self.root, *args)

    def commit_of(self, ref: str) -> str:
        """The commit ``ref`` names; an unknown ref is bad input."""
        if ref.startswith("-"):
            raise InputError(f"--base: '{ref}' is not a git ref")
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        except InputError:
            raise InputError(f"--base: unknown git ref '{ref}' (try 'git fetch' or check the name)") from None
        return out.decode().strip()

    def files_at(self, commit: str, path: str) -> list[str]:
        """Files under ``path`` (relative to the root) at ``commit``, relative to the root."""
        scope = ["--", path] if path else []  # "" is the top of the repository: everything
        out = self.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, *scope)
        return sorted(name for name in out.decode("utf-8", errors="surrogateescape").split("\0") if name)

    def show(self, commit: str, path: str) -> bytes:
        return self.run("show", f"{commit}:{path}")


def open_repo(cwd: Path) -> Repo:
    """The repository containing ``cwd``; outside one, a clear exit-2 error."""
    try:
        out = _git(cwd, "rev-parse", "--show-toplevel", "--show-prefix")
    except InputError:
        raise InputError(f"--base: {cwd} is not inside a git repository (compare two paths instead: OLD NEW)") from None
    lines = out.decode().splitlines()
    root = Path(lines[0])
    prefix = lines[1] if len(lines) > 1 else ""
    return Repo(root, prefix)


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            check=False,
            # A pager or a prompt for credentials would hang a CI job.
            env=_quiet_env(),
        )
    except FileNotFoundError:
        raise InputError("--base: git is not installed (or not on PATH)") from None
    except OSError as exc:
        raise InputError(f"--base: cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise InputError(f"git {args[0]}: {first[0] if first else f'exit {done.returncode}'}")
    return done.stdout


def _quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    return env
