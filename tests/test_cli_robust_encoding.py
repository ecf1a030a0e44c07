"""Files and arguments that are not UTF-8: one line naming the file and the byte, exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cli_helpers import playground
from test_library_promote import TEMPLATE, VARIABLES, run_recorded

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.store import Store

LATIN1_PROMPT = "---\nmodel: echo\n---\nCafé {{x}}\n".encode("latin-1")


def one_line_error(proc: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert err.startswith("playground: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    for part in parts:
        assert part in err, err


def test_import_of_a_latin1_file_names_it_and_the_byte(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes('prompt: "café $x"\n'.encode("latin-1"))
    proc = playground(tmp_path, "prompts", "import", "bad.yaml", "--name", "t")
    one_line_error(proc, "bad.yaml", "not UTF-8", "byte 0xe9 at offset 12")
    assert not (tmp_path / "prompts").exists()


def test_diff_of_a_latin1_current_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "lat.prompt").write_bytes(LATIN1_PROMPT)
    proc = playground(tmp_path, "prompts", "diff", "lat")
    one_line_error(proc, "lat.prompt", "not UTF-8", "byte 0xe9")


def test_history_query_that_is_not_utf8(tmp_path: Path) -> None:
    Store.open(tmp_path / "sessions.db").close()  # a database to search
    proc = playground(tmp_path, "history", "caf\udcff")  # what Python makes of b"caf\xff"
    one_line_error(proc, "QUERY", "not UTF-8", "byte 0xff at offset 3")


def test_promote_over_a_latin1_file_refuses_and_leaves_no_folder(tmp_path: Path) -> None:
    settings = Settings(db_path_override=tmp_path / "sessions.db")
    store = Store.open(settings.db_path())
    try:
        plan = RunPlan(template=TEMPLATE, variables=dict(VARIABLES), models=["echo"])
        (result,) = run_recorded(settings, store, plan)
    finally:
        store.close()
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "lat.prompt").write_bytes(LATIN1_PROMPT)
    proc = playground(tmp_path, "promote", str(result.id), "--name", "lat")
    one_line_error(proc, "lat.prompt", "not UTF-8")
    assert sorted(p.name for p in (tmp_path / "prompts").iterdir()) == ["lat.prompt"]
    assert (tmp_path / "prompts" / "lat.prompt").read_bytes() == LATIN1_PROMPT


def test_a_note_that_is_not_utf8_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("prompt: hi $x\n", encoding="utf-8")
    proc = playground(tmp_path, "prompts", "import", "ok.yaml", "--name", "t", "--note", "a\udcff")
    one_line_error(proc, "--note", "not UTF-8", "byte 0xff at offset 1")
    assert not (tmp_path / "prompts").exists()


def test_diff_with_a_latin1_version_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "prompts" / "lat").mkdir(parents=True)
    (tmp_path / "prompts" / "lat.prompt").write_text("---\nmodel: echo\n---\nHi\n", "utf-8")
    (tmp_path / "prompts" / "lat" / "v1.prompt").write_bytes(LATIN1_PROMPT)
    proc = playground(tmp_path, "prompts", "diff", "lat")
    one_line_error(proc, "v1.prompt", "not UTF-8", "byte 0xe9")
