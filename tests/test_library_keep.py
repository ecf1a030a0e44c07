"""Promote never destroys a NAME.prompt that no version holds: hand-written or hand-edited
files are kept as a version of their own before the promoted one replaces them."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import playground as pg

from playground.core.template import PromptTemplate
from playground.library import list_versions, load_prompt, promote
from playground.library.reference import render_reference

HAND = """---
# written by hand for a Genkit app
model: googleai/gemini-2.0-flash
config:
  temperature: 0.3
---
{{role "system"}}
My precious, my own words.
{{role "user"}}
Tell me about {{topic}}.
"""


def _run_echo(ws: Path) -> int:
    proc = pg(ws, "run", "-p", "hi", "-m", "echo", "-t", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    return int(json.loads(proc.stdout)["cells"][0]["id"])


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    return tmp_path


def test_promote_over_a_hand_written_file_keeps_it_as_a_version(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    (ws / "prompts" / "hand.prompt").write_text(HAND, encoding="utf-8")
    rid = _run_echo(ws)

    proc = pg(ws, "promote", str(rid), "--name", "hand")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "hand.prompt had changes of its own (written or edited by hand); kept them as hand/v1.prompt",
        f"promoted response {rid} as hand v2: prompts/hand.prompt (kept as prompts/hand/v2.prompt)",
    ]
    assert proc.stderr == ""
    assert list_versions(ws / "prompts", "hand") == [1, 2]
    kept = (ws / "prompts" / "hand" / "v1.prompt").read_text(encoding="utf-8")
    # the user's text, comment and all, plus our version and a note saying why it is there
    for line in HAND.splitlines():
        assert line in kept.splitlines()
    v1 = load_prompt("hand", ws / "prompts", version=1)
    assert v1.version == 1
    assert v1.provenance["note"] == "kept: hand.prompt written by hand (or by another tool)"
    assert render_reference(kept, {"topic": "rings"}) == render_reference(HAND, {"topic": "rings"})
    current = (ws / "prompts" / "hand.prompt").read_text(encoding="utf-8")
    assert "My precious" not in current and "user: hi" not in current
    assert load_prompt("hand", ws / "prompts").version == 2

    again = pg(ws, "promote", str(rid), "--name", "hand")
    assert again.stdout.strip() == "hand v2 already has this content; no new version"


def test_promote_over_a_hand_edited_file_keeps_the_edit(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    template = PromptTemplate.from_parts("sys", "About {{topic}}.")
    promote(folder, "facts", template=template, model="echo", variables={"topic": "otters"})
    current = folder / "facts.prompt"
    edited = current.read_text(encoding="utf-8").replace("About", "Around")
    current.write_text(edited, encoding="utf-8")

    p = promote(folder, "facts", template=template, model="echo", temperature=0.1)
    assert (p.version, p.kept_path) == (3, folder / "facts" / "v2.prompt")
    assert p.kept_message in p.warnings  # the TUI shows the first warning
    kept = load_prompt("facts", folder, version=2)
    assert kept.template.messages[1].content == "Around {{topic}}."
    assert kept.version == 2  # not the v1 it was copied from
    assert kept.provenance["note"] == "kept: facts.prompt edited by hand since v1"
    assert "About" in (folder / "facts" / "v1.prompt").read_text(encoding="utf-8")
    assert load_prompt("facts", folder).temperature == 0.1


def test_a_hand_edited_file_with_the_same_content_is_kept_not_lost(tmp_path: Path) -> None:
    """Promoting what the edited file already says: no new content version, the file kept."""
    folder = tmp_path / "prompts"
    template = PromptTemplate.from_parts("sys", "About {{topic}}.")
    promote(folder, "facts", template=template, model="echo", variables={"topic": "otters"})
    current = folder / "facts.prompt"
    current.write_text(
        current.read_text(encoding="utf-8").replace("---\n", "---\n# reviewed\n", 1), "utf-8"
    )
    p = promote(folder, "facts", template=template, model="echo", variables={"topic": "otters"})
    assert (p.identical, p.version, p.kept_path) == (True, 2, folder / "facts" / "v2.prompt")
    assert "# reviewed" in (folder / "facts" / "v2.prompt").read_text(encoding="utf-8")
    assert current.read_text(encoding="utf-8") == p.kept_path.read_text(encoding="utf-8")


def test_a_broken_hand_file_is_kept_byte_for_byte(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    broken = "---\nmodel: [unclosed\n---\nMy precious.\n"
    (folder / "facts.prompt").write_text(broken, encoding="utf-8")
    template = PromptTemplate.from_parts("sys", "About {{topic}}.")
    p = promote(folder, "facts", template=template, variables={"topic": "otters"})
    assert p.version == 2
    assert (folder / "facts" / "v1.prompt").read_text(encoding="utf-8") == broken


def test_commit_includes_the_kept_file(tmp_path: Path) -> None:
    import subprocess

    ws = _workspace(tmp_path)
    (ws / "prompts" / "hand.prompt").write_text(HAND, encoding="utf-8")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ws, capture_output=True, text=True, check=True
        ).stdout

    git("init", "-q", "-b", "main")
    git("config", "user.name", "Test")
    git("config", "user.email", "test@example.com")
    rid = _run_echo(ws)
    proc = pg(ws, "promote", str(rid), "--name", "hand", "--commit")
    assert proc.returncode == 0, proc.stderr
    committed = git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == [
        "prompts/hand.prompt",
        "prompts/hand/v1.prompt",
        "prompts/hand/v2.prompt",
    ]


def test_preview_over_a_hand_written_file_says_it_will_be_kept(tmp_path: Path) -> None:
    """The TUI's promote dialog shows the preview: the version it names must be the one written."""
    from playground.library import preview_promotion, render_prompt_file

    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "hand.prompt").write_text(HAND, encoding="utf-8")
    text = render_prompt_file(PromptTemplate.from_parts("sys", "hi"), model="echo")
    preview = preview_promotion(folder, "hand", text)
    assert preview.next_version == 2
    assert preview.diff.startswith("--- hand (current, not a version)\n+++ hand v2\n")
    assert preview.warnings == [
        "hand.prompt has changes of its own (written or edited by hand); "
        "they will be kept as hand/v1.prompt"
    ]
    written = promote(folder, "hand", template=PromptTemplate.from_parts("sys", "hi"), model="echo")
    assert written.version == preview.next_version
