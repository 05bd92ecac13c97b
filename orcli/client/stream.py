"""Server-sent events in, one chat completion out; and the clocks a stream must beat.

:class:`SseAssembler` is fed decoded lines. It skips ``:`` comments (OpenRouter's
``: OPENROUTER PROCESSING`` keep-alives), takes each ``data:`` line as one event
(OpenRouter sends one line per event), merges ``chat.completion.chunk`` deltas
(content, reasoning, tool calls whose arguments come in pieces) into the shape of a
non-streamed completion, and remembers the things a complete stream must have: a
``finish_reason`` and the final ``data: [DONE]``. A stream whose finish reason arrived
holds the whole answer: a missing ``[DONE]`` after it is a protocol slip (kept as a
warning), not a cut, and the answer is used rather than thrown away.

:class:`StreamWatch` holds the per-stream limits: time to first token, the longest gap
between chunks, and the attempt's own deadline. The I/O loops (sync and async) ask it
after every line; with a virtual clock a late chunk is how a stall shows up.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orcli.client.classify import Failure, classify_error_object
from orcli.policy.model import ErrorClass

MISSING_DONE = "protocol: the stream ended after its finish_reason without data: [DONE]"


class SseLineSplitter:
    """Bytes in, SSE lines out (without their line ends).

    Lines end at CRLF, LF or CR, the three line ends of the SSE format, and nowhere else:
    httpx's ``iter_lines`` also breaks at U+2028, U+0085 and other Unicode line breaks,
    which JSON may carry unescaped inside a chunk's text. A CR at the end of one read is
    held back, as it may be the first half of a CRLF split across two reads.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def feed(self, data: bytes) -> list[str]:
        return self._split(self._pending + self._decoder.decode(data))

    def flush(self) -> list[str]:
        """The body ended: the last line, also when nothing terminated it."""
        lines = self._split(self._pending + self._decoder.decode(b"", final=True))
        last = self._pending.rstrip("\r")
        self._pending = ""
        return [*lines, last] if last else lines

    def _split(self, text: str) -> list[str]:
        held = ""
        if text.endswith("\r"):
            text, held = text[:-1], "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        self._pending = lines.pop() + held
        return lines


def take_lines(lines: Iterable[str], now: float, assembler: SseAssembler, watch: StreamWatch) -> bool:
    """Feed lines that arrived together at ``now``; True once the reader should stop (the
    stream said [DONE], or it failed)."""
    for line in lines:
        if assembler.feed(line):
            watch.on_event(now, assembler.got_token)
        if assembler.done or assembler.failure is not None:
            return True
    return False


