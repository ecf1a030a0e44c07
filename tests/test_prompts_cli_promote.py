"""`playground promote` as a user runs it, and `--commit` in a temporary git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import clean_env, playground
from test_library_promote import TEMPLATE, VARIABLES, run_recorded

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.store import Store


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=30
    ).stdout


def pg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git_identity = {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return playground(cwd, *args, env=clean_env(cwd, **git_identity))


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, int]:
    """A workspace whose session database (PLAYGROUND_DB) holds one echo response."""
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    settings = Settings(db_path_override=tmp_path / "sessions.db")
    store = Store.open(settings.db_path())
    try:
        plan = RunPlan(
            template=TEMPLATE, variables=dict(VARIABLES), models=["echo"], temperatures=[0.4]
        )
        (result,) = run_recorded(settings, store, plan)
    finally:
        store.close()
    return tmp_path, int(result.id)


def test_promote_writes_the_version_and_says_so(recorded: tuple[Path, int]) -> None:
    ws, rid = recorded
    proc = pg(ws, "promote", str(rid), "--name", "facts", "--note", "short and right")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f"promoted response {rid} as facts v1: prompts/facts.prompt (kept as prompts/facts/v1.prompt)"
    )
    text = (ws / "prompts" / "facts.prompt").read_text(encoding="utf-8")
    assert "temperature: 0.4" in text and "note: short and right" in text
    again = pg(ws, "promote", str(rid), "--name", "facts", "--json")
    assert json.loads(again.stdout)["identical"] is True
    assert sorted(p.name for p in (ws / "prompts" / "facts").iterdir()) == ["v1.prompt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("promote", "999", "--name", "x"), "playground: no response 999 in "),
        (("promote", "RID", "--name", "../x"), "playground: prompt name '../x' would escape"),
        (("promote", "RID", "--name", "a b"), "playground: prompt name 'a b' has characters"),
    ],
)
def test_promote_bad_input_is_one_line_exit_2(
    recorded: tuple[Path, int], args: tuple[str, ...], message: str
) -> None:
    ws, rid = recorded
    proc = pg(ws, *[str(rid) if a == "RID" else a for a in args])
    assert proc.returncode == 2
    assert proc.stderr.startswith(message), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (ws / "prompts").exists() or not any((ws / "prompts").rglob("*.prompt"))


def test_commit_commits_just_the_promoted_files(recorded: tuple[Path, int]) -> None:
    ws, rid = recorded
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.name", "Test")
    git(ws, "config", "user.email", "test@example.com")
    (ws / "notes.txt").write_text("work in progress\n", encoding="utf-8")
    git(ws, "add", "notes.txt")  # staged, and must stay out of the promote commit

    proc = pg(ws, "promote", str(rid), "--name", "team/facts", "--note", "v1 wins", "--commit")
    assert proc.returncode == 0, proc.stderr
    assert "committed " in proc.stdout
    assert git(ws, "log", "--format=%s").strip() == "prompt team/facts v1: v1 wins"
    committed = git(ws, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == ["prompts/team/facts.prompt", "prompts/team/facts/v1.prompt"]
    assert git(ws, "diff", "--cached", "--name-only").split() == ["notes.txt"]


def test_commit_outside_a_repository_keeps_the_files_and_says_why(
    recorded: tuple[Path, int],
) -> None:
    ws, rid = recorded
    proc = pg(ws, "promote", str(rid), "--name", "facts", "--commit")
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("playground: the files are written but not committed:")
    assert "not in a git repository" in proc.stderr
    assert (ws / "prompts" / "facts" / "v1.prompt").is_file()


def test_run_promote_run_from_the_command_line_sends_the_same_request(tmp_path: Path) -> None:
    """The whole loop as a user types it; the two requests compared as the store kept them."""
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    first = pg(
        tmp_path,
        *("run", "-s", "Be brief.\nNo lists.", "-p", "Facts about {{topic}} ✓"),
        *("--var", "topic=otters", "-m", "echo", "-t", "0.3", "-t", "0.9"),
        *("--max-tokens", "40", "--seed", "3", "--json"),
    )
    assert first.returncode == 0, first.stderr
    cells = json.loads(first.stdout)["cells"]
    chosen = next(c for c in cells if c["temperature"] == 0.9)

    promoted = pg(tmp_path, "promote", str(chosen["id"]), "--name", "otters")
    assert promoted.returncode == 0, promoted.stderr
    second = pg(tmp_path, "run", "prompts/otters.prompt", "--json", "--no-cache")
    assert second.returncode == 0, second.stderr
    (cell,) = json.loads(second.stdout)["cells"]
    assert cell["output"] == chosen["output"]

    store = Store.open(tmp_path / "sessions.db")
    try:
        before = store.get_response(chosen["id"])["request"]
        after = store.get_response(cell["id"])["request"]
        assert before["body"]["messages"][0]["content"] == "Be brief.\nNo lists."
        assert after == before
    finally:
        store.close()


def test_promoting_a_failed_response_warns(tmp_path: Path, loopback: Any) -> None:
    """The prompt of a failed cell can still be promoted, but the command says it failed."""
    from loopback import Reply

    loopback.write_config(tmp_path, max_retries=0)
    loopback.enqueue(Reply(status=400, error_message="no such model"))
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "lo-openai:m", "-t", "0", "--json", env=env
    )
    (cell,) = json.loads(proc.stdout)["cells"]
    assert cell["status"] == "error"
    out = playground(tmp_path, "promote", str(cell["id"]), "--name", "hi", env=env)
    assert out.returncode == 0, out.stderr
    assert "did not finish ok (HTTP 400: no such model); its prompt was promoted anyway" in (
        out.stderr
    )
