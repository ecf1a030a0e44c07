"""Command line: the TUI by default, plus headless commands that drive the same engine.

Start-up stays cheap: only the module of the command being run is imported, and command
modules import their heavy dependencies inside their handlers.
"""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace

from playground import __version__

TYPE_CHECKING = False  # no typing at run time: `history` starts about as fast as `--help`
if TYPE_CHECKING:
    import argparse

# command name -> (module, one-line help). Each module has add_parser(subparsers, name).
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("playground.commands.run", "run a prompt across models and temperatures"),
    "estimate": (
        "playground.commands.estimate",
        "tokens and worst-case cost of a run, before running it",
    ),
    "models": (
        "playground.commands.models",
        "list providers, whether each is ready, and their models",
    ),
    "history": (
        "playground.commands.history",
        "list past runs, newest first; QUERY searches prompts and outputs",
    ),
    "show": ("playground.commands.history", "show one run's cells"),
    "export": ("playground.commands.history", "export a run as markdown, json or jsonl"),
    "promote": (
        "playground.commands.prompts",
        "promote a recorded response into a versioned prompt file",
    ),
    "prompts": ("playground.commands.prompts", "list, show, diff, import and export prompt files"),
    "eval": ("playground.commands.eval", "run a prompt's test cases and grade every output"),
    "compare": ("playground.commands.compare", "compare two runs or evals cell by cell"),
    "batches": (
        "playground.commands.batches",
        "list, wait for, collect and cancel batch jobs (run --batch)",
    ),
}


def _top_parser() -> argparse.ArgumentParser:
    import argparse

    from playground.commands.common import OneLineParser, add_common

    epilog = "commands:\n" + "\n".join(f"  {n:<10} {h}" for n, (_, h) in COMMANDS.items())
    epilog += "\n\nWith no command, opens the TUI (optionally on PROMPT_FILE)."
    parser = OneLineParser(
        prog="playground",
        description="Prompt Playground: one prompt, many models and temperatures, side by side.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"playground {__version__}")
    parser.add_argument(
        "prompt_file", nargs="?", metavar="PROMPT_FILE", help="a .prompt file to open"
    )
    add_common(parser)
    return parser


def _first_positional(argv: list[str]) -> str | None:
    from playground.commands.common import COMMON_FLAGS

    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in COMMON_FLAGS:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Parse, run one command, and keep every way out to one line on stderr.

    A closed stdout (``| head``) ends quietly with 141 (128 + SIGPIPE), as Unix tools do;
    anything unexpected is ``playground: internal error: ...``, exit 1 (set PLAYGROUND_DEBUG=1
    for the traceback).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # a broken pipe shows here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        print("playground: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except Exception as exc:
        import os

        if os.environ.get("PLAYGROUND_DEBUG"):
            raise
        print(f"playground: internal error: {_one_line(exc)}", file=sys.stderr)
        return 1


def console() -> int:
    """The `playground` program (console script, ``python -m playground``): ``main``, then the
    process ends without the interpreter's last garbage collection.

    That collection walks every object the command left (the engine's modules, classes and
    dataclasses) to free them a moment before the process is gone: ~40 ms of CPU measured on
    `run -p hi -m echo --json` (bench_cli.py, A/B), a fifth of the whole command. Frozen
    objects are skipped. The store, files and the event loop are closed by the command
    itself, and the standard streams are still flushed at exit. In-process callers (tests)
    use ``main``, which leaves the collector alone.
    """
    code = main()
    import gc

    gc.freeze()
    return code


def bare_start() -> SimpleNamespace:
    """What ``_top_parser`` gives for no arguments: the TUI, no prompt file, the default config,
    database and prompts folder (tests/test_cli_main.py checks they agree)."""
    return SimpleNamespace(prompt_file=None, config=None, db=None, prompts_dir=None)


def _dispatch(argv: list[str]) -> int:
    if not argv:  # bare `playground`, the TUI: nothing to parse, and argparse is not loaded
        from playground.commands.tui import open_tui

        return int(open_tui(bare_start()) or 0)
    from playground.commands.common import COMMON_FLAGS, OneLineParser

    command = _first_positional(argv)
    if command in COMMANDS:
        module = importlib.import_module(COMMANDS[command][0])
        parser = OneLineParser(prog="playground")
        parser.command = command
        # the common options are accepted before the command name too
        for flag in COMMON_FLAGS:
            parser.add_argument(flag, dest=f"top_{flag[2:].replace('-', '_')}", metavar="PATH")
        sub = parser.add_subparsers(dest="command", required=True)
        module.add_parser(sub, command)
        args = parser.parse_args(argv)
        for flag in COMMON_FLAGS:
            name = flag[2:].replace("-", "_")
            if getattr(args, name, None) is None:  # after the command wins
                setattr(args, name, getattr(args, f"top_{name}"))
        return int(args.func(args) or 0)
    args = _top_parser().parse_args(argv)
    from playground.commands.tui import open_tui

    return int(open_tui(args) or 0)
