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
