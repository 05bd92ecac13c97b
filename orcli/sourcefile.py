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
    def __init__(self, path: str, loader: yaml.SafeLoader) -> None:
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


def load_document(path: str | Path, text: str | None = None) -> Document:
    """Read ``path`` (YAML or JSON) into a :class:`Document`.

    Raises ``InputError``/``SourceError`` for unreadable files and syntax errors;
    never lets a ``yaml.YAMLError`` or ``UnicodeDecodeError`` escape.
    """
    shown = str(path)
    if text is None:
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{shown}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{shown}: is a directory, expected a file") from None
        except OSError as exc:
            raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = _line_col(raw, exc.start)
            raise SourceError(shown, line, col, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    if "\x00" in text:
        raise SourceError(shown, *_line_col(text, text.index("\x00")), "", "not a text file (contains NUL bytes)")
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
    try:
        return model.model_validate(doc.data, context=dict(context or {}))
    except ValidationError as exc:
        raise _translate(doc, model, exc) from None


def _translate(doc: Document, root: type[BaseModel], exc: ValidationError) -> SourceError:
    errors = exc.errors(include_url=False)
    # An unknown key is usually the cause of a "missing" one (a typo): report it first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    kind = err["type"]
    if kind == "union_tag_invalid":
        return _unknown_tag(doc, tuple(err["loc"]), err.get("ctx") or {})
    if kind == "union_tag_not_found":
        field = str((err.get("ctx") or {}).get("discriminator", "kind")).strip("'")
        return doc.error(_data_loc(doc.data, tuple(err["loc"])), f"required key '{field}' is missing")
    loc = _data_loc(doc.data, tuple(err["loc"]), absent_key=kind in ("missing", "extra_forbidden"))
    if kind == "extra_forbidden" and loc:
        unknown = loc[-1]
        allowed = _allowed_keys(root, loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(str(unknown), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(sorted(allowed))}"
        return doc.error(loc, f"unknown key{hint}", key=True)
    if kind == "missing":
        return (
            doc.error(loc[:-1], f"required key '{loc[-1]}' is missing")
            if loc
            else doc.error(loc, "required value is missing")
        )
    return doc.error(loc, _problem(kind, err["msg"], err.get("ctx") or {}, err.get("input")))


def _unknown_tag(doc: Document, loc: Loc, ctx: Mapping[str, Any]) -> SourceError:
    """A discriminated union's tag (e.g. a fault's ``kind``) that names no member."""
    field = str(ctx.get("discriminator", "")).strip("'") or "kind"
    tag = str(ctx.get("tag", ""))
    expected = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
    close = difflib.get_close_matches(tag, expected, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(expected)}"
    where = _data_loc(doc.data, (*loc, field))
    return doc.error(where, f"unknown {field} '{tag}'; {hint}")


# Plain-language names of YAML values, for "expected a mapping, got a list".
_KINDS = {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}


def _kind(value: Any) -> str:
    return "nothing" if value is None else _KINDS.get(type(value), type(value).__name__)


def _problem(kind: str, message: str, ctx: Mapping[str, Any], value: Any) -> str:
    """pydantic's message, reworded where it speaks of Python rather than of the file."""
    if kind in ("model_type", "dict_type"):
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


def _allowed_keys(root: type[BaseModel], loc: Loc) -> list[str]:
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


YAML_SUFFIXES = (".yaml", ".yml")


def expand_files(paths: Iterable[str | Path], *, kind: str, recursive: bool) -> list[Path]:
    """Files named directly, plus the YAML files in each folder named (sorted; ``recursive``
    descends into sub-folders). A folder without any, or a missing path, is an InputError."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            pattern = path.rglob("*") if recursive else path.glob("*")
            files = sorted(p for p in pattern if p.suffix in YAML_SUFFIXES and p.is_file())
            if not files:
                raise InputError(f"{path}: no {kind} files (*.yaml, *.yml) in this folder")
            found.extend(files)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found
