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
    from collections.abc import Iterable
    from typing import Any

REDACTED = "[redacted]"
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")

_patterns: list[re.Pattern[str]] = []


def _secret_patterns() -> list[re.Pattern[str]]:
    """Key shapes; each pattern's group 1 is kept (the part that says what the secret was)."""
    if not _patterns:
        import re

        _patterns.extend(
            re.compile(p)
            for p in (
                r"()\bsk-[A-Za-z0-9_\-]{6,}",  # OpenAI, Anthropic (sk-ant-), OpenRouter (sk-or-)
                r"()\bAIza[0-9A-Za-z_\-]{10,}",  # Google
                r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}",
                r"(?i)([?&](?:key|api_key|apikey|access_token|token)=)[^&#\s\"']+",
                r"(://)[^/@:\s\"']*:[^/@\s\"']+(?=@)",  # user:password@ in a URL
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
    for pattern in _secret_patterns():
        if pattern.search(text):
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


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
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))
