"""Which models a provider offers: what its server lists, remembered with the time it said so.

OpenAI-compatible servers (OpenRouter, llama.cpp, vLLM, LM Studio...) answer ``GET /models``
and Ollama ``GET /api/tags``: what they list is what can be run, so that is what
``playground models`` and the TUI's picker show. Each answer is kept in a small JSON file in
the user's cache folder, so a server that is down (a laptop's local server, a flaky network)
still shows what it offered, and how long ago. Providers with no server list (OpenAI itself,
Anthropic, Gemini, a remote one without its key) show their configured models.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import httpx

    from playground.core.providers.base import Provider

Source = Literal["server", "cache", "config"]


@dataclass(frozen=True)
class ModelListing:
    """A provider's models and where they came from; ``listed_at`` (epoch seconds) is when
    the server said so (None for configured models)."""

    models: list[str]
    source: Source
    listed_at: float | None = None

    def age(self, now: float | None = None) -> str:
        """'listed 4 min ago' for a remembered list; '' for a fresh or configured one."""
        if self.source != "cache" or self.listed_at is None:
            return ""
        return f"listed {_ago((now if now is not None else time.time()) - self.listed_at)}"


def cache_file() -> Path:
    """The remembered lists: <user cache dir>/models.json (XDG_CACHE_HOME on Linux)."""
    import platformdirs

    from playground.paths import APP_NAME

    return Path(platformdirs.user_cache_dir(APP_NAME)) / "models.json"


async def listed_models(
    provider: Provider,
    client: httpx.AsyncClient,
    *,
    max_age: float | None = None,
    cache: Path | None = None,
) -> ModelListing:
    """The server's list (remembered), else the remembered one, else the configured one.
    With ``max_age`` (seconds), a remembered list that young is used without asking."""
    path = cache if cache is not None else cache_file()
    kept = remembered(provider, path)
    young = kept.listed_at is not None and time.time() - kept.listed_at <= (max_age or -1)
    if kept.source == "cache" and young:
        return kept
    models = await provider.server_models(client)
    if models is None:
        return kept
    now = time.time()
    _write(path, provider.name, {"base_url": provider.base_url, "at": now, "models": models})
    return ModelListing(models, "server", now)


def remembered(provider: Provider, cache: Path | None = None) -> ModelListing:
    """Without asking: the list the server gave last (for this base_url), else the
    configured models."""
    entry = _read(cache if cache is not None else cache_file()).get(provider.name)
    if entry is not None and entry.get("base_url") == provider.base_url:
        return ModelListing([str(m) for m in entry["models"]], "cache", float(entry["at"]))
    return ModelListing(list(provider.config.models), "config")


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        name: e
        for name, e in data.items()
        if isinstance(e, dict)
        and isinstance(e.get("at"), (int, float))
        and isinstance(e.get("models"), list)
        and all(isinstance(m, str) for m in e["models"])
    }


def _write(path: Path, name: str, entry: dict[str, object]) -> None:
    """Replace one provider's entry; whole-file replace, so a reader never sees half a file.
    A cache that cannot be written is only a cache: the listing goes on."""
    data = _read(path)
    data[name] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".models-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
