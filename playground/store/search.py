"""History listing and full-text search, written to stay fast with 100,000 responses.

A query is matched against prompts (``runs_fts``) and outputs (``responses_fts``). Newest runs
come first; matching response rows are read newest first and lazily, so a common word stops
after enough runs instead of visiting every match. Snippets are computed for the shown runs only.
"""

from __future__ import annotations

import json
import sqlite3

TYPE_CHECKING = False  # not importing typing keeps `playground history` quick to start
if TYPE_CHECKING:
    from typing import Any

MARK = ("**", "**")  # how a snippet marks the matched words (Markdown bold)
SNIPPET_WORDS = 12
BATCH = 256


def fts_query(text: str) -> str:
    """User words -> an FTS5 query: every word must appear (quoted, so no syntax errors);
    a trailing * keeps prefix search ("otter*")."""
    terms = []
    for word in text.split():
        prefix = word.endswith("*")
        core = word.rstrip("*").replace('"', '""')
        if not core.strip('"'):
            continue
        terms.append(f'"{core}"' + ("*" if prefix else ""))
    return " ".join(terms)


def _first_line(text: str | None, width: int = 120) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def list_runs(conn: sqlite3.Connection, query: str | None, limit: int) -> list[dict[str, Any]]:
    limit = max(1, int(limit))
    match = fts_query(query) if query else ""
    snippets: dict[int, str] = {}
    if match:
        run_ids, snippets = _search(conn, match, limit)
    else:
        run_ids = [
            r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        ]
    if not run_ids:
        return []
    marks = ",".join("?" * len(run_ids))
    runs = {
        r[0]: r
        for r in conn.execute(
            f"SELECT id, session_id, created_at, status, models, prompt, system FROM runs "
            f"WHERE id IN ({marks})",
            run_ids,
        )
    }
    stats = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT run_id, COUNT(*), SUM(cost_usd), SUM(status = 'ok'), "
            "SUM(status IN ('error', 'cancelled', 'interrupted')), "
            "SUM(cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL)) "
            f"FROM responses WHERE run_id IN ({marks}) GROUP BY run_id",
            run_ids,
        )
    }
    out = []
    for rid in run_ids:
        run = runs.get(rid)
        if run is None:
            continue
        count, cost, ok, failed, unpriced = stats.get(rid, (0, None, 0, 0, 0))
        models = list(dict.fromkeys(json.loads(run[4] or "[]")))
        out.append(
            {
                "id": rid,
                "session_id": run[1],
                "created_at": run[2],
                "status": run[3],
                "models": models,
                "cell_count": count,
                "ok_count": ok or 0,
                "failed_count": failed or 0,
                "cost_usd": None if cost is None else round(cost, 6),  # the priced cells
                "unpriced_count": unpriced or 0,  # cells with usage but no known price
                "snippet": snippets.get(rid) or _first_line(run[5] or run[6]),
            }
        )
    return out


def _search(conn: sqlite3.Connection, match: str, limit: int) -> tuple[list[int], dict[int, str]]:
    """Newest `limit` run ids whose prompt or any output matches, with a snippet for each."""
    prompt_hits = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM runs_fts WHERE runs_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
    ]
    # response ids grow with run ids (a run's rows are inserted together), so reading matches
    # newest first yields runs newest first: stop at `limit` distinct runs
    first_response: dict[int, int] = {}
    cur = conn.execute(
        "SELECT rowid FROM responses_fts WHERE responses_fts MATCH ? ORDER BY rowid DESC",
        (match,),
    )
    while len(first_response) < limit:
        batch = [r[0] for r in cur.fetchmany(BATCH)]
        if not batch:
            break
        marks = ",".join("?" * len(batch))
        owner = dict(conn.execute(f"SELECT id, run_id FROM responses WHERE id IN ({marks})", batch))
        for resp_id in batch:
            run_id = owner.get(resp_id)
            if run_id is not None and run_id not in first_response:
                first_response[run_id] = resp_id
                if len(first_response) >= limit:
                    break
    cur.close()
    run_ids = sorted(set(prompt_hits) | set(first_response), reverse=True)[:limit]
    snippets: dict[int, str] = {}
    prompt_set = set(prompt_hits)
    for run_id in run_ids:
        if run_id in prompt_set:
            row = conn.execute(
                "SELECT snippet(runs_fts, -1, ?, ?, '…', ?) FROM runs_fts "
                "WHERE runs_fts MATCH ? AND rowid = ?",
                (*MARK, SNIPPET_WORDS, match, run_id),
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT snippet(responses_fts, 0, ?, ?, '…', ?) FROM responses_fts "
                "WHERE responses_fts MATCH ? AND rowid = ?",
                (*MARK, SNIPPET_WORDS, match, first_response[run_id]),
            ).fetchone()
        if row and row[0]:
            snippets[run_id] = " ".join(row[0].split())
    return run_ids, snippets
