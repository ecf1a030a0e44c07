"""Opening a session database: migrations from every earlier version, and refusing, untouched,
anything that is not ours (another program's file, a newer playground's database, a place
that cannot be written)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply

from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store, StoreError
from playground.store.migrations import MIGRATIONS, migrate
from playground.store.opening import connect


def schema(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    return [(t, n, " ".join((s or "").split())) for t, n, s in rows]


def fingerprint(path: Path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


def test_empty_database_gets_every_migration_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "playground.db"
    store = Store.open(db)
    assert store.schema_version() == [name for name, _ in MIGRATIONS]
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    store.close()
    # opening again changes nothing
    before = schema(db)
    Store.open(db).close()
    assert schema(db) == before


def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    db.touch()
    Store.open(db).close()
    assert {"sessions", "runs", "responses", "ratings"} <= {n for _, n, _ in schema(db)}


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_a_database_at_each_earlier_version_is_upgraded_with_its_data(
    tmp_path: Path, version: int
) -> None:
    fresh = tmp_path / "fresh.db"
    Store.open(fresh).close()

    old = tmp_path / "old.db"
    conn = connect(old)
    migrate(conn, upto=MIGRATIONS[version - 1][0])
    assert [r[0] for r in conn.execute("SELECT name FROM _playground_migrations")] == [
        n for n, _ in MIGRATIONS[:version]
    ]
    # data as that version wrote it: a finished run by a process long gone
    conn.execute(
        "INSERT INTO sessions (id, created_at, source, pid, host) "
        "VALUES (1, '2026-01-01T00:00:00.000Z', 'cli', 999999999, 'elsewhere')"
    )
    conn.execute(
        "INSERT INTO runs (id, session_id, created_at, status, template, variables, models, "
        "temperatures, params, repeats, use_cache, system, prompt, messages) VALUES (1, 1, "
        '\'2026-01-01T00:00:00.000Z\', \'done\', \'{"messages": [{"role": "user", '
        '"content": "Tell me about {{animal}}"}]}\', \'{"animal": "otters"}\', '
        "'[\"echo\"]', '[0.7]', '{\"max_tokens\": 64}', 1, 1, '', "
        "'Tell me about otters', '[]')"
    )
    conn.execute(
        "INSERT INTO responses (id, run_id, cell_index, model, temperature, sample, status, "
        "output, cost_usd) VALUES (1, 1, 0, 'echo', 0.7, 1, 'ok', 'Otters hold hands asleep.', 0)"
    )
    conn.close()

    store = Store.open(old)
    assert store.schema_version() == [name for name, _ in MIGRATIONS]
    assert schema(old) == schema(fresh)
    # the old rows are intact, searchable and rateable
    assert store.get_response(1)["output"] == "Otters hold hands asleep."
    assert [r["id"] for r in store.list_runs("asleep")] == [1]
    assert [r["id"] for r in store.list_runs("otter")] == [1]  # porter: otters ~ otter
    store.rate(1, 5, "cute")
    assert store.get_response(1)["rating"] == {"score": 5, "note": "cute", "scale": "stars"}
    plan = store.plan_from_run(store.get_run(1))
    assert plan.render()[0].content == "Tell me about otters" and plan.max_tokens == 64
    store.close()


async def test_raw_responses_are_stored_compressed_and_older_plain_ones_still_read(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """m009: a raw response recorded now is kept zstd-compressed (a stream is the same frame
    over and over); one recorded before, plain in ``raw_response``, reads back as it was."""
    db = tmp_path / "old.db"
    conn = connect(db)
    migrate(conn, upto="m008_batch_jobs")
    conn.execute(
        "INSERT INTO sessions (id, created_at, source, pid, host) "
        "VALUES (1, '2026-01-01T00:00:00.000Z', 'cli', 999999999, 'elsewhere')"
    )
    conn.execute("INSERT INTO runs (id, session_id, created_at, status) VALUES (1, 1, 'x', 'done')")
    conn.execute(
        "INSERT INTO responses (id, run_id, cell_index, status, output, raw_response) "
        "VALUES (1, 1, 0, 'ok', 'hi', 'HTTP/1.1 200 OK\n\ndata: hi')"
    )
    conn.close()
    store = Store.open(db)
    assert store.get_response(1)["raw_response"] == "HTTP/1.1 200 OK\n\ndata: hi"

    loopback.default = Reply(text=" ".join(f"word{i}" for i in range(200)), chunks=200)
    runner = Runner(loopback.settings(), recorder=store)
    plan = RunPlan(PromptTemplate.from_parts("", "Count."), models=["lo-openai:m"])
    (result,) = (await runner.run(plan)).results
    await runner.aclose()
    assert result.raw_response.startswith("HTTP/1.1 200") and "data: [DONE]" in result.raw_response
    ((plain, packed),) = store.conn.execute(
        "SELECT raw_response, raw_response_zst FROM responses WHERE id = ?", (result.id,)
    ).fetchall()
    assert plain is None and len(packed) * 10 < len(result.raw_response)
    assert store.get_response(result.id)["raw_response"] == result.raw_response
    store.close()


def test_marking_a_run_done_leaves_its_prompt_index_alone(tmp_path: Path) -> None:
    """m010: a run's status and end time change without re-indexing its text (FTS5 writes a
    new segment for each transaction that touches the index); a change of its text does."""
    store = Store.open(tmp_path / "fts.db")
    store.new_session("test")
    conn = store.conn
    conn.execute(
        "INSERT INTO runs (id, session_id, created_at, status, system, prompt) "
        "VALUES (1, ?, 'x', 'running', 'Be terse.', 'Tell me about otters')",
        (store.session_id,),
    )

    def segments() -> int:
        return conn.execute("SELECT COUNT(*) FROM runs_fts_data").fetchone()[0]

    before = segments()
    conn.execute("UPDATE runs SET status = 'done', finished_at = 'y' WHERE id = 1")
    assert segments() == before
    assert [r["id"] for r in store.list_runs("otters")] == [1]
    conn.execute("UPDATE runs SET prompt = 'Tell me about beavers' WHERE id = 1")
    assert segments() > before
    assert [r["id"] for r in store.list_runs("beavers")] == [1]
    assert store.list_runs("otters") == []
    store.close()


def test_two_processes_creating_one_database_at_once(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    code = "import sys; from playground.store import Store; Store.open(sys.argv[1]).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=30)
        assert p.returncode == 0, err.decode()
    assert Store.open(db).schema_version() == [name for name, _ in MIGRATIONS]


def _other_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()


def _newer(path: Path) -> None:
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _playground_migrations (name, applied_at) VALUES ('m099_future', 'x')"
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _sqlite_with(sql: str) -> Any:
    def make(path: Path) -> None:
        conn = sqlite3.connect(path)
        conn.executescript(sql)
        conn.close()

    return make


CASES = {
    "text": (lambda p: p.write_text("name,total\nacme,12.5\n"), "not a playground database"),
    # no tables, but another app's all the same: a view, or its own schema version
    "a-view-only": (_sqlite_with("CREATE VIEW v AS SELECT 1 AS one;"), "not a playground"),
    "user-version": (_sqlite_with("PRAGMA user_version = 7;"), "not a playground database"),
    "other-sqlite": (_other_sqlite, "not a playground database"),
    "newer": (_newer, "newer playground"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refuses_what_is_not_ours_and_leaves_it_untouched(tmp_path: Path, case: str) -> None:
    make, words = CASES[case]
    db = tmp_path / "thing.db"
    make(db)
    before = fingerprint(db)
    with pytest.raises(StoreError) as info:
        Store.open(db)
    message = str(info.value)
    assert words in message and str(db) in message and "\n" not in message
    assert fingerprint(db) == before


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_KEY")) and k not in ("PLAYGROUND_CONFIG", "PLAYGROUND_DB")
    }
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), XDG_DATA_HOME=str(tmp_path / "xdg"))
    return subprocess.run(
        [sys.executable, "-m", "playground", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", ["run", "history"])
def test_cli_with_a_bad_database_says_one_line_and_exits_2(tmp_path: Path, command: str) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n")
    before = fingerprint(db)
    args = ["run", "-p", "hi", "-m", "echo"] if command == "run" else ["history"]
    result = _cli(tmp_path, *args, "--db", str(db))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: ")
    assert str(db) in lines[0] and "not a playground database" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert fingerprint(db) == before


def test_a_location_that_cannot_be_written_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    db = blocker / "sessions" / "playground.db"  # a folder under a file: cannot exist
    with pytest.raises(StoreError) as info:
        Store.open(db)
    assert str(db) in str(info.value)
    result = _cli(tmp_path, "run", "-p", "hi", "-m", "echo", "--db", str(db))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(db) in lines[0] and "cannot create" in lines[0]
    assert blocker.read_text() == "x"


def test_a_read_only_database_file_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    Store.open(db).close()
    for extra in (tmp_path / "ro.db-wal", tmp_path / "ro.db-shm"):
        extra.unlink(missing_ok=True)
    before = fingerprint(db)
    db.chmod(0o444)
    if os.access(db, os.W_OK):
        pytest.skip("running as root: file permissions do not stop writes")
    with pytest.raises(StoreError) as info:
        Store.open(db)
    assert str(db) in str(info.value)
    assert fingerprint(db) == before


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


def test_a_new_workspace_database_is_ignored_by_git(tmp_path: Path) -> None:
    """sessions/ holds every prompt and answer: a `git add .` in the workspace leaves it out."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    Store.open(tmp_path / "sessions" / "playground.db").close()
    status = subprocess.run(
        ["git", "status", "--porcelain", "-uall"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        "sessions/playground.db" not in status and (tmp_path / "sessions" / ".gitignore").is_file()
    )
