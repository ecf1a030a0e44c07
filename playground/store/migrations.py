"""Named, append-only schema migrations, recorded in a table (the ``llm`` CLI's model).

Never edit or reorder a migration once released: add a new one. A database whose table lists
a migration this code does not know was written by a newer playground and is refused.
Migrations take a sqlite-utils ``Database``; it is imported only when one is pending, so
opening an up-to-date database stays cheap.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS_TABLE = "_playground_migrations"

TYPE_CHECKING = False  # not importing typing keeps `playground history` quick to start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Migration = Callable[[Any], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def known_names() -> list[str]:
    return [name for name, _ in MIGRATIONS]


@migration
def m001_initial(db: Any) -> None:
    """Sessions (one per CLI invocation or TUI launch), runs (the plan), responses (cells)."""
    db["sessions"].create(
        {
            "id": int,
            "created_at": str,
            "source": str,
            "label": str,
            "pid": int,
            "host": str,
            "cwd": str,
            "version": str,
        },
        pk="id",
    )
    db["runs"].create(
        {
            "id": int,
            "session_id": int,
            "created_at": str,
            "finished_at": str,
            "status": str,  # running | done | interrupted
            "template": str,  # JSON: PromptTemplate.to_dict()
            "variables": str,  # JSON
            "models": str,  # JSON list
            "temperatures": str,  # JSON list
            "params": str,  # JSON: max_tokens, top_p, seed, stop
            "repeats": int,
            "use_cache": int,
            "prompt_name": str,
            "prompt_version": int,
            "system": str,  # rendered, for search and display
            "prompt": str,  # rendered user message(s)
            "messages": str,  # JSON: the rendered messages
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db["responses"].create(
        {
            "id": int,
            "run_id": int,
            "cell_index": int,
            "model": str,
            "temperature": float,
            "sample": int,
            "provider": str,
            "model_used": str,
            "fallback_used": str,
            "status": str,  # pending | running | ok | error | cancelled | interrupted
            "output": str,
            "reasoning": str,
            "error": str,
            "finish_reason": str,
            "input_tokens": int,
            "output_tokens": int,
            "cached_input_tokens": int,
            "cache_write_tokens": int,
            "usage_source": str,
            "estimated_input_tokens": int,
            "cost_usd": float,
            "ttft_ms": float,
            "latency_ms": float,
            "cached": int,
            "cached_from": int,
            "cache_key": str,
            "attempts": int,
            "request": str,  # JSON: the wire request, no secrets
            "started_at": str,
            "ended_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        defaults={"output": "", "reasoning": "", "cached": 0, "attempts": 0},
    )
    db["responses"].create_index(["run_id"])
    db["responses"].create_index(["cache_key"])
    db["responses"].create_index(["model_used", "usage_source"])
    # in-flight rows, found at every open to mark the ones a dead process left behind
    db.execute(
        "CREATE INDEX responses_in_flight ON responses(run_id) "
        "WHERE status IN ('pending', 'running')"
    )
    db.execute("CREATE INDEX runs_running ON runs(session_id) WHERE status = 'running'")


@migration
def m002_ratings(db: Any) -> None:
    """One rating per response (rating again replaces it): -1/+1 or 1..5, and a note."""
    db["ratings"].create(
        {"response_id": int, "score": int, "note": str, "created_at": str},
        pk="response_id",
        foreign_keys=[("response_id", "responses", "id")],
    )


@migration
def m003_search(db: Any) -> None:
    """Full-text search (FTS5, porter stemming) over prompts and outputs, kept by triggers."""
    db["runs"].enable_fts(["system", "prompt"], create_triggers=True, tokenize="porter")
    db["responses"].enable_fts(["output"], create_triggers=True, tokenize="porter")


FINAL = "NOT IN ('pending', 'running')"


@migration
def m004_index_finished_outputs(db: Any) -> None:
    """Index an output once its cell has ended, not at every flush of a stream: the FTS
    triggers fire only for finished rows, so streaming costs no re-indexing."""
    for suffix in ("ai", "ad", "au"):
        db.execute(f"DROP TRIGGER IF EXISTS responses_{suffix}")
    db.executescript(
        f"""
        CREATE TRIGGER responses_ai AFTER INSERT ON responses WHEN new.status {FINAL} BEGIN
          INSERT INTO responses_fts (rowid, output) VALUES (new.id, new.output);
        END;
        CREATE TRIGGER responses_ad AFTER DELETE ON responses WHEN old.status {FINAL} BEGIN
          INSERT INTO responses_fts (responses_fts, rowid, output)
            VALUES ('delete', old.id, old.output);
        END;
        CREATE TRIGGER responses_au_old AFTER UPDATE ON responses WHEN old.status {FINAL} BEGIN
          INSERT INTO responses_fts (responses_fts, rowid, output)
            VALUES ('delete', old.id, old.output);
        END;
        CREATE TRIGGER responses_au_new AFTER UPDATE ON responses WHEN new.status {FINAL} BEGIN
          INSERT INTO responses_fts (rowid, output) VALUES (new.id, new.output);
        END;
        """
    )
    db.execute("INSERT INTO responses_fts (responses_fts) VALUES ('delete-all')")
    db.execute(
        f"INSERT INTO responses_fts (rowid, output) SELECT id, output FROM responses "
        f"WHERE status {FINAL}"
    )


@migration
def m005_rating_scale(db: Any) -> None:
    """Which scale a rating is on: "thumbs" (-1/+1) or "stars" (1..5). Before this, good (+1)
    and one star were both stored as 1; those old 1s keep a NULL scale (unknown)."""
    db.execute("ALTER TABLE ratings ADD COLUMN scale TEXT")
    db.execute("UPDATE ratings SET scale = 'thumbs' WHERE score = -1")
    db.execute("UPDATE ratings SET scale = 'stars' WHERE score BETWEEN 2 AND 5")


@migration
def m006_raw_response(db: Any) -> None:
    """The response as it came over the wire (status, headers, body; capped, keys hidden),
    so the inspect view can show it for past runs too."""
    db.execute("ALTER TABLE responses ADD COLUMN raw_response TEXT")


@migration
def m007_eval_results(db: Any) -> None:
    """Evaluations: an eval is a run (its cells are the cases' outputs) plus what it was run
    from (prompt version and content hash, tests file) and its summary; each case × cell
    result points at its response, with every assertion's verdict (JSON)."""
    db["eval_runs"].create(
        {
            "run_id": int,
            "created_at": str,
            "prompt_name": str,
            "prompt_version": int,
            "prompt_hash": str,  # sha256 of the prompt file's text
            "prompt_path": str,
            "tests_path": str,
            "cases_path": str,
            "judge_run_id": int,  # judge calls are recorded as a run of their own
            "perturb": int,
            "perturb_seed": int,
            "baseline_of": int,  # this eval is the baseline run for that eval run
            "label": str,  # the label its version was picked by (--baseline)
            "summary": str,  # JSON: the summary rows
        },
        pk="run_id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["eval_results"].create(
        {
            "id": int,
            "run_id": int,
            "response_id": int,
            "case_index": int,
            "model": str,
            "temperature": float,
            "sample": int,
            "description": str,
            "vars": str,  # JSON
            "passed": int,
            "score": float,
            "error": str,
            "assertions": str,  # JSON list of {type, passed, score, reason}
            "variation": str,
            "variation_kind": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["eval_results"].create_index(["run_id", "case_index"])
    db["eval_results"].create_index(["response_id"])


@migration
def m008_batch_jobs(db: Any) -> None:
    """Jobs sent to a provider's batch API (`run --batch`), so any later process can follow
    and collect them; a cell waiting in one has its job's id in ``responses.batch_id`` (and
    status pending until collected)."""
    db.execute(
        """
        CREATE TABLE batch_jobs (
          id INTEGER PRIMARY KEY,
          provider TEXT NOT NULL,
          job_id TEXT NOT NULL,           -- the provider's id (batch_..., msgbatch_...)
          run_id INTEGER REFERENCES runs(id),
          model TEXT,                     -- the model id when the job holds one model
          state TEXT NOT NULL,            -- the provider's status, then 'collected'
          request_count INTEGER NOT NULL,
          counts TEXT,                    -- JSON: the provider's request_counts
          input_file_id TEXT,
          output_file_id TEXT,
          error_file_id TEXT,
          results_url TEXT,
          estimated_cost_usd REAL,        -- the worst case at the batch price
          created_at TEXT NOT NULL,
          updated_at TEXT,
          collected_at TEXT,
          note TEXT,                      -- what collect found wrong, if anything
          UNIQUE (provider, job_id)
        )
        """
    )
    db.execute("ALTER TABLE responses ADD COLUMN batch_id TEXT")
    db.execute("CREATE INDEX responses_batch ON responses(batch_id) WHERE batch_id IS NOT NULL")


@migration
def m009_raw_response_zst(db: Any) -> None:
    """Raw responses are stored zstd-compressed (store/rawpack.py): a stream's events are the
    same frame over and over, about 50 times smaller compressed, and writing them whole was
    most of what recording a run cost. Older rows keep the plain ``raw_response``."""
    db.execute("ALTER TABLE responses ADD COLUMN raw_response_zst BLOB")


@migration
def m010_runs_fts_on_text_only(db: Any) -> None:
    """The prompts' index is kept up to date when a run's text changes, not at every update
    of the run: sqlite-utils' trigger fired on any column, so marking a run done deleted and
    re-indexed its whole system and user text (tokenized twice; ~0.5 ms for a 20 KB prompt)."""
    db.execute("DROP TRIGGER IF EXISTS runs_au")
    db.execute(
        """
        CREATE TRIGGER runs_au AFTER UPDATE OF system, prompt ON runs BEGIN
          INSERT INTO runs_fts (runs_fts, rowid, system, prompt)
            VALUES ('delete', old.rowid, old.system, old.prompt);
          INSERT INTO runs_fts (rowid, system, prompt) VALUES (new.rowid, new.system, new.prompt);
        END
        """
    )


@migration
def m011_cache_hits_index(db: Any) -> None:
    """The cache's question (the newest ok answer for a key, an original before a copy) is
    answered from one index entry, however many times the same call was recorded: the plain
    index on ``cache_key`` found every row of the key and sorted them (0.7 ms a run at 40
    reruns, growing with each). Only ok rows are in it: a run's pending rows, recorded before
    anything is sent, no longer touch it."""
    db.execute("DROP INDEX IF EXISTS idx_responses_cache_key")
    db.execute(
        "CREATE INDEX responses_cache_hits ON responses(cache_key, cached, id DESC) "
        "WHERE status = 'ok' AND cache_key IS NOT NULL"
    )


def applied(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(f"SELECT name FROM [{MIGRATIONS_TABLE}] ORDER BY rowid").fetchall()
    return [r[0] for r in rows]


def migrate(conn: sqlite3.Connection, upto: str | None = None) -> list[str]:
    """Apply pending migrations in one IMMEDIATE transaction (so two processes opening a new
    database at once do not both create it). ``upto`` stops after that one (for tests)."""
    from sqlite_utils import Database

    from playground.store.stamps import iso

    db = Database(conn, execute_plugins=False)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS [{MIGRATIONS_TABLE}] "
            "(name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = set(applied(conn))
        ran: list[str] = []
        for name, fn in MIGRATIONS:
            if name not in done:
                fn(db)
                conn.execute(
                    f"INSERT INTO [{MIGRATIONS_TABLE}] (name, applied_at) VALUES (?, ?)",
                    (name, iso()),
                )
                ran.append(name)
            if name == upto:
                break
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return ran
