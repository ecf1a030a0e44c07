"""Small UI memory per workspace: the model selection, temperatures, variables, theme, and
whether answers show as Markdown.

Kept as JSON in ``settings.state_dir()``, keyed by workspace (or the current folder when
there is none), so two projects keep their own matrix. Never holds a secret. A damaged file
is ignored rather than stopping the app; writes are atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "tui-state.json"


@dataclass
class UIState:
    """What the app remembers between starts."""

    models: list[str] | None = None
    temperatures: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    draft: dict[str, str] = field(default_factory=dict)  # system and user, as last typed
    markdown: bool = False  # answers rendered as Markdown (M), not exactly as received

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UIState:
        state = cls()
        if isinstance(data.get("models"), list):
            state.models = [str(m) for m in data["models"]]
        if isinstance(data.get("temperatures"), str):
            state.temperatures = data["temperatures"]
        if isinstance(data.get("variables"), dict):
            state.variables = {str(k): str(v) for k, v in data["variables"].items()}
        if isinstance(data.get("theme"), str):
            state.theme = data["theme"]
        if isinstance(data.get("draft"), dict):
            state.draft = {k: str(v) for k, v in data["draft"].items() if k in ("system", "user")}
        if isinstance(data.get("markdown"), bool):
            state.markdown = data["markdown"]
        if isinstance(data.get("params"), dict):
            state.params = {str(k): str(v) for k, v in data["params"].items()}
        return state


def _key(settings: Any) -> str:
    return str(settings.workspace or Path.cwd())


def state_path(settings: Any) -> Path:
    return Path(settings.state_dir()) / STATE_FILE


def _read_all(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_state(settings: Any) -> UIState:
    """The remembered state for this workspace (empty when none or unreadable)."""
    entry = _read_all(state_path(settings)).get(_key(settings))
    return UIState.from_dict(entry) if isinstance(entry, dict) else UIState()


def save_state(settings: Any, state: UIState) -> None:
    """Write atomically; a failure (read-only disk) is silently skipped: it is only memory."""
    import tempfile  # only when writing: keeps start-up imports small

    path = state_path(settings)
    try:
        if not path.parent.exists():
            from playground.store.opening import ignore_in_git

            path.parent.mkdir(parents=True, exist_ok=True)
            ignore_in_git(str(path.parent))  # sessions/ holds drafts: keep them out of git
        data = _read_all(path)
        data[_key(settings)] = asdict(state)
        fd, tmp = tempfile.mkstemp(prefix=".tui-state.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass
