"""Variables typed by the prompt file's schema: text from --var or a TUI field is read as the
declared boolean or number (Handlebars finds any non-empty text true), and a promote keeps the
author's schema (types and optional marks) instead of deriving "string" from the values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_helpers import playground as pg

GREET = (
    "---\nmodel: echo\ninput:\n  schema:\n    name: string\n    formal?: boolean\n"
    "    n?: number\n  default:\n    name: Ada\n    formal: false\n    n: 1\n---\n"
    '{{#if formal}}{{role "system"}}Be formal.{{/if}}{{role "user"}}Hi {{name}}, '
    "{{#if n}}nonzero{{else}}zero{{/if}}\n"
)


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "greet.prompt").write_text(GREET, encoding="utf-8")
    return tmp_path


def _sent(tmp_path: Path, *var: str) -> str:
    args = [a for v in var for a in ("--var", v)]
    proc = pg(tmp_path, "run", "prompts/greet.prompt", *args, "-t", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["cells"][0]["output"]


def test_var_text_is_read_as_the_declared_type(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert "Be formal" not in _sent(ws)  # the file's own default, false
    assert "Be formal" not in _sent(ws, "formal=false")  # text "false" is false, not true
    assert "Be formal" in _sent(ws, "formal=true")
    assert "zero" in _sent(ws, "n=0") and "nonzero" not in _sent(ws, "n=0")
    assert "nonzero" in _sent(ws, "n=2")


def test_promote_keeps_the_authors_schema(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    proc = pg(ws, "run", "prompts/greet.prompt", "--var", "formal=yes", "-t", "0", "--json")
    cell = json.loads(proc.stdout)["cells"][0]
    assert "Be formal" in cell["output"]
    promoted = pg(ws, "promote", str(cell["id"]), "--name", "greet")
    assert promoted.returncode == 0, promoted.stderr
    front = yaml.safe_load((ws / "prompts" / "greet.prompt").read_text().split("---")[1])
    schema, default = front["input"]["schema"], front["input"]["default"]
    assert schema == {"name": "string", "formal?": "boolean", "n?": "number"}
    assert default["formal"] is True and default["n"] == 1


async def test_the_tui_reads_a_boolean_field_as_a_boolean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_main_helpers import isolate, open_store, wait_for

    from playground.config import load_settings
    from playground.library import load_prompt
    from playground.tui.app import make_app

    isolate(monkeypatch, tmp_path)
    ws = _workspace(tmp_path)
    path = ws / "prompts" / "greet.prompt"
    app = make_app(
        load_settings(cwd=ws), store=open_store(ws), prompt_file=path, prompt=load_prompt(path)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.query("#var-formal"))
        field = screen.query_one("#var-formal")
        for text, formal in (("false", False), ("no", False), ("true", True), ("", False)):
            field.value = text
            await pilot.pause()
            roles = [m.role for m in screen.build_plan().render()]
            assert ("system" in roles) is formal, text
