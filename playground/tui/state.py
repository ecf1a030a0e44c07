"""Small UI memory per workspace: the model selection, temperatures, variables, theme, the
draft, and whether answers show as Markdown.

Kept as JSON in ``settings.state_dir()``: ``<workspace>/sessions/`` when there is a workspace
(the nearest folder up with playground.toml), so the app started anywhere inside it shows the
same draft and two workspaces keep their own; else the user state dir, one memory for every
folder outside a workspace. Never holds a secret. A damaged file is ignored rather than
stopping the app; writes are atomic.

The state also remembers the config's ``[defaults]`` it was based on: when playground.toml's
defaults change afterwards, the new defaults win over the remembered choices
(``follow_defaults``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "tui-state.json"
ENTRY = "state"  # the one entry of a state file; older files kept one per folder path


@dataclass
class UIState:
    """What the app remembers between starts."""

    models: list[str] | None = None
    temperatures: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    # system and user as last typed, and "turns" after the user message: [{role, content}]
    draft: dict[str, Any] = field(default_factory=dict)
    markdown: bool = False  # answers rendered as Markdown (M), not exactly as received
    # the config's [defaults] (models, temperatures, max_tokens) these choices were made under
    defaults: dict[str, Any] | None = None
    # the form's share of the screen in %, set with Ctrl+Up/Down: "rows" above the results,
    # "cols" beside them (a wide terminal)
    split: dict[str, int] = field(default_factory=dict)
    diff_sides: bool = False  # the diff shows the two answers side by side (b), not inline

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
            state.draft = _draft(data["draft"])
        if isinstance(data.get("markdown"), bool):
            state.markdown = data["markdown"]
        if isinstance(data.get("split"), dict):
            state.split = {
                k: v
                for k, v in data["split"].items()
                if k in ("rows", "cols") and isinstance(v, int) and 0 < v < 100
            }
        if isinstance(data.get("diff_sides"), bool):
            state.diff_sides = data["diff_sides"]
        if isinstance(data.get("params"), dict):
            state.params = {str(k): str(v) for k, v in data["params"].items()}
        if isinstance(data.get("defaults"), dict):
            state.defaults = data["defaults"]
        return state


def _draft(data: dict[str, Any]) -> dict[str, Any]:
    """A remembered draft, what can be read of it (a draft from before turns has none)."""
    draft: dict[str, Any] = {k: str(v) for k, v in data.items() if k in ("system", "user")}
    turns = data.get("turns")
    if isinstance(turns, list):
        draft["turns"] = [
            {"role": t["role"], "content": t["content"]}
            for t in turns
            if isinstance(t, dict)
            and t.get("role") in ("user", "assistant", "system")
            and isinstance(t.get("content"), str)
        ]
    return draft


def state_path(settings: Any) -> Path:
    return Path(settings.state_dir()) / STATE_FILE


def _read_all(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _entry(data: dict[str, Any], settings: Any) -> dict[str, Any] | None:
    """This state file's entry; an older file's entry (keyed by the workspace's path, or by
    the folder the app started from when there was no workspace) is read the same."""
    entry = data.get(ENTRY)
    if isinstance(entry, dict):
        return entry
    legacy = data.get(str(settings.workspace or Path.cwd()))
    if isinstance(legacy, dict):
        return legacy
    if settings.workspace is not None:  # the workspace's own file, written before it moved
        entries = [v for v in data.values() if isinstance(v, dict)]
        if len(entries) == 1:
            return entries[0]
    return None


def load_state(settings: Any) -> UIState:
    """The remembered state of this workspace (empty when none or unreadable)."""
    entry = _entry(_read_all(state_path(settings)), settings)
    return UIState.from_dict(entry) if entry is not None else UIState()


def save_state(settings: Any, state: UIState) -> None:
    """Write atomically; a failure (read-only disk) is silently skipped: it is only memory.
    An older file's per-folder entries give way to the one entry (quietly migrated)."""
    import tempfile  # only when writing: keeps start-up imports small

    path = state_path(settings)
    try:
        if not path.parent.exists():
            from playground.store.opening import ignore_in_git

            path.parent.mkdir(parents=True, exist_ok=True)
            ignore_in_git(str(path.parent))  # sessions/ holds drafts: keep them out of git
        data = {ENTRY: asdict(state)}
        fd, tmp = tempfile.mkstemp(prefix=".tui-state.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass


def config_defaults(settings: Any) -> dict[str, Any]:
    """The config's defaults that the remembered choices stand in for."""
    d = settings.defaults
    return {
        "models": list(d.models),
        "temperatures": list(d.temperatures),
        "max_tokens": d.max_tokens,
    }


def follow_defaults(state: UIState, settings: Any) -> str | None:
    """The config's defaults changed since the state was saved: they win over the remembered
    models, temperatures or max_tokens (only those that changed). Returns the one line that
    says so (None when nothing changed); the state then records the new defaults, so it is
    said once. A state saved before defaults were recorded is taken as based on these."""
    now = config_defaults(settings)
    before, state.defaults = state.defaults, now
    if before is None or before == now:
        return None
    used = []
    if before.get("models") != now["models"]:
        state.models = None
        used.append("models " + (", ".join(now["models"]) or "none"))
    if before.get("temperatures") != now["temperatures"]:
        state.temperatures = None
        temps = ", ".join(f"{t:g}" for t in now["temperatures"]) or "the provider's default"
        used.append(f"temperatures {temps}")
    if before.get("max_tokens") != now["max_tokens"]:
        state.params.pop("max_tokens", None)
        used.append(f"max_tokens {now['max_tokens']}")
    if not used:
        return None
    config = getattr(settings, "config_path", None)
    source = f"{Path(config).name}'s defaults" if config else "the defaults (no config file now)"
    return f"{source} changed: using {'; '.join(used)}"
