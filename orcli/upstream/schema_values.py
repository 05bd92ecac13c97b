"""JSON Schema instances: values valid against a schema, and values that deliberately are not.

Tool-call arguments and structured output are generated from the schema the request
offers, so a healthy answer always validates; fault injection uses :func:`violate` to
produce the schema mismatches real models emit.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any, TypeGuard

from orcli.upstream.words import WORDS

_MAX_DEPTH = 12


def instance(schema: Any, rng: random.Random) -> Any:
    """A value valid against ``schema`` (the common subset: type, enum, const, properties,
    required, additionalProperties, items/prefixItems, min/max bounds, multipleOf, lengths,
    formats, allOf/anyOf/oneOf, local ``$ref``). ``pattern`` is met only for simple patterns."""
    return _Generator(schema, rng).make(schema, 0)


class _Generator:
    def __init__(self, root: Any, rng: random.Random) -> None:
        self.root = root
        self.rng = rng

    def make(self, schema: Any, depth: int) -> Any:
        if schema is True or not isinstance(schema, dict):
            return self._word()
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][self.rng.randrange(len(schema["enum"]))]
        if isinstance(schema.get("allOf"), list):
            return self.make(self._merge(schema), depth)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                # Prefer a non-null branch; for oneOf the first one is the least ambiguous.
                branches = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")] or options
                pick = branches[0] if key == "oneOf" else branches[self.rng.randrange(len(branches))]
                base = {k: v for k, v in schema.items() if k != key}
                return self.make({**base, **pick} if isinstance(pick, dict) else pick, depth)
        kind = self._type(schema)
        if depth > _MAX_DEPTH:
            return _shallow(kind)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < 32:
            target: Any = self.root
            ref = schema["$ref"]
            if not ref.startswith("#"):
                return {k: v for k, v in schema.items() if k != "$ref"}
            for part in [p for p in ref[1:].split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
            seen += 1
        return schema

    def _merge(self, schema: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if not isinstance(part, dict):
                continue
            part = self._resolve(part)
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = sorted({*merged.get("required", []), *value})
                else:
                    merged.setdefault(key, value)
        return merged

    def _type(self, schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            concrete = [k for k in kind if k != "null"]
            kind = concrete[0] if concrete else "null"
        if isinstance(kind, str):
            return kind
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return "number"
        return "string"

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = _dict(schema.get("properties"))
        out = {name: self.make(sub, depth + 1) for name, sub in props.items()}
        required: list[Any] = _list(schema.get("required"))
        extra = schema.get("additionalProperties", True)
        for name in required:
            if isinstance(name, str) and name not in out:
                out[name] = self.make(extra if isinstance(extra, dict) else True, depth + 1)
        minimum = schema.get("minProperties")
        if isinstance(minimum, int) and extra is not False:
            n = 1
            while len(out) < minimum:
                out.setdefault(f"key{n}", self.make(extra if isinstance(extra, dict) else True, depth + 1))
                n += 1
        return out

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        lo = _int(schema.get("minItems"), 0)
        hi = _int(schema.get("maxItems"), max(lo, 3))
        prefix: list[Any] = _list(schema.get("prefixItems"))
        items = schema.get("items", True)
        if isinstance(items, list):  # draft-4 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        count = max(lo, min(hi, self.rng.randint(1, 3), len(prefix) if items is False else hi))
        out: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            value = self.make(sub, depth + 1)
            if schema.get("uniqueItems") is True:
                for _ in range(8):
                    if value not in out:
                        break
                    value = self.make(sub, depth + 1)
                if value in out:
                    break
            out.append(value)
        return out

    def _bounds(self, schema: dict[str, Any], step: float) -> tuple[float, float]:
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        ex_lo = schema.get("exclusiveMinimum")
        ex_hi = schema.get("exclusiveMaximum")
        low = float(lo) if _num(lo) else None
        high = float(hi) if _num(hi) else None
        if _num(ex_lo):
            low = max(low, float(ex_lo) + step) if low is not None else float(ex_lo) + step
        elif ex_lo is True and low is not None:  # draft 4: boolean modifier
            low += step
        if _num(ex_hi):
            high = min(high, float(ex_hi) - step) if high is not None else float(ex_hi) - step
        elif ex_hi is True and high is not None:
            high -= step
        if low is None and high is None:
            low, high = 1.0, 100.0
        elif low is None:
            assert high is not None
            low = min(high, 0.0) if high >= 0 else high - 100
        elif high is None:
            high = low + 100
        return low, max(low, high)

    def _integer(self, schema: dict[str, Any]) -> int:
        low, high = self._bounds(schema, 1)
        lo, hi = int(-(-low // 1)), int(high // 1)
        value = self.rng.randint(lo, max(lo, hi))
        step = schema.get("multipleOf")
        if _num(step) and step > 0 and float(step).is_integer():
            m = int(step)
            value = -(-value // m) * m
            if value > hi:
                value -= m
        return value

    def _number(self, schema: dict[str, Any]) -> float | int:
        step = schema.get("multipleOf")
        if _num(step) and step > 0:
            low, high = self._bounds(schema, 1e-9)
            k_lo = int(-(-low // step))
            k_hi = int(high // step)
            k = self.rng.randint(k_lo, max(k_lo, k_hi))
            value = k * step
            return int(value) if float(value).is_integer() else round(value, 10)
        low, high = self._bounds(schema, 0.01)
        return round(self.rng.uniform(low, high), 2) if high > low else low

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        value = _formatted(fmt, self.rng) if isinstance(fmt, str) else None
        if value is None:
            value = self._word()
            pattern = schema.get("pattern")
            if isinstance(pattern, str):
                value = _matching(pattern, value)
        lo = _int(schema.get("minLength"), 0)
        hi = _int(schema.get("maxLength"), max(lo, len(value)))
        if len(value) < lo:
            value += "x" * (lo - len(value))
        return value[: max(lo, hi)]

    def _word(self) -> str:
        return " ".join(WORDS[self.rng.randrange(len(WORDS))] for _ in range(self.rng.randint(1, 3)))


def _num(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _shallow(kind: str) -> Any:
    return {"object": {}, "array": [], "integer": 0, "number": 0, "boolean": False, "null": None}.get(kind, "")


def _formatted(fmt: str, rng: random.Random) -> str | None:
    day = rng.randint(1, 28)
    if fmt == "date-time":
        return f"2026-01-{day:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    if fmt == "date":
        return f"2026-01-{day:02d}"
    if fmt == "time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
    if fmt == "email":
        return f"{WORDS[rng.randrange(len(WORDS))]}@example.com"
    if fmt in ("uri", "url", "iri"):
        return f"https://example.com/{WORDS[rng.randrange(len(WORDS))]}"
    if fmt in ("hostname", "idn-hostname"):
        return f"{WORDS[rng.randrange(len(WORDS))]}.example.com"
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt == "ipv4":
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if fmt == "ipv6":
        return f"fd00::{rng.randint(1, 0xFFFF):x}"
    return None


_PATTERN_CANDIDATES = ("abc", "ABC", "a1", "123", "A1", "2026-01-01", "x", "0", "abc-123", "ABC-123", "a_b")


def _matching(pattern: str, fallback: str) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error:
        return fallback
    if compiled.search(fallback):
        return fallback
    return next((c for c in _PATTERN_CANDIDATES if compiled.search(c)), fallback)


def violate(value: Any, schema: Any) -> Any:
    """A value that fails ``schema``: a required key dropped, else a property of the wrong type,
    else a non-object where an object was expected."""
    if isinstance(schema, dict) and isinstance(value, dict):
        required = schema.get("required")
        if isinstance(required, list) and required and required[0] in value:
            return {k: v for k, v in value.items() if k != required[0]}
        props = schema.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                wrong = _wrong_value(sub)
                if wrong is not None:
                    return {**value, name: wrong}
    return ["not", "an", "object"]


_WRONG_FOR_TYPE: dict[str, Any] = {
    "string": 12345,
    "integer": "NaN",
    "number": "NaN",
    "boolean": "maybe",
    "array": "not-an-array",
    "object": "not-an-object",
    "null": "not-null",
}


def _wrong_value(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("enum"), list):
        return "__not_in_enum__"
    kind = schema.get("type")
    return _WRONG_FOR_TYPE.get(kind) if isinstance(kind, str) else None
