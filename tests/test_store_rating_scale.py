"""Ratings carry their scale: good (+1) and one star are no longer the same stored 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.store import Store, StoreError
from playground.store.migrations import migrate
from playground.store.opening import connect


def _db_before_scales(path: Path) -> None:
    """A database as m004 left it, with three ratings written by the old code."""
    conn = connect(path)
    migrate(conn, upto="m004_index_finished_outputs")
    conn.execute(
        "INSERT INTO sessions (id, created_at, source, pid, host) "
        "VALUES (1, '2026-01-01T00:00:00.000Z', 'cli', 999999999, 'elsewhere')"
    )
    conn.execute(
        "INSERT INTO runs (id, session_id, created_at, status, template, variables, models, "
        "temperatures, params, repeats, use_cache, system, prompt, messages) VALUES (1, 1, "
        "'2026-01-01T00:00:00.000Z', 'done', '{\"messages\": []}', '{}', '[\"echo\"]', "
        "'[0.7]', '{}', 1, 1, '', 'hi', '[]')"
    )
    for rid, score in ((1, -1), (2, 1), (3, 3)):
        conn.execute(
            "INSERT INTO responses (id, run_id, cell_index, model, temperature, sample, status, "
            "output) VALUES (?, 1, ?, 'echo', 0.7, 1, 'ok', 'x')",
            (rid, rid - 1),
        )
        conn.execute(
            "INSERT INTO ratings (response_id, score, note, created_at) "
            "VALUES (?, ?, NULL, '2026-01-01T00:00:00.000Z')",
            (rid, score),
        )
    conn.close()


def test_old_ratings_get_their_scale_where_it_is_known(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _db_before_scales(db)
    store = Store.open(db)
    scales = [store.get_response(i)["rating"]["scale"] for i in (1, 2, 3)]
    assert scales == ["thumbs", None, "stars"]  # an old 1 may be good or one star: unknown
    store.rate(2, 1, "good after all", "thumbs")
    assert store.get_response(2)["rating"] == {
        "score": 1,
        "note": "good after all",
        "scale": "thumbs",
    }
    store.close()


def test_scale_is_inferred_or_checked(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    _db_before_scales(db)
    store = Store.open(db)
    store.rate(1, 1)
    assert store.get_response(1)["rating"]["scale"] == "stars"  # backward compatible: 1 ★
    store.rate(1, -1)
    assert store.get_response(1)["rating"]["scale"] == "thumbs"
    store.rate(1, 1, scale="thumbs")
    assert store.get_response(1)["rating"]["scale"] == "thumbs"
    assert [r["rating"]["scale"] for r in store.responses_for_run(1)][:1] == ["thumbs"]
    for score, scale in ((3, "thumbs"), (-1, "stars"), (1, "hearts")):
        with pytest.raises(StoreError):
            store.rate(1, score, scale=scale)
    assert store.get_response(1)["rating"]["scale"] == "thumbs"  # refused ones change nothing
    store.close()
