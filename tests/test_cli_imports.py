"""The command line's modules import in one direction: cli -> commands/* -> commands/common.

The shared parser pieces live in commands/common.py, so no command module reaches back into
playground.cli (that cycle made `import playground.commands.run` load the top-level cli first).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import playground

COMMANDS = Path(playground.__file__).parent / "commands"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_command_module_imports_the_cli() -> None:
    offenders = {
        p.name
        for p in COMMANDS.glob("*.py")
        if any(
            n == "playground.cli" or n.startswith("playground.cli.") for n in imported_modules(p)
        )
    }
    assert offenders == set()


def test_a_command_module_loads_without_the_cli() -> None:
    code = (
        "import sys, playground.commands.run, playground.commands.history, "
        "playground.commands.prompts; print('playground.cli' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bare_playground_opens_the_tui_with_the_parsers_defaults_and_no_argparse() -> None:
    """`playground` with no arguments has nothing to parse: the TUI gets what the top parser
    would give, and argparse (~1% of the first frame) is not loaded."""
    code = (
        "import sys, json\n"
        "import playground.commands.tui as tui\n"
        "tui.open_tui = lambda args: print(json.dumps([vars(args), 'argparse' in sys.modules]))\n"
        "from playground.cli import main\n"
        "main([])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    given, argparse_loaded = json.loads(out.stdout)
    from playground.cli import _top_parser

    assert given == vars(_top_parser().parse_args([]))
    assert argparse_loaded is False
