"""SSE line splitting: CRLF, LF and CR end a line, however the bytes are cut into reads;
nothing else does, so Unicode line separators inside a chunk's JSON stay in the answer."""

from __future__ import annotations

import json

import pytest

from orcli.client.stream import SseLineSplitter
from orcli.clock import VirtualClock

from .fakes import COMMENT, DONE, FakeOpenRouter, Reply, chunk
from .helpers import HELLO, client, workflow

EVENTS = b': keep-alive\r\ndata: {"a":1}\r\n\r\ndata: {"b":2}\n\ndata: {"c":3}\r\rdata: [DONE]\n\n'
EXPECTED = [": keep-alive", 'data: {"a":1}', "", 'data: {"b":2}', "", 'data: {"c":3}', "", "data: [DONE]", ""]


def split(pieces: list[bytes]) -> list[str]:
    splitter = SseLineSplitter()
    lines: list[str] = []
    for piece in pieces:
        lines += splitter.feed(piece)
    return lines + splitter.flush()


def test_all_three_line_ends_in_one_read() -> None:
    assert split([EVENTS]) == EXPECTED


@pytest.mark.parametrize("cut", range(1, len(EVENTS)))
def test_any_cut_into_two_reads_gives_the_same_lines(cut: int) -> None:
    assert split([EVENTS[:cut], EVENTS[cut:]]) == EXPECTED


def test_byte_by_byte_with_multibyte_characters() -> None:
    text = 'data: {"content":"naïve — 東京"}\n\n'.encode()
    assert split([text[i : i + 1] for i in range(len(text))]) == ['data: {"content":"naïve — 東京"}', ""]


def test_unicode_line_separators_do_not_end_a_line() -> None:
    raw = 'data: {"content":"one\u2028two\u0085three\x0cfour"}\n\n'.encode()
    assert split([raw]) == ['data: {"content":"one\u2028two\u0085three\x0cfour"}', ""]


def test_an_unterminated_last_line_is_flushed() -> None:
    assert split([b"data: [DONE]"]) == ["data: [DONE]"]
    assert split([b"data: [DONE]\r"]) == ["data: [DONE]"]
    assert split([b""]) == []


def test_a_streamed_answer_keeps_a_raw_line_separator() -> None:
    text = "first line\u2028second line"
    raw = json.dumps(
        {"id": "gen-1", "model": "openai/gpt-4o-mini", "provider": "OpenAI", "object": "chat.completion.chunk",
         "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]},
        ensure_ascii=False,
    )  # fmt: skip
    pieces = [COMMENT, f"data: {raw}\n\n".encode(), chunk(finish_reason="stop"), DONE]
    clock = VirtualClock()
    fake = FakeOpenRouter([Reply(200, stream=[(0.1, piece) for piece in pieces])], clock)
    result = client(fake, clock, workflow()).chat(HELLO, stream=True)
    assert result.ok and result.response is not None
    assert result.response["choices"][0]["message"]["content"] == text
