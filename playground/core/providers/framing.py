"""Incremental decoders for the two stream framings providers use: SSE and NDJSON.

Both take raw bytes as they arrive, so a frame (or a UTF-8 character) split across network
reads is reassembled before it is parsed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


class _Lines:
    """Bytes in, complete lines out; accepts \\n, \\r\\n and \\r line ends."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buf = ""

    def feed(self, chunk: bytes) -> list[str]:
        text = self._buf + self._decoder.decode(chunk)
        if "\r" not in text:  # the common case, done with one split
            parts = text.split("\n")
            self._buf = parts.pop()
            return parts
        lines: list[str] = []
        pos = 0
        end = len(text)
        for m in _EOL.finditer(text):
            if m.end() == end and m.group() == "\r":
                break  # may be the first half of \r\n: wait for the next chunk
            lines.append(text[pos : m.start()])
            pos = m.end()
        self._buf = text[pos:]
        return lines

    def close(self) -> list[str]:
        rest = self._buf + self._decoder.decode(b"", final=True)
        self._buf = ""
        rest = rest.rstrip("\r\n")
        return [rest] if rest else []


class SSEDecoder:
    """Server-sent events: ``event:`` and ``data:`` fields, blank line ends a frame."""

    def __init__(self) -> None:
        self._lines = _Lines()
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        for line in self._lines.feed(chunk):
            self._line(line, out)
        return out

    def close(self) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        for line in self._lines.close():
            self._line(line, out)
        self._line("", out)  # a last frame without its blank line still counts
        return out

    def _line(self, line: str, out: list[SSEEvent]) -> None:
        if not line:
            if self._data or self._event:
                out.append(SSEEvent(self._event, "\n".join(self._data)))
            self._event = None
            self._data = []
            return
        if line[0] == ":":
            return
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


class NDJSONDecoder:
    """Newline-delimited JSON text: one object per line (Ollama)."""

    def __init__(self) -> None:
        self._lines = _Lines()

    def feed(self, chunk: bytes) -> list[str]:
        return [line for line in self._lines.feed(chunk) if line.strip()]

    def close(self) -> list[str]:
        return [line for line in self._lines.close() if line.strip()]
