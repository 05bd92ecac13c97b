"""Server-sent events in OpenRouter's chunk shape, with their timing.

A stream opens with a ``: OPENROUTER PROCESSING`` comment, then ``chat.completion.chunk``
events carrying the text (or the tool call's arguments) in pieces, a chunk with the
finish reason, a final chunk with ``choices: []`` and the usage, and ``data: [DONE]``.
Stream faults cut, stall, corrupt or end it early; once it has started there is no
failover, so a late error arrives in-band with ``finish_reason: "error"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, Literal

from orcli.upstream.content import Completion
from orcli.upstream.protocol import ApiError, dumps, estimate_tokens
from orcli.upstream.records import Chunk

PROCESSING = b": OPENROUTER PROCESSING\n\n"
StreamOutcome = Literal["complete", "cut", "error"]
DONE = b"data: [DONE]\n\n"
_ARG_PIECE_CHARS = 16


def event(data: dict[str, Any]) -> bytes:
    return b"data: " + dumps(data) + b"\n\n"


@dataclass(frozen=True, slots=True)
class StreamShape:
    """What stream faults do to an otherwise complete stream (token counts are completion tokens)."""

    cut_after: int | None = None
    stall_after: int | None = None
    stall_s: float = 0.0
    malformed_after: int | None = None
    error_after: int | None = None
    error: ApiError | None = None
    missing_done: bool = False


_NO_FINISH = b',"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}\n\n'


def _chunk_encoder(head: dict[str, Any]) -> Callable[..., bytes]:
    """``chunk(delta, finish, native)``: the event ``{**head, "choices": [{"index": 0, "delta":
    delta, "finish_reason": finish, "native_finish_reason": native, "logprobs": null}]}``.
    Chunks of a stream differ only in the delta, so the rest is encoded once per stream:
    the same bytes as encoding each event whole, at a fraction of the cost."""
    prefix = b"data: " + dumps(head)[:-1] + b',"choices":[{"index":0,"delta":'

    def chunk(delta: dict[str, Any], finish: str | None = None, native: str | None = None) -> bytes:
        if finish is None and native is None:
            return prefix + _delta(delta) + _NO_FINISH
        ends = b',"finish_reason":' + dumps(finish) + b',"native_finish_reason":' + dumps(native)
        return prefix + _delta(delta) + ends + b',"logprobs":null}]}\n\n'

    return chunk


def _delta(delta: dict[str, Any]) -> bytes:
    """``dumps(delta)``; a text piece, most of any stream, with the encoder's own string quoting."""
    if len(delta) == 1:
        text = delta.get("content")
        if type(text) is str:
            return b'{"content":' + encode_basestring(text).encode() + b"}"
    return dumps(delta)


def _pieces(completion: Completion) -> list[tuple[dict[str, Any], int]]:
    """Deltas in order, each with its token count; the first carries the role."""
    out: list[tuple[dict[str, Any], int]] = []
    if completion.tool_calls:
        for index, call in enumerate(completion.tool_calls):
            head = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
            out.append(({"tool_calls": [head]}, estimate_tokens(call.name)))
            args = call.arguments
            for start in range(0, len(args), _ARG_PIECE_CHARS):
                piece = args[start : start + _ARG_PIECE_CHARS]
                out.append(
                    ({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, estimate_tokens(piece))
                )
    text = completion.content or ""
    if text or not out:
        words = text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            out.append(({"content": piece}, estimate_tokens(piece)))
    first = out[0][0]
    out[0] = ({"role": "assistant", "content": first.get("content"), **first}, out[0][1])
    return out


def stream_chunks(
    head: dict[str, Any],
    completion: Completion,
    native_finish_reason: str,
    usage: dict[str, Any],
    seconds_per_token: float,
    shape: StreamShape,
    final_extra: dict[str, Any] | None = None,
) -> tuple[tuple[Chunk, ...], StreamOutcome, int]:
    """The stream body as timed pieces, how it ends: ``complete``, ``cut`` (the connection
    drops mid-body) or ``error`` (an in-band terminal error chunk), and how many completion
    tokens it carried (what a stream ended early is billed for).
    ``final_extra`` joins the last chunk (the usage chunk), as ``openrouter_metadata`` does."""

    chunk = _chunk_encoder(head)

    out: list[Chunk] = [(0.0, PROCESSING)]
    emitted = 0
    stalled = malformed = False
    pieces = _pieces(completion)
    # One pass over the pieces plus a final check point before the finish chunk.
    for i in range(len(pieces) + 1):
        if shape.cut_after is not None and emitted >= shape.cut_after:
            return tuple(out), "cut", emitted
        if shape.error_after is not None and emitted >= shape.error_after and shape.error is not None:
            envelope = shape.error.envelope()["error"]
            choice = {"index": 0, "delta": {"content": ""}, "finish_reason": "error", "native_finish_reason": "error"}
            out.append((0.0, event({**head, "error": envelope, "choices": [choice]})))
            return tuple(out), "error", emitted
        if shape.malformed_after is not None and emitted >= shape.malformed_after and not malformed:
            malformed = True
            broken = b'data: {"id":"' + str(head["id"]).encode() + b'","choices":[{"index":0,"delta":{"content":"\n\n'
            out.append((0.0, broken))
        extra_s = 0.0
        if shape.stall_after is not None and emitted >= shape.stall_after and not stalled:
            stalled = True
            extra_s = shape.stall_s
        if i == len(pieces):
            if extra_s:
                out.append((extra_s, b": OPENROUTER PROCESSING\n\n"))
            break
        delta, tokens = pieces[i]
        delay = 0.0 if i == 0 else tokens * seconds_per_token
        out.append((delay + extra_s, chunk(delta)))
        emitted += tokens
    out.append((0.0, chunk({}, completion.finish_reason, native_finish_reason)))
    out.append((0.0, event({**head, "choices": [], "usage": usage, **(final_extra or {})})))
    if not shape.missing_done:
        out.append((0.0, DONE))
    return tuple(out), "complete", completion.completion_tokens


def batched(chunks: tuple[Chunk, ...], window_s: float) -> tuple[Chunk, ...]:
    """The stream as the network delivers it: chunks that follow within ``window_s`` of the
    first of a delivery travel with it, arriving when the last of them would have.

    The first delivery (the one with the response headers) holds nothing back, so time to
    first token is unchanged; a gap longer than the window (a stall) always starts a new
    delivery, so it is seen exactly; and the whole stream takes exactly as long. A gap seen
    by the client grows by at most ``window_s``. ``window_s`` 0: every chunk on its own.
    """
    if window_s <= 0 or not chunks:
        return chunks
    out: list[Chunk] = []
    delay_s, parts = chunks[0]
    pieces = [parts]
    held_s = 0.0
    budget_s = 0.0  # nothing joins the first delivery late
    for gap_s, data in chunks[1:]:
        if gap_s <= 0 or held_s + gap_s <= budget_s:
            pieces.append(data)
            held_s += max(gap_s, 0.0)
            continue
        out.append((delay_s + held_s, b"".join(pieces)))
        delay_s, pieces, held_s, budget_s = gap_s, [data], 0.0, window_s
    out.append((delay_s + held_s, b"".join(pieces)))
    return tuple(out)
