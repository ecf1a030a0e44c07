"""Opening the TUI from the command line: ``playground [PROMPT_FILE]``."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from playground.commands.settings import fail, load_settings_or_fail

if TYPE_CHECKING:
    import argparse
    from types import SimpleNamespace


def open_tui(args: argparse.Namespace | SimpleNamespace) -> int:
    """Load settings and the prompt file (bad input: one line, exit 2), then run the app.

    No garbage collection from here to the first frame: loading the settings, importing
    Textual and building the screen made ~100 young collections that freed almost nothing.
    The app re-enables the collector just after its first frame (tui.app._calm_gc), or when
    it ends before one; this, when it returns or fails.
    """
    gc.disable()
    try:
        settings = load_settings_or_fail(args)
        prompt: Any = None
        prompt_file = getattr(args, "prompt_file", None)
        if prompt_file:
            from playground.library import LibraryError, load_prompt

            try:
                prompt = load_prompt(prompt_file, settings.prompts_dir())
            except LibraryError as exc:
                fail(str(exc))
        from playground.tui.app import make_app

        make_app(settings, prompt_file=prompt_file, prompt=prompt).run()
    finally:
        gc.enable()
    return 0
