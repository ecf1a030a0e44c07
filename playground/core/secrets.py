"""Keeping keys out of everything we print, store or show.

Keys come from the environment (a provider's ``api_key_env``, or any variable whose name says
key/token/secret/password); a password may also sit in a base URL (``http://user:pw@host``).
One place knows how to hide them, for the runner's results, the store, the TUI and the CLI.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # no typing/re/urllib at import: `playground history` loads the store
if TYPE_CHECKING:
    import re
    from collections.abc import Iterable, Sequence
    from typing import Any

REDACTED = "[redacted]"
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
MIN_CUT_KEY = 8  # a text that ends with this much of a known key (a stream cut mid-key) hides it

LONG_TEXT = 4096  # characters: a text this long is searched with StringZilla (find below)
_simd_find: list[Any] = []  # stringzilla.find, imported at the first long text

# key shapes, each with the texts one of which a match must contain (checked first: finding
# none is a fast scan, the patterns' own search is not, and raw responses are long)
_patterns: list[tuple[re.Pattern[str], tuple[str, ...]]] = []


def _secret_patterns() -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
    """Key shapes; each pattern's group 1 is kept (the part that says what the secret was).
    Hints are lower case and looked for in the lowered text."""
    if not _patterns:
        import re

        _patterns.extend(
            (re.compile(p), hints)
            for p, hints in (
                # OpenAI, Anthropic (sk-ant-), OpenRouter (sk-or-)
                (r"()\bsk-[A-Za-z0-9_\-]{6,}", ("sk-",)),
                (r"()\bAIza[0-9A-Za-z_\-]{10,}", ("aiza",)),  # Google
                (r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}", ("bearer",)),
                (
                    r"(?i)([?&](?:key|api_key|apikey|access_token|token)=)[^&#\s\"']+",
                    ("key=", "token="),
                ),
                (r"(://)[^/@:\s\"']*:[^/@\s\"']+(?=@)", ("://",)),  # user:password@ in a URL
            )
        )
    return _patterns


def is_secret_name(name: str) -> bool:
    """A field name that may hold a credential (its value is hidden when it is text)."""
    n = name.lower().replace("-", "_")
    return n in ("authorization", "proxy_authorization", "cookie") or any(
        word.lower() in n for word in SECRET_WORDS
    )


def secret_values(extra_names: Iterable[str | None] = ()) -> list[str]:
    """Values of key-like environment variables (and of ``extra_names``), longest first."""
    extra = {n for n in extra_names if n}
    found = {
        value
        for name, value in os.environ.items()
        if (name in extra or any(w in name.upper() for w in SECRET_WORDS))
        and len(value) >= 8
        and not value.isdigit()
    }
    return sorted(found, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with known secret values, key shapes and URL passwords hidden."""
    for value in secret_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    lowered = text.lower()
    for pattern, hints in _secret_patterns():
        if any(hint in lowered for hint in hints) and pattern.search(text):
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
            lowered = text.lower()
    return text


def find(text: str, value: str, start: int = 0) -> int:
    """``text.find(value, start)``. A long ASCII text (a raw response) is searched with
    StringZilla's SIMD search: a run's 1.5 MB of raw responses took str.find 0.35 ms a key
    and StringZilla 0.044 ms (the store's writer thread, in place: 0.60 -> 0.21 ms a run). Its
    offsets count bytes, so only a text whose bytes are its characters goes to it."""
    if len(text) - start < LONG_TEXT or not text.isascii():
        return text.find(value, start)
    if not _simd_find:
        from stringzilla import find as simd_find

        _simd_find.append(simd_find)
    return int(_simd_find[0](text, value, start))


