"""Picoschema for variables: typed from their values; optional `any` for those without one."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import playground as pg
from test_library_keep import _workspace

from playground.library import load_prompt
from playground.library.reference import render_reference


def test_a_variable_the_run_never_set_is_optional_any_in_the_schema(tmp_path: Path) -> None:
    """`{{#each items}}` with no value for items: `items?: any`, not a required string."""
    from dotpromptz import Dotprompt

    ws = _workspace(tmp_path)
    proc = pg(
        ws,
        *("run", "-p", "Hi {{name}}.{{#each items}} - {{this}}{{/each}}"),
        *("--var", "name=Ann", "-m", "echo", "-t", "0", "--json"),
    )
    assert proc.returncode == 0, proc.stderr
    rid = json.loads(proc.stdout)["cells"][0]["id"]
    assert pg(ws, "promote", str(rid), "--name", "greet").returncode == 0

    text = (ws / "prompts" / "greet.prompt").read_text(encoding="utf-8")
    parsed = Dotprompt().parse(text)
    assert parsed.input.schema == {"name": "string", "items?": "any"}
    assert parsed.input.default == {"name": "Ann"}
    assert render_reference(text, {"items": ["tea", "cake"]})[0].content == ("Hi Ann. - tea - cake")
    pf = load_prompt("greet", ws / "prompts")
    assert pf.warnings == []  # both variables declared
    again = pg(ws, "run", "prompts/greet.prompt", "--json")
    assert json.loads(again.stdout)["cells"][0]["output"].endswith("user: Hi Ann.\n")
