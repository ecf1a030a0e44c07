"""The engine must stay importable without the UI (DESIGN.md: layers)."""

import subprocess
import sys


def test_engine_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import playground.core.runner, playground.core.providers.openai, playground.core.template\n"
        "import playground.store, playground.library\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_shared_vocabulary_is_light() -> None:
    """core.model (Cell, CellResult, the events, the Recorder protocol) loads none of the
    engine's heavy libraries: the store and the quick commands read it cheaply."""
    code = (
        "import sys\n"
        "import playground.core.model\n"
        "print(sorted(m for m in ('dotpromptz', 'dotpromptz_handlebars', 'httpx', 'textual')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_engine_leaves_httpx_command_line_client_unloaded() -> None:
    """httpx's package would import its own CLI (rich, pygments, click: ~5 MB a process);
    the engine talks HTTP without it, and httpx still works."""
    code = (
        "import sys\n"
        "import playground.core.runner, httpx\n"
        "assert httpx.Client and httpx.AsyncClient\n"
        "print(sorted(m for m in ('httpx._main', 'rich', 'pygments') if sys.modules.get(m)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
