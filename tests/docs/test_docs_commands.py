"""Every ``orcli`` command shown in a fenced code block of docs/*.md runs without a usage error.

A command passes when it exits neither 2 (bad input or usage) nor 3 (internal error). A
command documented to fail on purpose carries ``# exits N`` and must exit exactly N;
one that cannot run here carries ``# not run: reason``. Commands that need the network
or a real key are skipped with the reason shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.project import ROOT, build_project, run_shell, shell_env

DOCS = ROOT / "docs"
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console", "shell-session"}
EXITS = re.compile(r"#\s*exits\s+(\d+)")
NOT_RUN = re.compile(r"#\s*not run:\s*(.+)$")
# Substring -> why the harness does not run it.
NEEDS_OUTSIDE = {
    "--target live": "needs the live OpenRouter API and a key",
    "catalog pull": "needs the network",
    "doctor": "needs the network and a key",
    "mock serve": "starts a long-running server",
}


@dataclass(frozen=True)
class DocCommand:
    page: str
    line: int
    command: str
    expected_exit: int | None
    skip: str | None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def extract_commands(page: str, text: str) -> list[DocCommand]:
    """``orcli`` command lines of shell-like fenced blocks; ``$ `` prompts and ``\\`` continuations handled."""
    commands: list[DocCommand] = []
    fence: str | None = None
    language = ""
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if fence is None:
            if stripped.startswith(("```", "~~~")):
                fence, language = stripped[:3], stripped[3:].strip().split(" ")[0].lower()
            continue
        if stripped.startswith(fence):
            fence = None
            continue
        if language not in SHELL_LANGUAGES:
            continue
        if pending is not None:
            start, so_far = pending
            line = so_far + " " + stripped
        else:
            if language == "console" or stripped.startswith("$ "):
                if not stripped.startswith("$ "):
                    continue  # output, not a command
                stripped = stripped[2:].strip()
            start, line = number, stripped
        if line.endswith("\\"):
            pending = (start, line[:-1].rstrip())
            continue
        pending = None
        if line.startswith("orcli "):
            commands.append(_command(page, start, line))
    return commands


def _command(page: str, line: int, text: str) -> DocCommand:
    exits = EXITS.search(text)
    not_run = NOT_RUN.search(text)
    skip = not_run.group(1).strip() if not_run else None
    for needle, why in NEEDS_OUTSIDE.items():
        if needle in text:
            skip = why
    return DocCommand(page, line, text, int(exits.group(1)) if exits else None, skip)


def all_commands() -> list[DocCommand]:
    found: list[DocCommand] = []
    for page in sorted(DOCS.glob("*.md")):
        found.extend(extract_commands(page.name, page.read_text(encoding="utf-8")))
    return found


COMMANDS = all_commands()


def test_the_docs_show_commands() -> None:
    pages = {c.page for c in COMMANDS}
    assert {"ci.md", "policies.md", "simulator.md"} <= pages


@pytest.mark.parametrize("doc", COMMANDS, ids=[c.id for c in COMMANDS])
def test_documented_command_runs(doc: DocCommand, tmp_path: Path) -> None:
    if doc.skip is not None:
        pytest.skip(f"{doc.id}: {doc.skip}")
    project = build_project(tmp_path / "project")
    env = shell_env(tmp_path / "bin", tmp_path / "summary.md")
    done = run_shell(doc.command, project, env)
    shown = f"{doc.id}: {doc.command}\nexit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    if doc.expected_exit is not None:
        assert done.returncode == doc.expected_exit, shown
    else:
        assert done.returncode not in (2, 3), shown
        assert done.returncode in (0, 1), shown


# --- the extractor itself ---------------------------------------------------------------------

SAMPLE = """\
Intro `orcli inline` is not a block.

```console
$ orcli route list   # listed
listed output mentioning orcli route
$ orcli route force --workflow w \\
    --model m --ttl 1h
```

```sh
orcli validate policies/
echo not orcli
orcli drill broken/  # exits 1
orcli mock serve --port 0
orcli route enable x  # not run: an example id
```

```yaml
run: orcli validate policies/
orcli schema
```
"""


def test_extractor_reads_prompts_continuations_and_markers() -> None:
    found = extract_commands("sample.md", SAMPLE)
    assert [(c.line, c.command, c.expected_exit, c.skip) for c in found] == [
        (4, "orcli route list   # listed", None, None),
        (6, "orcli route force --workflow w --model m --ttl 1h", None, None),
        (11, "orcli validate policies/", None, None),
        (13, "orcli drill broken/  # exits 1", 1, None),
        (14, "orcli mock serve --port 0", None, "starts a long-running server"),
        (15, "orcli route enable x  # not run: an example id", None, "an example id"),
    ]
