"""The traffic log: one JSON line per logical chat request, its shape and nothing else.

A line holds when the request arrived, its workflow and request kind, prompt and answer
sizes in tokens, whether it streamed, offered tools or asked for a JSON schema, a hash of
its conversation, whether it was answered, and the sampling rate it was written under. No
message content and never a key: the log can leave the machine that wrote it. The format
is documented in ``docs/traffic-log.md``; :data:`FORMAT` changes when a field changes meaning.

The conversation hash is OpenRouter's sticky-routing key: a hash of the first system and the
first non-system message, or the request's ``session_id`` / ``prompt_cache_key`` when it has
one. Two requests of one conversation share it; nothing of the text can be read back from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orcli.errors import InputError

FORMAT = 1
CONVERSATION_HASH_CHARS = 16


@dataclass(frozen=True, slots=True)
class TrafficEntry:
    t: float  # arrival, seconds on the writer's clock (epoch seconds for an app)
    workflow: str
    kind: str | None  # the caller's label for the request (``chat(kind=...)``), when it gave one
    prompt_tokens: int | None
    answer_tokens: int | None  # None: no answer
    stream: bool
    tools: bool
    schema: bool
    conversation: str | None
    ok: bool
    sample: float = 1.0  # the share of requests the writer kept

    def line(self) -> str:
        return json.dumps({"v": FORMAT, **asdict(self)}, separators=(",", ":"), sort_keys=False)


def conversation_key(messages: Sequence[Any], body: Mapping[str, Any]) -> str | None:
    """The sticky-routing key of a request, hashed; None when it has no message to key on."""
    for field in ("session_id", "prompt_cache_key"):
        value = body.get(field)
        if isinstance(value, str) and value:
            return _digest(f"{field}:{value}")
    system = next((m for m in messages if isinstance(m, Mapping) and m.get("role") == "system"), None)
    other = next((m for m in messages if isinstance(m, Mapping) and m.get("role") != "system"), None)
    if other is None:
        return None
    parts = [_content(system), _content(other)]
    return _digest(json.dumps(parts, separators=(",", ":"), ensure_ascii=False, default=str))


def _content(message: Mapping[str, Any] | None) -> Any:
    return None if message is None else message.get("content")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:CONVERSATION_HASH_CHARS]


def write_log(entries: Iterable[TrafficEntry], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for entry in entries:
            out.write(entry.line() + "\n")


def read_log(path: Path) -> tuple[TrafficEntry, ...]:
    """Every entry of a traffic log, in arrival order. A bad line is an error naming ``file:line``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: traffic log not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the traffic log ({type(exc).__name__})") from None
    entries = list(_entries(path, text.splitlines()))
    if not entries:
        raise InputError(f"{path}: the traffic log has no requests")
    return tuple(sorted(entries, key=lambda e: e.t))


def _entries(path: Path, lines: list[str]) -> Iterator[TrafficEntry]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(raw)
        except ValueError:
            raise InputError(f"{where}: not a JSON object (a traffic log has one per line)") from None
        if not isinstance(data, dict):
            raise InputError(f"{where}: not a JSON object (a traffic log has one per line)")
        yield _entry(where, data)


def _entry(where: str, data: dict[str, Any]) -> TrafficEntry:
    version = data.get("v")
    if version != FORMAT:
        raise InputError(f"{where}: v: format {version!r} is not one this orcli reads (expected {FORMAT})")
    t = _field(where, data, "t", (int, float))
    workflow = _field(where, data, "workflow", (str,))
    kind = _field(where, data, "kind", (str,), optional=True)
    prompt = _field(where, data, "prompt_tokens", (int,), optional=True)
    answer = _field(where, data, "answer_tokens", (int,), optional=True)
    sample = _field(where, data, "sample", (int, float), optional=True)
    for name, value in (("prompt_tokens", prompt), ("answer_tokens", answer)):
        if value is not None and value < 0:
            raise InputError(f"{where}: {name}: must be at least 0, got {value}")
    if sample is not None and not 0 < sample <= 1:
        raise InputError(f"{where}: sample: must be in (0, 1], got {sample}")
    return TrafficEntry(
        t=float(t),
        workflow=workflow,
        kind=kind,
        prompt_tokens=prompt,
        answer_tokens=answer,
        stream=_flag(where, data, "stream"),
        tools=_flag(where, data, "tools"),
        schema=_flag(where, data, "schema"),
        conversation=_field(where, data, "conversation", (str,), optional=True),
        ok=_flag(where, data, "ok", default=True),
        sample=1.0 if sample is None else float(sample),
    )


def _field(where: str, data: dict[str, Any], name: str, types: tuple[type, ...], *, optional: bool = False) -> Any:
    value = data.get(name)
    if value is None:
        if optional:
            return None
        raise InputError(f"{where}: {name}: required field is missing")
    if isinstance(value, bool) or not isinstance(value, types):
        wanted = " or ".join("a number" if t in (int, float) else "a string" for t in types[:1])
        raise InputError(f"{where}: {name}: expected {wanted}, got {json.dumps(value)}")
    return value


def _flag(where: str, data: dict[str, Any], name: str, *, default: bool = False) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise InputError(f"{where}: {name}: expected true or false, got {json.dumps(value)}")
    return value
