"""`run --history FILE`: conversation history is run-time data, sent where Dotprompt places it
(``{{history}}``, else before the last user message), never written to the prompt file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground
from loopback import LoopbackServer

from playground.core.template import Message
from playground.library.reference import render_reference

HISTORY = [
    {"role": "user", "content": "What is an otter?"},
    {"role": "model", "content": "A mammal.\n"},
]
PAST = [Message("user", "What is an otter?"), Message("assistant", "A mammal.\n")]
FILES = {
    "placed": '---\nmodel: echo\n---\n{{role "system"}}Be brief.\n{{history}}\n'
    '{{role "user"}}And {{topic}}?\n',
    "inserted": '{{role "system"}}Be brief.\n{{role "user"}}And {{topic}}?\n',
}


@pytest.mark.parametrize("name", list(FILES))
def test_the_wire_carries_the_history_where_dotprompt_puts_it(
    tmp_path: Path, loopback: LoopbackServer, name: str
) -> None:
    loopback.write_config(tmp_path)
    (tmp_path / "t.prompt").write_text(FILES[name], encoding="utf-8")
    (tmp_path / "h.json").write_text(json.dumps(HISTORY), encoding="utf-8")
    proc = playground(
        tmp_path,
        *("run", "t.prompt", "-m", "lo-openai:gpt-x", "-t", "0", "--var", "topic=seals"),
        *("--history", "h.json", "--json"),
        env=clean_env(tmp_path, **loopback.env()),
    )
    assert proc.returncode == 0, proc.stderr
    sent = loopback.requests[0].body["messages"]
    expected = render_reference(FILES[name], {"topic": "seals"}, PAST)
    assert [(m["role"], m["content"]) for m in sent] == [(m.role, m.content) for m in expected]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert (tmp_path / "t.prompt").read_text(encoding="utf-8") == FILES[name]


def test_history_with_a_typed_prompt_and_in_the_estimate(tmp_path: Path) -> None:
    (tmp_path / "h.json").write_text(json.dumps(HISTORY), encoding="utf-8")
    args = ("-s", "Be brief.", "-p", "And seals?", "-m", "echo", "--json")
    ran = playground(tmp_path, "run", *args, "--history", "h.json")
    assert ran.returncode == 0, ran.stderr
    output = json.loads(ran.stdout)["cells"][0]["output"]
    assert output.index("Be brief.") < output.index("What is an otter?") < output.index("seals")
    without = playground(tmp_path, "estimate", *args)
    with_history = playground(tmp_path, "estimate", *args, "--history", "h.json")
    assert without.returncode == with_history.returncode == 0, with_history.stderr
    tokens = [json.loads(p.stdout)["cells"][0]["input_tokens"] for p in (without, with_history)]
    assert tokens[1] > tokens[0]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read"),
        ("{not json", "not JSON"),
        ('{"role": "user"}', "must be a JSON list"),
        ('[{"role": "robot", "content": "x"}]', "history item 1: role 'robot'"),
        ('[{"role": "user", "content": 3}]', "history item 1: content must be text"),
        ('["hi"]', "history item 1 must be an object"),
    ],
)
def test_a_bad_history_file_is_one_line_exit_2(
    tmp_path: Path, content: str | None, words: str
) -> None:
    if content is not None:
        (tmp_path / "h.json").write_text(content, encoding="utf-8")
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "echo", "--history", "h.json")
    assert proc.returncode == 2
    assert proc.stderr.startswith("playground: --history h.json: ") and words in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
