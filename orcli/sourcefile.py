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
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from orcli.errors import InputError, SourceError

PathPart = str | int
Loc = tuple[PathPart, ...]
M = TypeVar("M", bound=BaseModel)


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

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.positions[loc] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool) or key is None:
                    raise SourceError(self.path, *_pos(key_node), format_loc(loc), "mapping keys must be plain scalars")
                if isinstance(key, bool | float):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                if key in result:
                    raise SourceError(self.path, *_pos(key_node), format_loc((*loc, key)), "duplicate key")
                self.key_positions[(*loc, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*loc, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


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
            raise SourceError(shown, 1, 1, "", f"not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise SourceError(shown, 1, 1, "", "not a text file (contains NUL bytes)")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(shown, None, {(): Position(1, 1)})
        composer = _Composer(shown, loader)
        data = composer.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise SourceError(shown, line, col, "", f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise SourceError(shown, 1, 1, "", f"YAML error: {_one_line(str(exc))}") from None
    except RecursionError:
        raise SourceError(shown, 1, 1, "", "document nests too deeply") from None
    finally:
        loader.dispose()
    return Document(shown, data, composer.positions, composer.key_positions)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_model(doc: Document, model: type[M], *, context: Mapping[str, Any] | None = None) -> M:
    """Validate ``doc.data`` into ``model``; the first problem becomes a ``SourceError``."""
    try:
        return model.model_validate(doc.data, context=dict(context or {}))
    except ValidationError as exc:
        raise _translate(doc, model, exc) from None


def _translate(doc: Document, root: type[BaseModel], exc: ValidationError) -> SourceError:
    err = exc.errors(include_url=False)[0]
    kind = err["type"]
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
    message = err["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    message = message[:1].lower() + message[1:]
    return doc.error(loc, message)


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
