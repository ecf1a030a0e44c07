"""Shared fixtures: a loopback provider server (tests/loopback documents its API)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import LoopbackServer
from loopback.batch import BatchServer
from tui_main_helpers import isolate

from playground.core.template import PromptTemplate
from playground.library import promote


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """A started loopback server (see tests/loopback); its test keys are in os.environ."""
    for var, value in LoopbackServer.env().items():
        monkeypatch.setenv(var, value)
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def batch_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchServer]:
    """A started batch-API loopback server (see tests/loopback/batch.py); keys in os.environ."""
    for var, value in BatchServer.env().items():
        monkeypatch.setenv(var, value)
    with BatchServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _user_dirs_in_tmp(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The user's config, data and state folders (platformdirs follows XDG_*) point into a temp
    folder: no test reads the real config or writes the real remembered UI state."""
    home = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real key, no real Ollama, cwd and session database inside tmp_path: what the app
    would otherwise find on this machine stays out. The TUI test files use it for every test
    (``pytestmark = pytest.mark.usefixtures("isolated")``); not autouse, since other tests
    check the default database and config places."""
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace (prompts/ tests) with prompts/facts at v1 (t=0.5) and v2 (t=0.9)."""
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    template = PromptTemplate.from_parts("You are brief.", "Three facts about {{topic}}.")
    for t in (0.5, 0.9):
        promote(
            tmp_path / "prompts",
            "facts",
            template=template,
            model="echo",
            temperature=t,
            max_tokens=64,
            variables={"topic": "otters"},
            provenance={"response_id": 7},
        )
    return tmp_path
