"""Start-up cost as properties a test can hold: what ``orcli --help`` and ``orcli validate``
load, and that Typer gets every command's annotations already evaluated (compiling them
from strings on each run cost about 12 ms). The timings themselves are in
``benchmarks/bench_startup.py``."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import typer.main

from orcli.cli.app import app

ROOT = Path(__file__).parent.parent.parent
HEAVY = ("httpx", "jsonschema", "rich", "anyio", "starlette", "uvicorn", "orcli.upstream", "orcli.client")


def loaded_after(*args: str) -> list[str]:
    code = (
        "import json, sys\n"
        "from orcli.cli.app import main\n"
        f"sys.argv = ['orcli', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_help_and_validate_load_none_of_the_heavy_modules() -> None:
    assert loaded_after("--help") == []
    assert loaded_after("validate", "policies/") == []


def test_every_command_reaches_typer_with_evaluated_annotations() -> None:
    group = typer.main.get_group(app)
    callbacks = []
    stack = [group]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        if command.callback is not None:
            callbacks.append(command.callback)
    assert len(callbacks) > 10
    for callback in callbacks:
        strings = [name for name, value in inspect.get_annotations(callback).items() if isinstance(value, str)]
        assert strings == [], f"{callback.__name__}: annotations left as strings: {strings}"
