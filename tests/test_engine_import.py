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
