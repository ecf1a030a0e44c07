"""The engine must stay importable without the UI (DESIGN.md: layers)."""

import json
import subprocess
import sys


def loaded_after(imports: str, modules: tuple[str, ...], check: str = "") -> list[str]:
    """Which of ``modules`` a fresh interpreter holds after ``import {imports}`` (and the
    statement ``check``, run after the imports)."""
    code = (
        "import json, sys\n"
        f"import {imports}\n"
        f"{check}\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if sys.modules.get(m))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_engine_does_not_import_textual() -> None:
    engine = (
        "playground.core.runner, playground.core.providers.openai, playground.core.template, "
        "playground.store, playground.library"
    )
    assert loaded_after(engine, ("textual",)) == []


def test_the_shared_vocabulary_is_light() -> None:
    """core.model (Cell, CellResult, the events, the Recorder protocol) loads none of the
    engine's heavy libraries: the store and the quick commands read it cheaply."""
    heavy = ("dotpromptz", "dotpromptz_handlebars", "httpx", "textual")
    assert loaded_after("playground.core.model", heavy) == []


def test_the_engine_leaves_httpx_command_line_client_unloaded() -> None:
    """httpx's package would import its own CLI (rich, pygments, click: ~5 MB a process);
    the engine talks HTTP without it, and httpx still works."""
    cli = ("httpx._main", "rich", "pygments")
    works = "assert httpx.Client and httpx.AsyncClient"
    assert loaded_after("playground.core.runner, httpx", cli, works) == []
