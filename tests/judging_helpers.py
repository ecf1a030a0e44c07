"""A workspace with a prompt file and its tests, answered by scripted loopback models, for the
judging TUI tests (pass/fail badges, pinning, stability, compare, fragility)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loopback import LoopbackServer, RecordedRequest, Reply

PROMPT = """---
model: lo-openai:gpt-a
config:
  temperature: 0
input:
  schema:
    topic: string
---
You are brief. Answer in one sentence. Write one sentence about {{topic}}.
"""

TESTS = """# tests for the about prompt: keep this comment
defaults:
  assert:
    - {type: max-length, value: 200}  # short answers only
cases:
  - vars: {topic: otters}
    description: otters are named
    assert:
      - {type: icontains, value: otter}
  # owls come second
  - vars: {topic: owls}
    assert:
      - {type: icontains, value: owl}
  - vars: {topic: bats}
    assert:
      - {type: icontains, value: bat}
      - {type: judge, value: "Is it about {{topic}}?", model: lo-openai:judge}
"""


def topic_of(rec: RecordedRequest) -> str | None:
    text = json.dumps(rec.body.get("messages") if isinstance(rec.body, dict) else "")
    for topic in ("otters", "owls", "bats"):
        if topic in text:
            return topic
    return None


def answer_by_topic(rec: RecordedRequest) -> Reply | None:
    """gpt-a names the topic, except bats (it says birds); claude-b always says birds. The
    judge (model "judge") says no, with a reason."""
    if rec.model == "judge":
        return Reply(text='{"pass": false, "score": 0.1, "reason": "it is about birds"}')
    topic = topic_of(rec)
    if rec.model == "gpt-a" and topic in ("otters", "owls"):
        return Reply(text=f"{topic.capitalize()} are wonderful animals.")
    return Reply(text="Birds are wonderful animals.")


def write_workspace(tmp_path: Path, srv: LoopbackServer, tests: str = TESTS, **opts: Any) -> Any:
    """prompts/about.prompt and its tests file; returns the workspace's Settings."""
    from playground.config import load_settings

    opts.setdefault("models", ["lo-openai:gpt-a"])
    opts.setdefault("temperatures", [0.0])
    path = srv.write_config(tmp_path, **opts)
    (tmp_path / "prompts").mkdir(exist_ok=True)
    (tmp_path / "prompts" / "about.prompt").write_text(PROMPT, encoding="utf-8")
    if tests:
        (tmp_path / "prompts" / "about.tests.yaml").write_text(tests, encoding="utf-8")
    srv.on_request = answer_by_topic
    return load_settings(path, cwd=tmp_path)


def main_screen(app: Any) -> Any:
    """The main screen, under any screen pushed over it."""
    return next(s for s in app.screen_stack if type(s).__name__ == "MainScreen")


def board_done(app: Any) -> bool:
    evals = main_screen(app).evals
    return evals.board is not None and evals.board.finished and not evals.running


async def wait_graded(pilot: Any, app: Any, timeout: float = 30.0) -> Any:
    """Wait until the eval on the grid has finished; on a timeout, say what the app said."""
    from tui_main_helpers import wait_for

    try:
        await wait_for(pilot, lambda: board_done(app), timeout=timeout)
    except AssertionError:
        board = main_screen(app).evals.board
        said = [str(n.message) for n in app._notifications]
        state = board and (board.finished, board.cases_done, board.total_cases)
        raise AssertionError(f"no finished eval: board {state}, notifications {said}") from None
    await pilot.pause()
    return main_screen(app).evals.board