@dataclass(slots=True)
class _ToolCallParts:
    id: str | None = None
    type: str = "function"
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class SseAssembler:
    """Reassembles an OpenRouter chat stream. Feed lines, then read :meth:`outcome`."""

    def __init__(self) -> None:
        self.done = False  # saw data: [DONE]
        self.got_token = False  # saw a chunk carrying content, reasoning or a tool call
        self.token_chunks = 0  # chunks that carried content, reasoning or a tool call
        self.events = 0
        self.failure: Failure | None = None  # an in-band error or a malformed chunk
        self._meta: dict[str, Any] = {}
        self._meta_missing = ["id", "model", "provider", "created", "system_fingerprint"]
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._tools: dict[int, _ToolCallParts] = {}
        self._role = "assistant"
        self._finish: str | None = None
        self._native_finish: str | None = None
        self._usage: dict[str, Any] | None = None
        self._extra: dict[str, Any] = {}

    def feed(self, line: str) -> bool:
        """Consume one line (without its newline). True when a whole event was handled.

        OpenRouter sends one ``data:`` line per event, so each is handled at once rather
        than at the blank line after it: a stream cut right after a chunk still counts it,
        and nothing is ever pending between lines."""
        if not line or line[0] == ":":
            return False  # the blank line closing an event, or a keep-alive comment
        if line.startswith("data:"):
            value = line[5:]
            return self._event(value[1:] if value[:1] == " " else value)
        if line == "data":
            return self._event("")
        return False  # event:, id:, retry: carry nothing for chat completions

    def _event(self, text: str) -> bool:
        self.events += 1
        if "[DONE]" in text and text.strip() == "[DONE]":
            self.done = True
            return True
        try:
            chunk = json.loads(text)
        except json.JSONDecodeError:
            self.failure = self.failure or Failure(
                ErrorClass.INVALID_RESPONSE, "malformed stream chunk (not JSON)", status=200
            )
            return True
        if not isinstance(chunk, dict):
            self.failure = self.failure or Failure(
                ErrorClass.INVALID_RESPONSE, "malformed stream chunk (not an object)", status=200
            )
            return True
        self._merge(chunk)
        return True

    def _merge(self, chunk: dict[str, Any]) -> None:
        # Called for every event of every stream: each field is looked up once.
        if self._meta_missing:  # the first chunk usually brings them all: later ones skip this
            for key in [key for key in self._meta_missing if key in chunk]:
                self._meta[key] = chunk[key]
                self._meta_missing.remove(key)
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage
        if "openrouter_metadata" in chunk:
            self._extra["openrouter_metadata"] = chunk["openrouter_metadata"]
        choices = chunk.get("choices")
        first = choices[0] if isinstance(choices, list) and choices else None
        choice: dict[str, Any] = first if isinstance(first, dict) else {}
        error = chunk.get("error")
        if not isinstance(error, dict):
            error = choice.get("error")
        if isinstance(error, dict):
            cls, detail = classify_error_object(error, None)
            self.failure = self.failure or Failure(
                cls,
                f"in-band stream error: {detail}",
                status=200,
                provider=self._meta.get("provider"),
                model=self._meta.get("model"),
            )
        delta = choice.get("delta")
        if isinstance(delta, dict):
            self._merge_delta(delta)
        finish = choice.get("finish_reason")
        if finish is not None:
            self._finish = str(finish)
            self._native_finish = choice.get("native_finish_reason")

    def _merge_delta(self, delta: dict[str, Any]) -> None:
        role = delta.get("role")
        if isinstance(role, str):
            self._role = role
        carried = False
        content = delta.get("content")
        if isinstance(content, str) and content:
            self._content.append(content)
            carried = True
        reasoning = delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self._reasoning.append(reasoning)
            carried = True
        tool_pieces = delta.get("tool_calls") or []
        if carried or tool_pieces:
            self.got_token = True
            self.token_chunks += 1
        for piece in tool_pieces:
            if not isinstance(piece, dict):
                continue
            self.got_token = True
            index = piece.get("index", 0)
            parts = self._tools.setdefault(index if isinstance(index, int) else 0, _ToolCallParts())
            if isinstance(piece.get("id"), str):
                parts.id = piece["id"]
            if isinstance(piece.get("type"), str):
                parts.type = piece["type"]
            raw_function = piece.get("function")
            function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
            if isinstance(function.get("name"), str):
                parts.name += function["name"]
            if isinstance(function.get("arguments"), str):
                parts.arguments.append(function["arguments"])

    @property
    def finish_reason(self) -> str | None:
        return self._finish

    @property
    def complete(self) -> bool:
        """The answer is whole: a finish reason arrived and nothing in-band failed."""
        return self._finish is not None and self.failure is None

    @property
    def partial_text(self) -> str:
        """The content streamed so far."""
        return "".join(self._content)

    def warnings(self) -> tuple[str, ...]:
        """Protocol slips that did not cost the answer."""
        if self.complete and not self.done:
            return (MISSING_DONE,)
        return ()

    def completion(self) -> dict[str, Any]:
        """The reassembled answer in the shape of a non-streamed chat completion."""
        message: dict[str, Any] = {"role": self._role, "content": "".join(self._content) or None}
        if self._reasoning:
            message["reasoning"] = "".join(self._reasoning)
        if self._tools:
            message["tool_calls"] = [
                {
                    "id": parts.id,
                    "type": parts.type,
                    "index": index,
                    "function": {"name": parts.name, "arguments": "".join(parts.arguments)},
                }
                for index, parts in sorted(self._tools.items())
            ]
        body: dict[str, Any] = {**self._meta, "object": "chat.completion"}
        body["choices"] = [
            {
                "index": 0,
                "message": message,
                "finish_reason": self._finish,
                "native_finish_reason": self._native_finish,
            }
        ]
        if self._usage is not None:
            body["usage"] = self._usage
        body.update(self._extra)
        return body

    def outcome(self) -> Failure | None:
        """None when the stream is complete; else why it may not be returned as success."""
        if self.failure is not None:
            return self.failure
        model = self._meta.get("model")
        provider = self._meta.get("provider")
        if self._finish is None:
            what = "ended without a finish_reason" if self.done else "cut before [DONE] and finish_reason"
            return Failure(
                ErrorClass.STREAM_TRUNCATED,
                f"stream {what}",
                status=200,
                provider=provider,
                model=model,
            )
        return None  # complete, with or without [DONE] (see warnings())


@dataclass(slots=True)
class StreamWatch:
    """The limits of one streamed attempt, on whichever clock the loop uses."""

    started_at: float
    first_token_s: float | None
    idle_s: float | None
    deadline_at: float  # the attempt's own limit, already capped by the total deadline
    first_token_at: float | None = None
    last_event_at: float | None = None

    def next_limit_at(self) -> float:
        """When the loop must give up if no further line arrives."""
        limit = self.deadline_at
        if self.first_token_at is None:
            if self.first_token_s is not None:
                limit = min(limit, self.started_at + self.first_token_s)
        elif self.idle_s is not None and self.last_event_at is not None:
            limit = min(limit, self.last_event_at + self.idle_s)
        return limit

    def expired(self, now: float) -> Failure | None:
        """The failure if ``now`` is past a limit (checked before a late line is used)."""
        if now <= self.next_limit_at():
            return None
        return self.timed_out()

    def timed_out(self) -> Failure:
        """The failure for the limit that ran out (called when a wait was cut short)."""
        if self.first_token_at is None:
            if self.first_token_s is not None and self.started_at + self.first_token_s <= self.deadline_at:
                return Failure(ErrorClass.TIMEOUT, f"no first token within {self.first_token_s:g} s", abandoned=True)
            return Failure(ErrorClass.TIMEOUT, "attempt deadline passed before the first token", abandoned=True)
        if (
            self.idle_s is not None
            and self.last_event_at is not None
            and self.last_event_at + self.idle_s < self.deadline_at
        ):
            return Failure(
                ErrorClass.STREAM_TRUNCATED, f"stream stalled: no chunk for {self.idle_s:g} s", abandoned=True
            )
        return Failure(ErrorClass.STREAM_TRUNCATED, "attempt deadline passed mid-stream", abandoned=True)

    def limit_hit_at(self) -> float:
        return self.next_limit_at()

    def on_event(self, now: float, got_token: bool) -> None:
        if got_token and self.first_token_at is None:
            self.first_token_at = now
        if self.first_token_at is not None:
            self.last_event_at = now
