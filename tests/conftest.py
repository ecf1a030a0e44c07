"""Shared fixtures: a loopback provider server (tests/loopback.py documents its API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback import LoopbackServer


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """A started loopback server (see tests/loopback.py); its test keys are in os.environ."""
    for var, value in LoopbackServer.env().items():
        monkeypatch.setenv(var, value)
    with LoopbackServer() as server:
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
