"""`run --batch` and `playground batches` as a user runs them: subprocesses against the batch
loopback server (tests/loopback/batch.py), each command a new process on the same database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import clean_env, playground
from loopback.batch import BatchServer

MODELS = ("-m", "lb-openai:gpt-a", "-m", "lb-openai:gpt-b", "-m", "lb-anthropic:claude-a")
BATCH_COST = (7 * 2 + 5 * 8) / 1_000_000 / 2  # usage 7 in / 5 out at half of $2/$8 per Mtok


def pg(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return playground(tmp_path, *args, env=clean_env(tmp_path, **BatchServer.env()))


def pg_json(tmp_path: Path, *args: str, code: int = 0) -> Any:
    proc = pg(tmp_path, *args, "--json")
    assert proc.returncode == code, proc.stderr
    return json.loads(proc.stdout)


def rows(tmp_path: Path, sql: str = "SELECT * FROM responses ORDER BY id") -> list[dict[str, Any]]:
    conn = sqlite3.connect(tmp_path / "sessions.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture
def ws(tmp_path: Path, batch_server: BatchServer) -> Path:
    batch_server.write_config(tmp_path)
    return tmp_path


def test_run_batch_submits_collect_fills_the_cells_at_the_batch_price(
    ws: Path, batch_server: BatchServer
) -> None:
    doc = pg_json(
        ws, "run", "-p", "Hi {{n}}", "--var", "n=Ada", *MODELS, "-m", "lb-live:m", "-m", "echo",
        "-t", "0", "-t", "0.5", "--batch",
    )  # fmt: skip
    cells = {(c["model"], c["temperature"]): c for c in doc["cells"]}
    batched = [c for c in doc["cells"] if c["model"].startswith(("lb-openai", "lb-anthropic"))]
    assert len(batched) == 6 and all(c["status"] == "pending" for c in batched)
    assert all(c["batch_id"] and c["output"] == "" and c["cost_usd"] is None for c in batched)
    # providers without a batch API (batch = false, echo) ran live in the same run
    assert cells[("lb-live:m", 0.0)]["status"] == "ok"
    assert cells[("lb-live:m", 0.0)]["output"] == "live answer from m: Hi Ada"
    assert cells[("echo", 0.5)]["status"] == "ok"
    jobs = {j["id"]: j for j in doc["batches"]}
    assert len(jobs) == 3  # OpenAI: one file per model; Anthropic: one batch
    assert {j["model"] for j in jobs.values()} == {"lb-openai:gpt-a", "lb-openai:gpt-b", None}
    for job_id, job in jobs.items():
        sent = batch_server.jobs[job_id].requests
        # each request's custom_id is its cell's response id; no streaming in a batch
        mine = sorted(str(c["id"]) for c in batched if c["batch_id"] == job_id)
        assert sorted(r["custom_id"] for r in sent) == mine and job["request_count"] == 2
        assert all("stream" not in r["body"] for r in sent)
        assert job["estimated_cost_usd"] > 0

    listed = pg_json(ws, "batches", "list")
    assert {j["id"] for j in listed} == set(jobs)
    assert all(j["state"] in ("completed", "ended") for j in listed)  # refreshed by list

    report = pg_json(ws, "batches", "collect")
    assert sorted((j["ok"], j["errors"], j["missing"]) for j in report["jobs"]) == [(2, 0, 0)] * 3
    show = pg_json(ws, "show", str(doc["run_id"]))
    by_id = {c["id"]: c for c in show["cells"]}
    stored = {r["id"]: r for r in rows(ws)}
    for cell in batched:
        row = stored[cell["id"]]
        model = cell["model"].split(":")[1]
        assert row["status"] == "ok" and row["output"] == f"batch answer from {model}: Hi Ada"
        assert (row["input_tokens"], row["output_tokens"]) == (7, 5)
        assert row["usage_source"] == "provider" and row["batch_id"] == cell["batch_id"]
        assert row["cost_usd"] == pytest.approx(BATCH_COST)
        assert by_id[cell["id"]]["output"] == row["output"]  # `show` has it like any cell
    # collecting twice changes nothing; collected jobs stay listed
    before = rows(ws)
    assert pg_json(ws, "batches", "collect")["jobs"] == []  # nothing left to collect
    for job_id in jobs:
        (again,) = pg_json(ws, "batches", "collect", job_id)["jobs"]
        assert again["already_collected"]
    assert rows(ws) == before
    assert {j["state"] for j in pg_json(ws, "batches")} == {"collected"}


def test_run_batch_text_names_the_run_and_the_jobs(ws: Path) -> None:
    proc = pg(ws, "run", "-p", "Hi", *MODELS, "-t", "0", "--batch")
    assert proc.returncode == 0, proc.stderr
    job_ids = [r["job_id"] for r in rows(ws, "SELECT job_id FROM batch_jobs")]
    assert len(job_ids) == 3
    assert "run 1: 3 cell(s) sent as 3 batch job(s)" in proc.stdout
    for job_id in job_ids:
        assert job_id in proc.stdout


def test_a_restart_leaves_waiting_cells_alone_and_another_process_collects(
    ws: Path, batch_server: BatchServer
) -> None:
    batch_server.polls_to_finish = 0  # nothing ends until the test says so
    doc = pg_json(ws, "run", "-p", "Hi", *MODELS, "-t", "0", "--batch")
    # another process opens the database (the dead run's leftovers are marked interrupted):
    # the cells waiting at the provider stay pending
    still = pg_json(ws, "batches", "collect")
    assert all(not j["ready"] for j in still["jobs"])
    assert {r["status"] for r in rows(ws)} == {"pending"}
    for job in doc["batches"]:
        batch_server.finish(job["id"])
    pg_json(ws, "batches", "collect")
    assert {r["status"] for r in rows(ws)} == {"ok"}


def test_per_cell_errors_expired_unknown_and_missing_results(
    ws: Path, batch_server: BatchServer
) -> None:
    first: dict[str, str] = {}

    def outcome(custom_id: str, body: dict[str, Any]) -> str:
        first.setdefault(body["model"], custom_id)
        return "error" if first[body["model"]] == custom_id else "ok"

    batch_server.outcome = outcome
    batch_server.extra_results = [
        {"custom_id": "99999", "result": {"type": "succeeded", "message": {}}},
    ]
    doc = pg_json(
        ws, "run", "-p", "Hi", "-m", "lb-openai:gpt-a", "-m", "lb-anthropic:claude-a",
        "-t", "0", "-t", "0.5", "-t", "1", "--batch",
    )  # fmt: skip
    report = {j["id"]: j for j in pg_json(ws, "batches", "collect")["jobs"]}
    stored = {r["id"]: r for r in rows(ws)}
    errors = {
        c["model"]: stored[c["id"]]["error"]
        for c in doc["cells"]
        if stored[c["id"]]["status"] == "error"
    }
    assert errors == {
        "lb-openai:gpt-a": "HTTP 500: server_error: The model is overloaded",
        "lb-anthropic:claude-a": "invalid_request_error: max_tokens: too large for this model",
    }
    assert sum(1 for r in stored.values() if r["status"] == "ok") == 4
    anthropic = next(j for j in report.values() if j["provider"] == "lb-anthropic")
    assert anthropic["unknown_custom_ids"] == ["99999"]  # reported, nothing else harmed
    assert "99999" not in {str(i) for i in stored}


def test_a_job_that_expired_part_way_and_a_truncated_file_are_reported_per_cell(
    ws: Path, batch_server: BatchServer
) -> None:
    batch_server.expire_after = 1
    pg_json(
        ws, "run", "-p", "Hi", "-m", "lb-openai:gpt-a", "-t", "0", "-t", "0.5", "-t", "1", "--batch"
    )
    pg_json(ws, "batches", "collect")
    stored = rows(ws)
    assert [r["status"] for r in stored].count("ok") == 1
    expired = [r["error"] for r in stored if r["status"] == "error"]
    assert (
        expired
        == [
            "batch_expired: This request could not be executed before the completion window expired."
        ]
        * 2
    )

    batch_server.expire_after = None
    batch_server.truncate_results = True
    doc = pg_json(
        ws, "run", "-p", "Again", "-m", "lb-anthropic:claude-a", "-t", "0", "-t", "0.5", "--batch"
    )
    (job,) = pg_json(ws, "batches", "collect")["jobs"]
    assert job["unreadable_lines"] == 1 and job["ok"] == 1 and job["missing"] == 1
    cells = {r["id"]: r for r in rows(ws)}
    lost = [cells[c["id"]] for c in doc["cells"] if cells[c["id"]]["status"] == "error"]
    assert len(lost) == 1 and "truncated" in lost[0]["error"]


@pytest.mark.parametrize("route", ["upload", "create"])
def test_a_failed_submission_records_no_job_and_says_why_in_each_cell(
    ws: Path, batch_server: BatchServer, route: str
) -> None:
    batch_server.fail_next = [(route, 400)]
    doc = pg_json(
        ws, "run", "-p", "Hi", "-m", "lb-openai:gpt-a", "-m", "echo", "-t", "0", "--batch", code=1
    )
    gpt, echo = doc["cells"]
    assert gpt["status"] == "error" and gpt["batch_id"] is None
    assert gpt["error"].startswith("batch submission failed: HTTP 400")
    assert echo["status"] == "ok"
    assert doc["batches"] == [] and pg_json(ws, "batches") == []
    # the input file uploaded before a failed create is deleted again at the provider
    assert not [f for f in batch_server.files if f.startswith("file-in")]


def test_a_transient_failure_is_retried_by_the_runners_rules(
    tmp_path: Path, batch_server: BatchServer
) -> None:
    batch_server.write_config(tmp_path, max_retries=2)
    batch_server.fail_next = [("upload", 503), ("create", 500)]
    doc = pg_json(tmp_path, "run", "-p", "Hi", "-m", "lb-openai:gpt-a", "-t", "0", "--batch")
    assert doc["cells"][0]["status"] == "pending" and len(doc["batches"]) == 1
    assert len(batch_server.requests_to("/v1/files")) == 2


def test_results_on_another_origin_are_fetched_without_the_key(
    ws: Path, batch_server: BatchServer
) -> None:
    batch_server.results_elsewhere = True
    pg_json(ws, "run", "-p", "Hi", "-m", "lb-anthropic:claude-a", "-t", "0", "--batch")
    pg_json(ws, "batches", "collect")
    elsewhere = [s for s in batch_server.seen if s.port == batch_server.alt_port]
    assert len(elsewhere) == 1 and elsewhere[0].path.endswith("/results")
    assert "x-api-key" not in elsewhere[0].headers and "authorization" not in elsewhere[0].headers
    home = [s for s in batch_server.seen if s.port == batch_server.port]
    assert all(s.headers.get("x-api-key") == BatchServer.env()["LB_ANTHROPIC_KEY"] for s in home)
    assert {r["status"] for r in rows(ws)} == {"ok"}


def test_wait_polls_until_done_and_cancel_stops_a_job(ws: Path, batch_server: BatchServer) -> None:
    batch_server.polls_to_finish = 3
    pg_json(ws, "run", "-p", "Hi", "-m", "lb-openai:gpt-a", "-t", "0", "--batch")
    waited = pg_json(ws, "batches", "wait", "--poll", "0.05")
    assert [j["state"] for j in waited] == ["completed"]
    assert batch_server.jobs[waited[0]["id"]].polls == 3

    batch_server.polls_to_finish = 0
    doc = pg_json(ws, "run", "-p", "Later", "-m", "lb-anthropic:claude-a", "-t", "0", "--batch")
    job_id = doc["batches"][0]["id"]
    pg_json(ws, "batches", "cancel", job_id)
    (report,) = pg_json(ws, "batches", "collect", job_id)["jobs"]
    assert report["errors"] == 1
    (cell,) = [r for r in rows(ws) if r["batch_id"] == job_id]
    assert cell["status"] == "error" and cell["error"].startswith("canceled")


def test_batch_with_no_batching_provider_says_so_and_runs_live(ws: Path) -> None:
    proc = pg(ws, "run", "-p", "Hi", "-m", "echo", "-m", "lb-live:m", "-t", "0", "--batch")
    assert proc.returncode == 0, proc.stderr
    assert "--batch: none of these models' providers has a batch API" in proc.stderr
    assert "live answer from m: Hi" in proc.stdout


def test_bad_usage_is_one_line(ws: Path) -> None:
    for args, needle in (
        (("batches", "cancel"), "give the job's ID"),
        (("batches", "collect", "batch_nope"), "no batch job 'batch_nope'"),
        (("batches", "wait", "--poll", "0"), "--poll 0"),
    ):
        proc = pg(ws, *args)
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_the_budget_guard_judges_a_batch_run_at_the_batch_price(ws: Path) -> None:
    est = pg_json(
        ws, "estimate", "-p", "Hi", "-m", "lb-openai:gpt-a", "-t", "0", "--max-tokens", "1000"
    )
    live, batch = est["total"]["max_cost_usd"], est["total"]["batch_max_cost_usd"]
    budget = f"{(live + batch) / 2:.8f}"
    args = (
        "run",
        "-p",
        "Hi",
        "-m",
        "lb-openai:gpt-a",
        "-t",
        "0",
        "--max-tokens",
        "1000",
        "--budget",
        budget,
    )
    refused = pg(ws, *args)
    assert refused.returncode == 2 and "over the budget" in refused.stderr
    assert "with --batch" in refused.stderr  # the estimate it prints has both prices
    tight = pg(ws, *args[:-1], f"{batch / 2:.8f}", "--batch")
    assert tight.returncode == 2, tight.stderr
    assert "at the batch price (live $" in tight.stderr
    ok = pg(ws, *args, "--batch", "--json")
    assert ok.returncode == 0, ok.stderr


def test_a_request_left_out_of_the_results_is_an_error_cell_saying_so(
    ws: Path, batch_server: BatchServer
) -> None:
    doc = pg_json(ws, "run", "-p", "Hi", "-m", "lb-openai:gpt-a", "-t", "0", "-t", "1", "--batch")
    left_out = str(doc["cells"][1]["id"])
    batch_server.drop_results = {left_out}
    (job,) = pg_json(ws, "batches", "collect")["jobs"]
    assert (job["ok"], job["missing"], job["unreadable_lines"]) == (1, 1, 0)
    stored = {str(r["id"]): r for r in rows(ws)}
    assert stored[left_out]["status"] == "error"
    assert stored[left_out]["error"] == "no result for this request in the provider's results file"
    assert pg_json(ws, "batches")[0]["note"] == "1 request(s) with no result (error cells)"


def test_ctrl_c_stops_waiting_and_leaves_the_jobs_running(
    ws: Path, batch_server: BatchServer
) -> None:
    import signal
    import time

    from cli_helpers import spawn

    batch_server.polls_to_finish = 0
    doc = pg_json(ws, "run", "-p", "Hi", "-m", "lb-anthropic:claude-a", "-t", "0", "--batch")
    job_id = doc["batches"][0]["id"]
    polls = f"/v1/messages/batches/{job_id}"
    before = len(batch_server.requests_to(polls))
    proc = spawn(ws, "batches", "wait", "--poll", "0.05", env=clean_env(ws, **BatchServer.env()))
    deadline = time.monotonic() + 30
    while len(batch_server.requests_to(polls)) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # polling has begun (and goes on)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "stopped waiting; the jobs keep running" in err and "Traceback" not in err
    assert batch_server.jobs[job_id].state == "in_progress"
    assert not batch_server.requests_to("/cancel")
    listed = pg(ws, "batches")
    assert listed.returncode == 0
    assert job_id in listed.stdout and "in_progress" in listed.stdout and "0/1" in listed.stdout
