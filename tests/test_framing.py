"""SSE and NDJSON decoders: the same events whatever the line ends and however bytes are cut."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.providers.framing import NDJSONDecoder, SSEDecoder, SSEEvent

STREAM = (
    ": keep-alive comment\n\n"
    "event: message_start\n"
    'data: {"text": "héllo ✓ 日本"}\n\n'
    "data: first line\n"
    "data: second line\n\n"
    "id: 7\n"
    "retry: 100\n"
    "data:no space after colon\n\n"
    "event: ping\n"
    "data: {}\n\n"
    "data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent("message_start", '{"text": "héllo ✓ 日本"}'),
    SSEEvent(None, "first line\nsecond line"),
    SSEEvent(None, "no space after colon"),
    SSEEvent("ping", "{}"),
    SSEEvent(None, "[DONE]"),
]


def decode_sse(pieces: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    out: list[SSEEvent] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out + decoder.close()


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = [0, *sorted(set(points)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def test_sse_whole_stream() -> None:
    assert decode_sse([STREAM.encode()]) == EXPECTED


def test_sse_split_at_every_single_byte() -> None:
    for eol in ("\n", "\r\n", "\r"):
        data = STREAM.replace("\n", eol).encode()
        for i in range(len(data) + 1):
            assert decode_sse([data[:i], data[i:]]) == EXPECTED, (eol, i)


def test_sse_one_byte_at_a_time() -> None:
    data = STREAM.replace("\n", "\r\n").encode()
    assert decode_sse([data[i : i + 1] for i in range(len(data))]) == EXPECTED


@settings(max_examples=300, deadline=None)
@given(
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=25),
)
def test_sse_split_anywhere(eol: str, points: list[int]) -> None:
    data = STREAM.replace("\n", eol).encode()
    assert decode_sse(cut(data, [p % (len(data) + 1) for p in points])) == EXPECTED


def test_sse_last_frame_without_blank_line_counts() -> None:
    assert decode_sse([b'data: {"a": 1}']) == [SSEEvent(None, '{"a": 1}')]
    assert decode_sse([b'data: {"a": 1}\r\n']) == [SSEEvent(None, '{"a": 1}')]


def test_sse_crlf_split_between_cr_and_lf_makes_no_extra_frame() -> None:
    # "\r" then "\n" in the next read is one line end, not an end of line plus a blank line.
    pieces = [b"data: a\r", b"\ndata: b\r\n\r\n"]
    assert decode_sse(pieces) == [SSEEvent(None, "a\nb")]


def test_sse_bad_utf8_is_replaced_not_fatal() -> None:
    assert decode_sse([b"data: \xff ok\n\n"]) == [SSEEvent(None, "\ufffd ok")]


LINES = [{"message": {"content": "héllo ✓"}, "done": False}, {"done": True, "eval_count": 3}]


@settings(max_examples=200, deadline=None)
@given(
    eol=st.sampled_from(["\n", "\r\n"]),
    points=st.lists(st.integers(min_value=0, max_value=200), max_size=20),
)
def test_ndjson_split_anywhere(eol: str, points: list[int]) -> None:
    data = ("".join(json.dumps(o, ensure_ascii=False) + eol for o in LINES) + eol).encode()
    decoder = NDJSONDecoder()
    out: list[str] = []
    for piece in cut(data, [p % (len(data) + 1) for p in points]):
        out += decoder.feed(piece)
    out += decoder.close()
    assert [json.loads(line) for line in out] == LINES


def test_ndjson_last_line_without_newline_counts() -> None:
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a": 1}\n{"b"') == ['{"a": 1}']
    assert decoder.feed(b": 2}") == []
    assert decoder.close() == ['{"b": 2}']
