"""`playground FILE.prompt` (the TUI) runs a whole-body Dotprompt file as dotpromptz renders it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_main_helpers import all_done, cells_of, open_store, wait_for

from playground.library.reference import render_reference
from playground.tui.app import make_app

TEXT = (
    "---\nmodel: echo\nconfig:\n  temperature: 0\ninput:\n  schema:\n    name: string\n"
    "    formal?: boolean\n  default:\n    name: Ada\n    formal: FORMAL\n---\n"
    '{{#if formal}}{{role "system"}}Be formal.{{/if}}{{role "user"}}Hi {{name}}\n'
)


pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize("formal", [True, False])
async def test_the_tui_sends_what_dotpromptz_renders(tmp_path: Path, formal: bool) -> None:
    """Also with a false boolean default: the variable field holds text, and "False" would
    be true to Handlebars; the TUI must send what dotpromptz renders either way."""
    from playground.config import load_settings
    from playground.library import load_prompt

    path = tmp_path / "greet.prompt"
    text = TEXT.replace("FORMAL", "true" if formal else "false")
    path.write_text(text, encoding="utf-8")
    prompt = load_prompt(path)
    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path), prompt_file=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.picker.selected == ["echo"]
        await wait_for(pilot, lambda: screen.query("#var-name"))
        plan = screen.build_plan()
        assert plan.render() == render_reference(text) == prompt.template.render(prompt.variables)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        output = cells_of(app)[0].text
        if formal:
            assert "system: Be formal.\n\nuser: Hi Ada" in output
        else:
            assert "Be formal" not in output and "user: Hi Ada" in output
