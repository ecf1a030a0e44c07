"""Batch jobs in the store: one row per job a provider accepted, and its cells' results.

A job is recorded only once the provider has accepted it, in the same transaction that marks
its cells (``responses.batch_id``, status pending): there is never a job without its cells nor
a cell pointing at a job that was not made. Results are written only into cells still
pending, so collecting twice changes nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from playground.core.secrets import redact_output, redact_text
from playground.store.rawpack import pack
from playground.store.stamps import iso, parse_iso

COLLECTED = "collected"
# the providers' words for a job that will change no more (OpenAI's, then Anthropic's)
ENDED = frozenset({"completed", "failed", "expired", "cancelled", "ended", COLLECTED})
CHUNK = 500  # rows per statement batch / transaction while applying results


@dataclass
class JobRecord:
    """What the store keeps about one job (see migration m007_batch_jobs)."""

    provider: str
    job_id: str
    run_id: int | None
    state: str
    request_count: int
    model: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_url: str | None = None
    estimated_cost_usd: float | None = None
    created_at: str = ""
    updated_at: str | None = None
    collected_at: str | None = None
    note: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobRecord:
        data = dict(row)
        data.pop("id", None)
        data["counts"] = json.loads(data["counts"]) if data.get("counts") else {}
        return cls(**data)

    @property
    def collected(self) -> bool:
        return self.state == COLLECTED

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    def done_total(self) -> tuple[int, int]:
        """(requests that ended, requests) from the provider's counts: OpenAI's total,
        completed and failed, or Anthropic's processing and the rest."""
        c = self.counts
        if "total" in c:
            return c.get("completed", 0) + c.get("failed", 0), c["total"] or self.request_count
        if c:
            done = sum(v for k, v in c.items() if k != "processing")
            return done, done + c.get("processing", 0)
        return (self.request_count if self.collected else 0), self.request_count

    def age_s(self, now: float | None = None) -> float | None:
        created = parse_iso(self.created_at)
        return None if created is None else max(0.0, (now or time.time()) - created)

    def to_json(self) -> dict[str, Any]:
        age = self.age_s()
        return {
            "provider": self.provider,
            "id": self.job_id,
            "run_id": self.run_id,
            "model": self.model,
            "state": self.state,
            "request_count": self.request_count,
            "counts": self.counts,
            "created_at": self.created_at,
            "age_s": None if age is None else round(age),
            "estimated_cost_usd": self.estimated_cost_usd,
            "collected_at": self.collected_at,
            "note": self.note,
        }


def _transaction(store: Any) -> Any:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error) on the store's connection."""
    import contextlib

    @contextlib.contextmanager
    def tx() -> Any:
        with store.lock:
            conn = store.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    return tx()


def record_job(store: Any, job: JobRecord, response_ids: list[int]) -> None:
    """The job and its cells' link to it, in one transaction."""
    job.created_at = job.created_at or iso()
    with _transaction(store) as conn:
        conn.execute(
            "INSERT INTO batch_jobs (provider, job_id, run_id, model, state, request_count, "
            "counts, input_file_id, output_file_id, error_file_id, results_url, "
            "estimated_cost_usd, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.provider,
                job.job_id,
                job.run_id,
                job.model,
                job.state,
                job.request_count,
                json.dumps(job.counts),
                job.input_file_id,
                job.output_file_id,
                job.error_file_id,
                job.results_url,
                job.estimated_cost_usd,
                job.created_at,
                job.created_at,
            ),
        )
        conn.executemany(
            "UPDATE responses SET batch_id = ?, status = 'pending' WHERE id = ?",
            [(job.job_id, rid) for rid in response_ids],
        )


def list_jobs(store: Any, job_id: str | None = None) -> list[JobRecord]:
    """Jobs, newest first (one job when ``job_id`` is given: none when unknown)."""
    sql = "SELECT * FROM batch_jobs"
    params: tuple[Any, ...] = ()
    if job_id is not None:
        sql += " WHERE job_id = ?"
        params = (job_id,)
    return [JobRecord.from_row(row) for row in store._rows(sql + " ORDER BY id DESC", params)]


def update_job(store: Any, job: JobRecord, **columns: Any) -> None:
    """Set columns of a job (and the matching JobRecord fields); ``counts`` as a dict."""
    columns["updated_at"] = iso()
    for name, value in columns.items():
        setattr(job, name, value)
    values = [json.dumps(v) if k == "counts" else v for k, v in columns.items()]
    with _transaction(store) as conn:
        conn.execute(
            f"UPDATE batch_jobs SET {', '.join(f'{k} = ?' for k in columns)} "
            "WHERE provider = ? AND job_id = ?",
            [*values, job.provider, job.job_id],
        )


def job_cells(store: Any, job: JobRecord) -> dict[str, tuple[str, bool]]:
    """The job's cells: custom_id (the response id) -> (model, still waiting for a result)."""
    rows = store._rows(
        "SELECT id, COALESCE(model_used, model) AS model, status FROM responses "
        "WHERE batch_id = ? AND provider = ?",
        (job.job_id, job.provider),
    )
    return {str(r["id"]): (r["model"], r["status"] in ("pending", "running")) for r in rows}


RESULT_COLUMNS = (
    "status",
    "output",
    "reasoning",
    "error",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "usage_source",
    "cost_usd",
    "raw_response_zst",
    "ended_at",
)


def apply_results(store: Any, job: JobRecord, results: list[tuple[str, dict[str, Any]]]) -> int:
    """Write (custom_id, columns) results into the job's cells that are still pending, in one
    transaction; returns how many cells changed. Outputs and errors are redacted as the
    recorder redacts them."""
    secrets = store.secrets
    rows = []
    for custom_id, columns in results:
        values = dict.fromkeys(RESULT_COLUMNS)
        values.update(columns)
        values["output"] = redact_output(values["output"] or "", secrets)
        values["reasoning"] = redact_output(values["reasoning"] or "", secrets)
        values["error"] = redact_text(values["error"], secrets) if values["error"] else None
        raw = values.pop("raw_response", None)
        values["raw_response_zst"] = pack(redact_output(raw or "", secrets))
        values["ended_at"] = values["ended_at"] or iso()
        values["cached_input_tokens"] = values["cached_input_tokens"] or 0
        values["cache_write_tokens"] = values["cache_write_tokens"] or 0
        rows.append([*(values[c] for c in RESULT_COLUMNS), custom_id, job.job_id, job.provider])
    if not rows:
        return 0
    sets = ", ".join(f"{c} = ?" for c in RESULT_COLUMNS)
    with _transaction(store) as conn:
        cur = conn.executemany(
            f"UPDATE responses SET {sets} WHERE id = CAST(? AS INTEGER) AND batch_id = ? "
            "AND provider = ? AND status IN ('pending', 'running')",
            rows,
        )
        return max(0, cur.rowcount)
