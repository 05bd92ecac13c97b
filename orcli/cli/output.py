"""Consoles for command output. Reporters take a Console so tests can render to a string."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console


def stdout_console() -> Console:
    # Piped output (CI logs, tests) gets a wide fixed width instead of rich's 80 columns,
    # so tables keep their reasons instead of truncating them.
    width = None if sys.stdout.isatty() else 200
    return Console(soft_wrap=False, highlight=False, width=width)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
