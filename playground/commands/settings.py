"""A command's settings and its one-line failure, without argparse: the TUI's start (bare
``playground``) needs only these from the command line's shared pieces, and argparse costs
its first frame ~1% (commands.common re-exports both for the other commands)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # no typing at run time (as commands.common)
if TYPE_CHECKING:
    from typing import Any, NoReturn


def fail(message: str, code: int = 2) -> NoReturn:
    print(f"playground: {message}", file=sys.stderr)
    raise SystemExit(code)


def load_settings_or_fail(args: Any) -> Any:
    """The settings from ``args.config``, ``args.db`` and ``args.prompts_dir`` (a parsed
    command line, or the bare start's defaults); a bad config is one line, exit 2."""
    from playground.config import ConfigError, load_settings

    try:
        return load_settings(args.config, db=args.db, prompts_dir=args.prompts_dir)
    except ConfigError as exc:
        fail(str(exc))
