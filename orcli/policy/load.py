"""Read policy files: YAML on disk -> frozen ``PolicyFile`` with positions kept for lint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orcli.errors import InputError
from orcli.policy.model import PolicyFile, Workflow
from orcli.sourcefile import Document, Loc, Position, load_document, parse_model

POLICY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedPolicy:
    """A parsed policy file and where each of its values came from."""

    path: str
    document: Document
    policy: PolicyFile

    def position(self, workflow: str, *loc: str | int) -> Position:
        return self.document.position(("workflows", workflow, *loc))

    def workflow(self, name: str) -> Workflow:
        try:
            return self.policy.workflows[name]
        except KeyError:
            known = ", ".join(sorted(self.policy.workflows))
            raise InputError(f"{self.path}: no workflow '{name}' (workflows here: {known})") from None

    def locate(self, loc: Loc) -> Position:
        return self.document.position(loc)


def load_policy(path: str | Path, text: str | None = None) -> LoadedPolicy:
    """Read a policy file; with ``text``, parse that instead and name it ``path`` in messages."""
    document = load_document(path, text)
    if document.data is None:
        raise document.error((), "empty policy file: expected 'workflows:'")
    policy = parse_model(document, PolicyFile)
    return LoadedPolicy(document.path, document, policy)


def policy_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into the policy files they name, sorted within each folder."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file())
            if not files:
                raise InputError(f"{path}: no policy files (*.yaml, *.yml) in this folder")
            found.extend(files)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found
