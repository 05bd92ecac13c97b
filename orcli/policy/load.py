"""Read policy files: YAML on disk -> frozen ``PolicyFile`` with positions kept for lint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orcli.errors import InputError
from orcli.policy.model import PolicyFile, Workflow
from orcli.sourcefile import Document, Loc, Position, expand_files, load_document, parse_kind


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
    return policy_from_document(load_document(path, text))


def policy_from_document(document: Document) -> LoadedPolicy:
    """A policy from a document already read (by a caller that looked at its kind first)."""
    policy = parse_kind(document, PolicyFile, "policy", "'workflows:'", "; run a scenario with 'orcli drill'")
    return LoadedPolicy(document.path, document, policy)


def policy_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively) into the policy files they name."""
    return expand_files(paths, kind="policy", recursive=True)
