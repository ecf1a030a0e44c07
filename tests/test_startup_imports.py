"""Start-up loads only what it uses (issue 16: first frame ≤ 1.2× a minimal Textual app,
`run -p hi -m echo --json` ≤ 1.5× the bare imports; bench/README.md has the figures).

Each check runs a fresh interpreter, as a user starts the program, and lists the heavy modules
it holds at the moment that matters: the TUI's first frame written, the command's end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground

# what the first frame must not wait for: the template engine, the HTTP stack, the store,
# token tables, fuzzy search, schemas, prices, the run vocabulary's dataclasses
NOT_BEFORE_FIRST_FRAME = (
    "dotpromptz",
    "dotpromptz_handlebars",
    "httpx",
    "sqlite3",
    "tiktoken",
    "rapidfuzz",
    "jsonschema",
    "genai_prices",
    "playground.core.model",
    "playground.core.template",
    "playground.store",
    "textual.widgets._collapsible",  # the history pane's, built when a prompt wants history
    # hidden until used, mounted then: the run summary, the eval panel and the eval's modules
    "playground.tui.widgets.run_summary",
    "playground.tui.widgets.eval_panel",
    "playground.tui.screens.main.evals",
    "playground.tui.screens.main.eval_board",
    # the variables' fields, built with the prompt's first {{variable}}
    "playground.tui.widgets.variables",
    "playground.tui.widgets.params",  # mounted just after the first frame
    # made (and their modules loaded) just after the first frame: the temperatures' field,
    # the estimate bar and the grid; the turns' widgets with the first turn
    "playground.tui.widgets.temperatures",
    "playground.tui.widgets.estimate_bar",
    "playground.tui.widgets.grid",
    "playground.tui.widgets.pacer",
    "playground.tui.widgets.turns",
    "playground.core.plan",  # RunPlan: with the first plan (or a config's [defaults])
    # the model list, just after the first frame; so are the header and the footer, whose
    # rows the first frame draws with stand-ins (widgets/stand_ins.py)
    "playground.tui.widgets.model_picker",
    "playground.tui.widgets.header",
    "textual.widgets._header",
    "textual.widgets._footer",
)

# hidden or secondary widgets that mount just after the first frame (or at first use)
NOT_IN_FIRST_FRAME = (
    "VariablesPanel",
    "ParamsPanel",
    "TemperatureInput",
    "EstimateBar",
    "ResultGrid",
    "SelectionList",
    "HistoryPane",
    "ModelPicker",
    "Header",
    "AppHeader",
    "Footer",
)

FIRST_FRAME = """
import asyncio, json, sys
from playground.config import load_settings
from playground.tui.app import make_app

app = make_app(load_settings())
seen = []
original = app._display

def display(screen, renderable):
    if renderable is not None and not seen:
        seen.append(sorted(m for m in HEAVY if m in sys.modules))
        seen.append(sorted({type(w).__name__ for w in screen.walk_children()} & set(LATER)))
    original(screen, renderable)

app._display = display

async def main():
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(200):
            if seen:
                break
            await pilot.pause(0.01)
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_the_tuis_first_frame_loads_no_heavy_module(tmp_path: Path) -> None:
    code = f"HEAVY = {NOT_BEFORE_FIRST_FRAME!r}\nLATER = {NOT_IN_FIRST_FRAME!r}\n" + FIRST_FRAME
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    frames = json.loads(out.stdout.strip().splitlines()[-1])
    assert frames, "no frame was written"
    assert frames[0] == []  # no heavy module
    assert frames[1] == []  # none of the widgets that come just after it


def test_a_cached_echo_run_loads_neither_template_engine_nor_token_tables(
    tmp_path: Path,
) -> None:
    """As typed and repeated, `run -p hi -m echo --json` is answered from the store: no
    Handlebars (the text has no {{), no tiktoken (cached counts), no second HTTP stack."""
    env = clean_env(tmp_path)
    first = playground(tmp_path, "run", "-p", "hi", "-m", "echo", "--json", env=env)
    assert first.returncode == 0, first.stderr
    code = (
        "import sys; from playground.cli import main;"
        " rc = main(['run', '-p', 'hi', '-m', 'echo', '--json']);"
        " heavy = [m for m in ('dotpromptz', 'dotpromptz_handlebars', 'tiktoken', 'aiohttp',"
        " 'httpx_aiohttp', 'genai_prices', 'rapidfuzz', 'jsonschema', 'sqlite_utils')"
        " if m in sys.modules]; print(rc, heavy, file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stderr.strip().splitlines()[-1] == "0 []", out.stderr
    doc = json.loads(out.stdout)
    assert doc["cells"][0]["cached"] is True
    assert doc["cells"][0]["output"] == json.loads(first.stdout)["cells"][0]["output"]


def test_the_tui_command_pauses_the_collector_until_the_app_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`playground` (open_tui) pauses garbage collection before Textual is imported: the app
    re-enables it just after its first frame; when run() returns, it is on again."""
    import argparse
    import gc

    import playground.tui.app
    from playground.commands.tui import open_tui

    seen: list[bool] = []

    class App:
        def run(self) -> None:
            seen.append(gc.isenabled())

    monkeypatch.chdir(tmp_path)
    for name, value in clean_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(playground.tui.app, "make_app", lambda *a, **k: App())
    args = argparse.Namespace(config=None, db=None, prompts_dir=None, prompt_file=None)
    assert gc.isenabled()
    assert open_tui(args) == 0
    assert seen == [False]
    assert gc.isenabled()
