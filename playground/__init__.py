"""Prompt Playground: one prompt, many models and temperatures, side by side, in the terminal."""

__version__ = "0.1.0"

import sys as _sys

# httpx's package imports its command-line client, and with it click, rich and pygments when
# they happen to be installed (~5 MB and ~35 ms a process); the playground never runs it. A
# None entry fails that import as httpx expects when they are missing (it then stubs `main`).
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
