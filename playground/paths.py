"""Where Prompt Playground keeps things: the workspace, the config file, the session database,
prompt files and small UI state.

One place for the rules of DESIGN.md, with nothing heavier than ``os`` imported, so a quick
command (`playground history`) can find the database without loading the settings.
"""

from __future__ import annotations

import os

APP_NAME = "prompt-playground"
CONFIG_NAME = "playground.toml"


def find_workspace(start: str | os.PathLike[str] | None = None) -> str | None:
    """The nearest folder, walking up from ``start`` (default: here), that holds playground.toml."""
    here = os.path.realpath(start if start is not None else os.getcwd())
    while True:
        if os.path.isfile(os.path.join(here, CONFIG_NAME)):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def config_file(explicit: str | os.PathLike[str] | None, workspace: str | None) -> str | None:
    """``--config PATH``, else $PLAYGROUND_CONFIG, else the workspace's playground.toml, else
    the user config dir's (only when it exists): None when there is no config at all."""
    if explicit:
        return os.fspath(explicit)
    if os.environ.get("PLAYGROUND_CONFIG"):
        return os.environ["PLAYGROUND_CONFIG"]
    if workspace:
        return os.path.join(workspace, CONFIG_NAME)
    user = os.path.join(_user_dir("config"), CONFIG_NAME)
    return user if os.path.isfile(user) else None


def db_file(
    workspace: str | os.PathLike[str] | None, explicit: str | os.PathLike[str] | None = None
) -> str:
    """``--db PATH``, else $PLAYGROUND_DB, else <workspace>/sessions/playground.db, else the user
    data dir's playground.db."""
    if explicit:
        return os.fspath(explicit)
    if os.environ.get("PLAYGROUND_DB"):
        return os.environ["PLAYGROUND_DB"]
    if workspace:
        return os.path.join(workspace, "sessions", "playground.db")
    return os.path.join(_user_dir("data"), "playground.db")


def prompts_dir(
    workspace: str | os.PathLike[str] | None, explicit: str | os.PathLike[str] | None = None
) -> str:
    """``--prompts-dir PATH``, else <workspace>/prompts, else ./prompts."""
    if explicit:
        return os.fspath(explicit)
    return os.path.join(workspace or os.getcwd(), "prompts")


def state_dir(workspace: str | os.PathLike[str] | None) -> str:
    """Where small UI state (last selection, theme) is remembered."""
    if workspace:
        return os.path.join(workspace, "sessions")
    return _user_dir("state")


def _user_dir(kind: str) -> str:
    import platformdirs  # only when there is no workspace

    return {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "state": platformdirs.user_state_dir,
    }[kind](APP_NAME)
