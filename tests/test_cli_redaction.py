"""A key found in an answer reads the same everywhere: `run`'s text and --json hide it as
`show` and `export` do (they said `[redacted]` while run printed it verbatim)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import clean_env, playground
from loopback import LoopbackServer, Reply


def test_a_key_in_an_answer_is_redacted_in_run_show_and_export(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.write_config(tmp_path)
    env = clean_env(tmp_path, **loopback.env(), COLUMNS="200")
    key = loopback.env()["LO_OPENAI_KEY"]
    loopback.default = Reply(text=f"the key is {key} and that is all")
    text = playground(tmp_path, "run", "-p", "hi", "-m", "lo-openai:m", "-t", "0", env=env)
    as_json = playground(
        tmp_path, "run", "-p", "again", "-m", "lo-openai:m", "-t", "0", "--json", env=env
    )
    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    (cell,) = json.loads(as_json.stdout)["cells"]
    assert cell["output"] == "the key is [redacted] and that is all"
    assert "the key is [redacted] and that is all" in text.stdout
    for run_id in ("1", "2"):
        shown = playground(tmp_path, "show", run_id, env=env).stdout
        exported = playground(tmp_path, "export", run_id, "--format", "json", env=env).stdout
        assert "the key is [redacted] and that is all" in shown
        assert json.loads(exported)["cells"][0]["output"] == cell["output"]
    everything = text.stdout + as_json.stdout + text.stderr + as_json.stderr
    assert key not in everything
