"""Where a project's files live, whichever folder a command runs from.

One rule, used by every default path (the overrides store, the policies folder): the
project root is the nearest folder, from here upwards, that holds ``.orcli/`` or
``policies/``; else the top of the git work tree; else the folder we started from.
Running ``orcli route`` from ``src/`` then finds the same store as from the root,
instead of silently starting a second one.

Standard library only: the CLI calls this at start-up.
"""

from __future__ import annotations

from pathlib import Path

MARKERS = (".orcli", "policies")


def project_root(start: str | Path | None = None) -> Path:
    """The project root for ``start`` (default: the current folder), as an absolute path."""
    here = Path.cwd() if start is None else Path(start)
    here = here.absolute()
    chain = (here, *here.parents)
    for folder in chain:
        if any((folder / marker).is_dir() for marker in MARKERS):
            return folder
    for folder in chain:
        if (folder / ".git").exists():  # a folder, or a file in a linked worktree
            return folder
    return here
