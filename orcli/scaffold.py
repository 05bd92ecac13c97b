"""``orcli init``: a starting project, one policy and two drills that pass as written.

All or nothing: every target is checked before anything is written, and each file is
created with ``O_EXCL``, so an existing file is never overwritten, not even by a race.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orcli.errors import InputError

POLICY = """\
# The routing policy of one workflow. 'orcli schema policy' prints every key with its
# type and default (a JSON Schema your editor can use); 'orcli --help' lists the commands.
# Check it with 'orcli validate' and see its routes with 'orcli explain'.
version: 1
workflows:
  assistant:
    description: General assistant; a comparable model may answer when the first one fails.
    data_class: internal  # public, internal or regulated
    models:
      primary: openai/gpt-4o-mini
      # OpenRouter walks these in order when every provider of the model before fails.
      fallbacks:
        - google/gemini-2.5-flash
        - anthropic/claude-haiku-4.5
    provider:
      allow_fallbacks: true  # let OpenRouter try the model's other providers
    needs:
      max_output_tokens: 1024
    timeouts:
      attempt_s: 20  # one attempt, request to last byte
      total_s: 75  # every attempt and wait together: 3 attempts of 20 s plus backoff
    retry:
      max_attempts: 3
    budget:
      max_cost_per_request_usd: 0.02
    degradation:
      mode: fallback
"""

STEADY = """\
# A quiet day: no faults, every request answered by the primary route.
# Run it with 'orcli drill scenarios/'; 'orcli schema scenario' lists every key.
name: steady
description: No faults; the primary model answers every request.
policy: ../policies/assistant.yaml
seed: 1
traffic:
  requests: 30
  rate_per_s: 2
expect:
  - kind: success_rate
    min: 1.0
  - kind: max_fallback_depth
    max: 0
  - kind: within_policy
"""

OUTAGE = """\
# The primary model's providers answer 502 for ten seconds: the fallback chain must
# carry the traffic, and every answer must still come from a route the policy allows.
name: primary-outage
description: Every provider of the primary model fails for 10 s; fallbacks answer.
policy: ../policies/assistant.yaml
seed: 2
traffic:
  requests: 40
  rate_per_s: 2
faults:
  - kind: outage
    model: openai/gpt-4o-mini
    start_s: 5
    end_s: 15
expect:
  - kind: success_rate
    min: 0.95
  - kind: max_fallback_depth
    max: 1
  - kind: within_policy
"""

README = """\
# Routing policies

`policies/` holds the routing policy of each workflow: which models may answer, which
providers they may run on, what the requests need, timeouts, retries, budgets and how
the workflow degrades. `scenarios/` holds chaos drills that replay traffic and faults
against the mock OpenRouter.

    orcli validate policies/                 # schema and lint; exit 1 on an error
    orcli explain policies/assistant.yaml    # the endpoints each request can reach
    orcli drill scenarios/                   # run the drills; exit 1 if one fails
    orcli diff --base origin/main            # what a change does, in CI

Edit `policies/assistant.yaml` to fit your workflow, then add a workflow per use case.
Every key of a policy or a scenario, with its type and default, is in the JSON Schema
that `orcli schema policy` and `orcli schema scenario` print; `orcli COMMAND --help`
describes each command.
"""


@dataclass(frozen=True)
class Template:
    path: str  # relative to the project folder
    text: str


TEMPLATES = (
    Template("policies/assistant.yaml", POLICY),
    Template("policies/README.md", README),
    Template("scenarios/steady.yaml", STEADY),
    Template("scenarios/primary-outage.yaml", OUTAGE),
)


def init_project(folder: Path) -> list[Path]:
    """Write the templates under ``folder``; refuse (writing nothing) if any target exists."""
    targets = [(folder / t.path, t.text) for t in TEMPLATES]
    for path, _ in targets:
        if path.exists() or path.is_symlink():
            raise InputError(f"{path}: already exists; orcli init never overwrites a file (nothing was written)")
        parent = path.parent
        while parent != parent.parent and not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise InputError(f"{parent}: not a folder; cannot create {path} (nothing was written)")
    written: list[Path] = []
    try:
        for path, text in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            written.append(path)
    except OSError as exc:
        for path in written:  # leave no half-made project behind
            path.unlink(missing_ok=True)
        raise InputError(f"{exc.filename or folder}: cannot write: {exc.strerror or exc} (nothing was kept)") from None
    return written