def redact_output(text: str, secrets: Sequence[str] | None = None) -> str:
    """A model's text as printed, shown, stored and exported: every known key's value hidden,
    and so is a key cut off at the end (a partial answer ending with ``MIN_CUT_KEY`` or more of
    a key's first characters). Only known values: a model may write text that merely looks like
    a key. ``run``, ``show``, ``export`` and the store all use this one function."""
    secrets = secret_values() if secrets is None else secrets
    for value in secrets:
        if find(text, value) >= 0:
            text = text.replace(value, REDACTED)
    return _hide_cut_key(text, secrets)


def redact_response(raw: str, secrets: Sequence[str], body_keys: Sequence[str] | None) -> str:
    """A raw response as stored: its head (status line, headers) hidden as ``redact_output``
    hides a text; its body searched for ``body_keys`` only (None: all of ``secrets``), and a
    key cut off at its end hidden whichever it is. A body can only hold what its server was
    given (the provider's own key, a value in the request: a model writes only what it was
    given): the caller names those. A 60 KB stream searched for every key in the environment
    cost a full pass per key, and a developer's environment holds many."""
    if body_keys is None:
        return redact_output(raw, secrets)
    end = raw.find("\n\n")  # status_and_headers ends the head with a blank line
    split = len(raw) if end < 0 else end + 2
    # looked for in place (find with bounds copies nothing); split only when one is there
    if any(raw.find(value, 0, split) >= 0 for value in secrets) or any(
        find(raw, value, split) >= 0 for value in body_keys
    ):
        head, body = raw[:split], raw[split:]
        for value in secrets:
            head = head.replace(value, REDACTED)
        for value in body_keys:
            body = body.replace(value, REDACTED)
        raw = head + body
    return _hide_cut_key(raw, secrets)


def _hide_cut_key(text: str, secrets: Sequence[str]) -> str:
    for value in secrets:
        head = value[:MIN_CUT_KEY]
        start = text.find(head, max(0, len(text) - len(value) + 1))
        while start >= 0:
            if value.startswith(text[start:]):
                return text[:start] + REDACTED
            start = text.find(head, start + 1)
    return text


class StreamRedactor:
    """``redact_output`` for a text that arrives in pieces, at a cost in proportion to each new
    piece: all but the last ``len(longest key) - 1`` characters are settled (hidden once, never
    looked at again); only that tail is looked at with the next piece."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self.secrets = [s for s in secrets if s]
        self.keep = max((len(s) for s in self.secrets), default=1) - 1
        self._settled: list[str] = []
        self._tail = ""

    def feed(self, piece: str) -> None:
        text = self._tail + piece
        cut = len(text) - self.keep
        if cut <= 0:
            self._tail = text
            return
        # a key that starts before the cut is whole in ``text``: hide it, and settle to its end
        spans = []
        for value in self.secrets:
            at = text.find(value)
            while at >= 0:
                spans.append((at, at + len(value)))
                at = text.find(value, at + len(value))
        out: list[str] = []
        pos = 0
        for start, end in sorted(spans):
            if start < pos:  # overlaps the key just hidden: hide the union
                pos = max(pos, end)
                continue
            if start >= cut:
                break
            out += (text[pos:start], REDACTED)
            pos = end
        settle = max(cut, pos)
        out.append(text[pos:settle])
        self._settled.append("".join(out))
        self._tail = text[settle:]

    def text(self) -> str:
        """The text so far, hidden as ``redact_output`` would hide it."""
        return "".join(self._settled) + redact_output(self._tail, self.secrets)


def redact(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """A copy of a JSON-like value with secret fields and key-shaped strings hidden.

    Numbers under a token-ish name stay (``max_tokens``, ``input_tokens``): counts, not keys.
    """
    secrets = secret_values() if secrets is None else list(secrets)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if is_secret_name(str(k)) and isinstance(v, (str, bytes, dict, list)) and v:
                out[k] = REDACTED
            else:
                out[k] = redact(v, secrets)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def redact_url(url: str) -> str:
    """A base URL with any user:password@ part hidden."""
    if "@" not in url:  # the usual case, without parsing (the runner asks once per cell)
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))
