"""What the eval and compare tests share: a workspace on the loopback server, and the CLI
run in-process as a shell would (usage errors leave through SystemExit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback import LoopbackServer


def make_workspace(
    tmp_path: Path,
    loopback: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str] | None = None,
) -> Path:
    """tmp_path as the workspace (its playground.toml declares the loopback providers), with
    ``files`` (relative path -> text) written, as the current folder, its own database."""
    loopback.write_config(tmp_path)
    (tmp_path / "prompts").mkdir(exist_ok=True)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "eval.db"))
    monkeypatch.delenv("PLAYGROUND_CONFIG", raising=False)
    return tmp_path
