"""YAML/JSON documents that remember where every value came from.

pydantic knows field paths, not line numbers. We compose the YAML into nodes,
record the position of every mapping key and value by its path, and translate a
pydantic ``ValidationError`` back into a ``SourceError`` that names
``file:line:col: field: message``. Every user-written config file (policy,
scenario, catalog, overrides) goes through :func:`load_document` and
:func:`parse_model`, so the error style is the same everywhere.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import stat
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from orcli.errors import InputError, SourceError

PathPart = str | int
Loc = tuple[PathPart, ...]
M = TypeVar("M", bound=BaseModel)

# What each regex of the config models means, for error messages (see ``described``).
PATTERN_MEANINGS: dict[str, str] = {}


def described(pattern: str, meaning: str) -> str:
    """Register a regex with a plain description, so a mismatch says what was expected."""
    PATTERN_MEANINGS[pattern] = meaning
    return pattern


# Far beyond any real config file; bounds the work a hostile file can ask for.
MAX_VALUES = 100_000


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    col: int  # 1-based


@dataclass(frozen=True)
class Document:
    """Plain data read from a file, plus the position of each value by its path."""

    path: str
    data: Any
    positions: Mapping[Loc, Position] = field(default_factory=dict)
    # Positions of mapping *keys*, used to point at an unknown key itself.
    key_positions: Mapping[Loc, Position] = field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """Position of ``loc``, or of its nearest located ancestor."""
        probe = tuple(loc)
        while True:
            if key and probe in self.key_positions:
                return self.key_positions[probe]
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]

    def error(self, loc: Loc, problem: str, *, key: bool = False) -> SourceError:
        pos = self.position(loc, key=key)
        return SourceError(self.path, pos.line, pos.col, format_loc(loc), problem)


def format_loc(loc: Sequence[PathPart]) -> str:
    """``("workflows", "chat", "models", "fallbacks", 1)`` -> ``workflows.chat.models.fallbacks[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part or not part.isprintable():
            out += f"[{json.dumps(part)}]"  # an empty key or one with a newline: keep the message one line
        else:
            out += f".{part}" if out else str(part)
    return out


def _mark(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Composer:
    def __init__(self, path: str, loader: yaml.SafeLoader | yaml.CSafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.positions: dict[Loc, Position] = {}
        self.key_positions: dict[Loc, Position] = {}
        self.values = 0

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.positions[loc] = _mark(node)
        self.values += 1
        if self.values > MAX_VALUES:
            # Aliases are expanded value by value: a few nested anchors can stand for billions.
            top = loc[:1]
            pos = self.positions.get(top, _mark(node))
            problem = f"more than {MAX_VALUES:,} values (aliases expanded)"
            raise SourceError(self.path, pos.line, pos.col, format_loc(top), problem)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise SourceError(self.path, *_pos(key_node), format_loc(loc), "mapping keys must be plain scalars")
                # A config key is a name: keep it as written. (YAML 1.1 would read `on`, `off`, `yes`
                # and `no` as booleans, so `retry.on` would become `retry.true`; `1.0` would lose its
                # spelling; a date key would become a date.)
                key = str(key_node.value)
                if key in result:
                    first = self.key_positions[(*loc, key)]
                    raise SourceError(
                        self.path,
                        *_pos(key_node),
                        format_loc((*loc, key)),
                        f"duplicate key (first at line {first.line})",
                    )
                self.key_positions[(*loc, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*loc, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            # Plain scalars that look typed but cannot be built: an integer beyond Python's
            # 4,300-digit limit, an impossible date such as 2024-13-45.
            kind = node.tag.rsplit(":", 1)[-1]
            raise SourceError(self.path, *_pos(node), format_loc(loc), f"cannot read this value as {kind}") from None


def _pos(node: yaml.Node) -> tuple[int, int]:
    p = _mark(node)
    return p.line, p.col


# libyaml, when PyYAML has it, reads a document about ten times faster than the pure-Python
# loader; a document it cannot read is read again by the pure-Python one, so every message
# and position is the same with or without it.
_FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def load_document(path: str | Path, text: str | None = None) -> Document:
    """Read ``path`` (YAML or JSON) into a :class:`Document`.

    Raises ``InputError``/``SourceError`` for unreadable files and syntax errors;
    never lets a ``yaml.YAMLError`` or ``UnicodeDecodeError`` escape.
    """
    shown = str(path)
    if text is None:
        raw = read_file_bytes(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = _line_col(raw, exc.start)
            raise SourceError(shown, line, col, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    if "\x00" in text:
        raise SourceError(shown, *_line_col(text, text.index("\x00")), "", "not a text file (contains NUL bytes)")
    if _FAST_LOADER is not None:
        fast = _FAST_LOADER(text)
        try:
            node = fast.get_single_node()
            if node is None:
                return Document(shown, None, {(): Position(1, 1)})
            fast_composer = _Composer(shown, fast)
            data = fast_composer.build(node, ())
            return Document(shown, data, fast_composer.positions, fast_composer.key_positions)
        except (yaml.YAMLError, RecursionError):
            pass  # the pure-Python loader below says what is wrong, in its own words and positions
        finally:
            fast.dispose()
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # the reader refuses control characters right here
        node = loader.get_single_node()
        if node is None:
            return Document(shown, None, {(): Position(1, 1)})
        composer = _Composer(shown, loader)
        data = composer.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(shown, exc) from None
    except yaml.reader.ReaderError as exc:  # control characters the YAML reader refuses
        line, col = _line_col(text, exc.position)
        raise SourceError(shown, line, col, "", f"character #x{exc.character:04x} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise SourceError(shown, 1, 1, "", f"YAML error: {_one_line(str(exc))}") from None
    except RecursionError:
        raise SourceError(shown, 1, 1, "", "document nests too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(shown, data, composer.positions, composer.key_positions)


def shown_path(path: str | Path) -> str:
    """A path for a one-line message: whole unless absurdly long (then its start and its length)."""
    text = str(path)
    return text if len(text) <= 160 else f"{text[:80]}... ({len(text):,} characters)"


def path_kind(path: str | Path) -> str:
    """``"file"``, ``"folder"``, ``"missing"`` or ``"other"`` (a FIFO, a socket, a device).

    Unlike ``Path.exists``, a path the system refuses to look up (too long, a loop of links,
    no permission on a folder on the way) is an InputError naming it, never an OSError."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError as exc:
        raise InputError(f"{shown_path(path)}: cannot open: {exc.strerror or type(exc).__name__}") from None
    except ValueError:  # a NUL byte in the path
        raise InputError(f"{shown_path(path)!r}: not a usable path (contains a NUL byte)") from None
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def read_file_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file; anything else (missing, a folder, a FIFO that would block
    forever, unreadable) is an InputError naming the path."""
    shown = shown_path(path)
    kind = path_kind(path)
    if kind == "missing":
        raise InputError(f"{shown}: no such file")
    if kind == "folder":
        raise InputError(f"{shown}: is a directory, expected a file")
    if kind == "other":
        raise InputError(f"{shown}: not a regular file (a pipe, socket or device); expected a file")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or type(exc).__name__}") from None


def _syntax_error(path: str, exc: yaml.MarkedYAMLError) -> SourceError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem and problem.startswith("but "):
        problem = f"{exc.context}, {problem}"  # "expected a single document ..., but found another document"
    elif exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        # The problem shows up far from its cause (an unclosed quote or bracket): say where it began.
        start = exc.context_mark
        problem = f"{problem} ({exc.context} at {start.line + 1}:{start.column + 1})"
    if "'\\t'" in problem:
        problem += "; indent with spaces, not tabs"
    return SourceError(path, line, col, "", f"YAML syntax error: {problem}")


def _line_col(text: str | bytes, index: int) -> tuple[int, int]:
    """1-based line and column of ``index`` in ``text``."""
    newline: Any = b"\n" if isinstance(text, bytes) else "\n"
    line = text.count(newline, 0, index) + 1
    return line, index - (text.rfind(newline, 0, index) + 1) + 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_model(doc: Document, model: type[M], *, context: Mapping[str, Any] | None = None) -> M:
    """Validate ``doc.data`` into ``model``; the first problem becomes a ``SourceError``."""
    where = non_finite(doc.data)  # YAML's .nan and .inf, before a range check words them oddly
    if where is not None:
        raise doc.error(where, "not a finite number (NaN and infinities are not allowed)")
    try:
        parsed = model.model_validate(doc.data, context=dict(context or {}))
    except ValidationError as exc:
        raise _translate(doc, model, exc) from None
    where = non_finite(parsed)
    if where is not None:
        raise doc.error(where, "not a finite number (NaN and infinities are not allowed)")
    return parsed


def non_finite(value: Any, loc: Loc = ()) -> Loc | None:
    """Where a parsed value holds NaN or an infinity, if anywhere.

    YAML reads ``1e400`` as a string and pydantic turns that into ``inf``; ``.nan`` and
    ``.inf`` are YAML floats. No config value means either, and every comparison with NaN
    is false, so a window ``start_s: .nan`` would silently never open: refuse them all."""
    if isinstance(value, float):
        return None if math.isfinite(value) else loc
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            found = non_finite(getattr(value, name), (*loc, info.alias or name))
            if found is not None:
                return found
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found = non_finite(item, (*loc, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = non_finite(item, (*loc, i))
            if found is not None:
                return found
    return None


def _translate(doc: Document, root: type[BaseModel], exc: ValidationError) -> SourceError:
    loc, problem, key = explain_error(doc.data, root, exc)
    return doc.error(loc, problem, key=key)


def explain_error(data: Any, root: Any, exc: ValidationError) -> tuple[Loc, str, bool]:
    """The first problem of ``exc`` in the file's own terms: where it is in ``data``, what is
    wrong (with a did-you-mean for unknown keys and tags), and whether it is about a key
    rather than a value. ``root`` is the model (or list type) ``data`` was validated as."""
    errors = exc.errors(include_url=False)
    # An unknown key is usually the cause of a "missing" one (a typo): report it first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    kind = err["type"]
    if kind == "union_tag_invalid":
        return _unknown_tag(data, tuple(err["loc"]), err.get("ctx") or {})
    if kind == "union_tag_not_found":
        field = str((err.get("ctx") or {}).get("discriminator", "kind")).strip("'")
        return _data_loc(data, tuple(err["loc"])), f"required key '{field}' is missing", False
    loc = _data_loc(data, tuple(err["loc"]), absent_key=kind in ("missing", "extra_forbidden"))
    if kind == "extra_forbidden" and loc:
        return loc, f"unknown key{unknown_key_hint(root, loc)}", True
    if kind == "missing":
        return (
            (loc[:-1], f"required key '{loc[-1]}' is missing", False)
            if loc
            else (loc, "required value is missing", False)
        )
    return loc, _problem(kind, err["msg"], err.get("ctx") or {}, err.get("input")), False


def unknown_key_hint(root: Any, loc: Loc) -> str:
    """What to say about the unknown key at the end of ``loc``: a close spelling at the same
    level, else the sibling or parent section where the key is valid, else the valid keys."""
    unknown, parent = str(loc[-1]), loc[:-1]
    allowed = _allowed_keys(root, parent)
    close = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    home = _home_of(root, parent, unknown, allowed)
    if home is not None:
        return f"; did you mean under `{home}:`?" if home else "; did you mean at the top level?"
    return f"; expected one of: {', '.join(allowed)}" if allowed else ""


def _home_of(root: Any, parent: Loc, key: str, siblings: Sequence[str]) -> str | None:
    """The section that accepts ``key``, nearest first: a section beside it (``needs`` for a
    ``streaming`` written at the workflow level), the enclosing section, a section beside
    that one (``timeouts`` for a ``total_s`` written under ``retry``), and so on up.
    ``""`` is the top level."""
    level: Loc = parent
    while True:
        if level != parent and key in _allowed_keys(root, level):
            return format_loc(level)
        for section in siblings if level == parent else _allowed_keys(root, level):
            for inner in ((*level, section), (*level, section, 0)):  # a section, or a list of them
                if key in _allowed_keys(root, inner):
                    return format_loc((*level, section)) if level != parent else section
        if not level:
            return None
        level = level[:-1]
        while level and isinstance(level[-1], int):
            level = level[:-1]  # a list item is not a section of its own


def _unknown_tag(data: Any, loc: Loc, ctx: Mapping[str, Any]) -> tuple[Loc, str, bool]:
    """A discriminated union's tag (e.g. a fault's ``kind``) that names no member."""
    field = str(ctx.get("discriminator", "")).strip("'") or "kind"
    tag = str(ctx.get("tag", ""))
    expected = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
    close = difflib.get_close_matches(tag, expected, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(expected)}"
    return _data_loc(data, (*loc, field)), f"unknown {field} '{tag}'; {hint}", False


# Plain-language names of YAML values, for "expected a mapping, got a list".
_KINDS = {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}


def _kind(value: Any) -> str:
    return "nothing" if value is None else _KINDS.get(type(value), type(value).__name__)


def _problem(kind: str, message: str, ctx: Mapping[str, Any], value: Any) -> str:
    """pydantic's message, reworded where it speaks of Python rather than of the file."""
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping (key: value lines), got {_kind(value)}"
    if kind in ("list_type", "tuple_type", "frozen_set_type", "set_type"):
        return f"expected a list, got {_kind(value)}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_MEANINGS:
        # The input is left out on purpose: a mistyped field may hold a secret.
        return f"expected {PATTERN_MEANINGS[ctx['pattern']]}"
    message = message.removeprefix("Value error, ").replace(" after validation", "").replace("Dictionary", "Mapping")
    return message[:1].lower() + message[1:]


def _data_loc(data: Any, loc: Loc, *, absent_key: bool = True) -> Loc:
    """Drop pydantic's synthetic loc parts (union tags, validator names) that are not in the data.

    ``absent_key``: the error is about a key that is missing or unknown, so the last part is a
    data key even though the data lacks it (it is always the last part)."""
    out: list[PathPart] = []
    cur = data
    for i, part in enumerate(loc):
        if isinstance(cur, Mapping) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif absent_key and isinstance(cur, Mapping) and isinstance(part, str) and i == len(loc) - 1:
            # A missing key or an unknown key (always the last part): part of the data path.
            # Earlier parts not in the data are union tags (e.g. a fault's kind), skipped.
            out.append(part)
            cur = None
    return tuple(out)


def _allowed_keys(root: Any, loc: Loc) -> list[str]:
    """The keys the model accepts at ``loc`` (for did-you-mean hints)."""
    candidates: list[Any] = [root]
    for part in loc:
        nxt: list[Any] = []
        for tp in candidates:
            for inner in _unwrap(tp):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and isinstance(part, str):
                    for name, info in inner.model_fields.items():
                        if part in (name, info.alias):
                            nxt.append(info.annotation)
                elif typing.get_origin(inner) in (dict, Mapping):
                    args = typing.get_args(inner)
                    if len(args) == 2:
                        nxt.append(args[1])
                elif typing.get_origin(inner) in (list, tuple, Sequence, frozenset) and isinstance(part, int):
                    args = typing.get_args(inner)
                    if args:
                        nxt.append(args[0])
        candidates = nxt
    keys: list[str] = []
    for tp in candidates:
        for inner in _unwrap(tp):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                keys.extend(info.alias or name for name, info in inner.model_fields.items())
    return sorted(set(keys))


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


# Top-level keys only one kind of file has: enough to tell a policy from a scenario when
# the wrong one is handed to a command.
# A scenario has a ``workflows:`` list too, so its own keys are looked for first.
_KIND_KEYS = {"scenario": ("traffic", "expect", "policy"), "policy": ("workflows",), "faults": ("faults",)}


def sniff_kind(data: Any) -> str | None:
    """``"policy"``, ``"scenario"`` or ``"faults"`` from a document's top-level keys, if they say."""
    if not isinstance(data, Mapping):
        return None
    for kind, keys in _KIND_KEYS.items():
        if kind == "faults" and len(data) != 1:
            continue  # a scenario has faults too: a faults file has nothing else
        if any(key in data for key in keys):
            return kind
    return None


def wrong_kind(doc: Document, expected: str, hint: str = "") -> SourceError | None:
    """An error when ``doc`` is plainly another kind of file than ``expected``, else None."""
    found = sniff_kind(doc.data)
    if found is None or found == expected:
        return None
    return doc.error((), f"this is a {found} file, not a {expected} file{hint}")


def parse_kind(document: Document, model: type[M], kind: str, keys: str, elsewhere: str) -> M:
    """``document`` as a ``kind`` file. An empty file (what it should hold: ``keys``) or a file
    of another kind (where it belongs: ``elsewhere``) is refused before the fields are read."""
    if document.data is None:
        raise document.error((), f"empty {kind} file: expected {keys}")
    mistaken = wrong_kind(document, kind, elsewhere)
    if mistaken is not None:
        raise mistaken
    return parse_model(document, model)


YAML_SUFFIXES = (".yaml", ".yml")


def expand_files(paths: Iterable[str | Path], *, kind: str, recursive: bool) -> list[Path]:
    """Files named directly, plus the YAML files in each folder named (sorted; ``recursive``
    descends into sub-folders). A folder without any, or a missing path, is an InputError."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        kind_of = path_kind(path)
        if kind_of == "folder":
            pattern = path.rglob("*") if recursive else path.glob("*")
            files = sorted(p for p in pattern if p.suffix in YAML_SUFFIXES and path_kind(p) == "file")
            if not files:
                raise InputError(f"{shown_path(path)}: no {kind} files (*.yaml, *.yml) in this folder")
            found.extend(files)
        elif kind_of == "missing":
            raise InputError(f"{shown_path(path)}: no such file or folder")
        else:
            found.append(path)  # a FIFO or device too: reading it says what is wrong
    return found
