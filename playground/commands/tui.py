"""Opening the TUI from the command line: ``playground [PROMPT_FILE]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from playground.commands.common import fail, load_settings_or_fail


def open_tui(args: argparse.Namespace) -> int:
    """Load settings, check the prompt file exists, run the app; bad input is one line, exit 2."""
    settings = load_settings_or_fail(args)
    prompt_file = getattr(args, "prompt_file", None)
    if prompt_file:
        path = Path(prompt_file)
        if not path.is_file():
            fail(f"{prompt_file}: no such prompt file")
    from playground.tui.app import make_app

    make_app(settings, prompt_file=prompt_file).run()
    return 0
