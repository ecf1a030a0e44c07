"""playground.paths: one set of rules for where config, database and prompts live, used by the
settings and by `history`/`show`/`export` (which must not load the settings to stay quick)."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from playground.commands.history import db_path
from playground.config import load_settings


@pytest.mark.parametrize("where", ["workspace", "nested", "no-workspace", "env", "flag"])
def test_history_and_settings_agree_on_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.delenv("PLAYGROUND_DB", raising=False)
    monkeypatch.delenv("PLAYGROUND_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    ws = tmp_path / "ws"
    (ws / "a" / "b").mkdir(parents=True)
    (ws / "playground.toml").write_text("")
    cwd = {"workspace": ws, "nested": ws / "a" / "b"}.get(where, tmp_path)
    monkeypatch.chdir(cwd)
    if where == "env":
        monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "env.db"))
    flag = str(tmp_path / "flag.db") if where == "flag" else None
    settings = load_settings(db=flag)
    quick = db_path(argparse.Namespace(db=flag, config=None, prompts_dir=None))
    assert Path(quick) == settings.db_path()
    expected = {
        "workspace": ws.resolve() / "sessions" / "playground.db",
        "nested": ws.resolve() / "sessions" / "playground.db",
        "no-workspace": tmp_path / "xdg-data" / "prompt-playground" / "playground.db",
        "env": tmp_path / "env.db",
        "flag": tmp_path / "flag.db",
    }[where]
    assert settings.db_path() == expected


def test_paths_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text("")
    # (a None entry is an import the package blocks, httpx's command-line client: not loaded)
    code = (
        "import sys; before = set(sys.modules); from playground import paths; "
        "paths.db_file(paths.find_workspace()); "
        "print(sorted(m for m in set(sys.modules) - before if sys.modules[m] is not None))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = set(ast.literal_eval(out.stdout))
    assert loaded <= {"__future__", "playground", "playground.paths"}, loaded
