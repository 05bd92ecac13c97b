"""The two sides of a diff: policy files from folders, single files, or a git ref.

Each side is a set of policy files keyed by their path relative to the side's root
(``"."`` for a single file), so ``old/chat.yaml`` and ``new/chat.yaml`` pair up, and a
scenario pointing at a file of the new side can be pointed at the same file of the old.
A git ref is materialised into a temporary folder (drills need files on disk) but is
named ``REF:path`` in every message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orcli.diff.git import Repo
from orcli.errors import InputError, SourceError
from orcli.policy.load import LoadedPolicy, load_policy
from orcli.policy.model import Workflow
from orcli.policy.validate import LoadFailure
from orcli.sourcefile import YAML_SUFFIXES

SINGLE_FILE_KEY = "."


@dataclass(frozen=True)
class PolicyEntry:
    key: str  # path relative to the side's root, posix style; "." for a single file
    path: Path  # the file on disk (for a git ref, its materialised copy)
    shown: str  # how messages name it


@dataclass(frozen=True)
class PlacedWorkflow:
    """A workflow and the loaded file it comes from (for line numbers)."""

    name: str
    workflow: Workflow
    loaded: LoadedPolicy
    entry: PolicyEntry


@dataclass(frozen=True)
class PolicySide:
    label: str  # "old", "new", or the git ref
    root: Path | None  # the folder keys are relative to; None for a single file
    entries: tuple[PolicyEntry, ...]
    loaded: tuple[tuple[PolicyEntry, LoadedPolicy], ...]
    failures: tuple[LoadFailure, ...]

    def workflows(self) -> dict[str, PlacedWorkflow]:
        placed: dict[str, PlacedWorkflow] = {}
        for entry, loaded in self.loaded:
            for name, workflow in loaded.policy.workflows.items():
                if name in placed:
                    # Overrides, drills and this diff address workflows by name: two with one name
                    # would make every one of them ambiguous.
                    first = placed[name].entry.shown
                    raise InputError(
                        f"{entry.shown}: workflow '{name}' is also defined in {first}; names must be unique"
                    )
                placed[name] = PlacedWorkflow(name, workflow, loaded, entry)
        return placed

    def key_of(self, path: Path) -> str | None:
        """The key a file on disk has on this side (even if the file is absent), or None if outside it."""
        target = path.resolve()
        if self.root is None:
            single = self.entries[0].path.resolve() if self.entries else None
            return SINGLE_FILE_KEY if target == single else None
        try:
            return target.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None

    def entry(self, key: str) -> PolicyEntry | None:
        return next((e for e in self.entries if e.key == key), None)


def side_from_path(label: str, path: Path) -> PolicySide:
    """A side read from a policy file or a folder of them (an empty folder is an empty side)."""
    if path.is_dir():
        entries = tuple(PolicyEntry(f.relative_to(path).as_posix(), f, str(f)) for f in _policy_files(path))
        return _load_side(label, path, entries, texts=None)
    if path.is_file():
        return _load_side(label, None, (PolicyEntry(SINGLE_FILE_KEY, path, str(path)),), texts=None)
    raise InputError(f"{path}: no such file or folder")


def side_from_git(repo: Repo, ref: str, commit: str, path: Path, cwd: Path, scratch: Path) -> PolicySide:
    """The policy files under ``path`` (relative to ``cwd``) as they were at ``commit``.

    Files are written under ``scratch`` with the same layout, so scenarios can run against them.
    """
    relative = _repo_relative(repo, path, cwd)
    listed = repo.files_at(commit, relative)
    single = len(listed) == 1 and listed[0] == relative
    entries: list[PolicyEntry] = []
    texts: dict[str, str | None] = {}
    for name in listed:
        if not name.endswith(YAML_SUFFIXES):
            continue
        key = SINGLE_FILE_KEY if single else Path(name).relative_to(relative or ".").as_posix()
        copy = scratch / (Path(name).name if single else key)
        copy.parent.mkdir(parents=True, exist_ok=True)
        data = repo.show(commit, name)
        copy.write_bytes(data)
        shown = f"{ref}:{_cwd_relative(repo, name)}"
        entries.append(PolicyEntry(key, copy, shown))
        try:
            texts[key] = data.decode("utf-8")
        except UnicodeDecodeError:
            texts[key] = None  # loaded from the copy, so the loader reports the bad byte
    root = None if single else scratch
    return _load_side(ref, root, tuple(entries), texts=texts)


def empty_side(label: str, root: Path) -> PolicySide:
    """A side with no policy files (a folder that does not exist there)."""
    return PolicySide(label, root, (), (), ())


def _repo_relative(repo: Repo, path: Path, cwd: Path) -> str:
    absolute = (cwd / path).resolve() if not path.is_absolute() else path.resolve()
    try:
        inside = absolute.relative_to(repo.root.resolve())
    except ValueError:
        raise InputError(f"{path}: outside the git repository at {repo.root}") from None
    text = inside.as_posix()
    return "" if text == "." else text


def _cwd_relative(repo: Repo, name: str) -> str:
    return name.removeprefix(repo.prefix) if repo.prefix and name.startswith(repo.prefix) else name


def _policy_files(folder: Path) -> Iterator[Path]:
    return iter(sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))


def _load_side(
    label: str, root: Path | None, entries: tuple[PolicyEntry, ...], *, texts: dict[str, str | None] | None
) -> PolicySide:
    loaded: list[tuple[PolicyEntry, LoadedPolicy]] = []
    failures: list[LoadFailure] = []
    for entry in entries:
        text = texts.get(entry.key) if texts is not None else None
        try:
            # A git copy is parsed from its text so messages name it REF:path; one that is not
            # UTF-8 is read from its copy, and the loader's message is renamed below.
            policy = load_policy(entry.path) if text is None else load_policy(entry.shown, text)
        except SourceError as exc:
            renamed = SourceError(entry.shown, exc.line, exc.col, exc.field, exc.problem)
            failures.append(LoadFailure.from_error(entry.shown, renamed))
            continue
        except InputError as exc:
            message = exc.message.replace(str(entry.path), entry.shown)
            failures.append(LoadFailure.from_error(entry.shown, InputError(message)))
            continue
        loaded.append((entry, policy))
    return PolicySide(label, root, entries, tuple(loaded), tuple(failures))
