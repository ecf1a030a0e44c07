"""Following stored batch jobs, and bringing their results into the store as ordinary cells.

Each result lands in the cell whose response id is its ``custom_id``: output, usage as the
provider reported it, cost at the batch price; a failed, expired or cancelled request is an
error cell with the provider's reason. Only cells still pending are written, so collecting
twice changes nothing. A result for a cell the job does not hold is reported and ignored; a
cell with no result in a results file that downloaded whole (truncated, or left out) becomes
an error saying so. A download that breaks off keeps what arrived and leaves the job to be
collected again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from playground.core import pricing
from playground.core.batch.api import BadLine, BatchAPI, JobStatus, Outcome
from playground.core.batch.apis import api_for
from playground.core.batch.wire import new_client
from playground.core.providers import build_providers
from playground.core.providers.base import RAW_LIMIT, ProviderError, UsageReport, one_line
from playground.store import batches as jobs_db
from playground.store.batches import COLLECTED, JobRecord

WHY_MISSING = {
    "expired": "expired: the batch ended (24 h) before this request ran",
    "cancelled": "cancelled: the batch was cancelled before this request ran",
    "failed": "the batch failed as a whole",
}


@dataclass
class CollectReport:
    """What one collect did to one job."""

    job: JobRecord
    ready: bool  # the job had ended at the provider (else nothing was collected)
    already: bool = False  # collected before: nothing to do
    ok: int = 0
    errors: int = 0
    unknown: list[str] = field(default_factory=list)  # custom_ids that are not the job's
    bad_lines: int = 0  # results lines that could not be read (a truncated file)
    missing: int = 0  # cells with no result: now errors saying why
    problem: str | None = None  # the download broke off: collect again

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.job.provider,
            "id": self.job.job_id,
            "state": self.job.state,
            "ready": self.ready,
            "already_collected": self.already,
            "ok": self.ok,
            "errors": self.errors,
            "missing": self.missing,
            "unknown_custom_ids": self.unknown,
            "unreadable_lines": self.bad_lines,
            "problem": self.problem,
        }


class Batches:
    """Stored jobs, followed through their providers (one instance per command or screen)."""

    def __init__(self, settings: Any, store: Any, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.store = store
        self.providers = build_providers(settings)
        self._client = client
        self._own_client = client is None

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def jobs(self, job_id: str | None = None) -> list[JobRecord]:
        return jobs_db.list_jobs(self.store, job_id)

    def api(self, job: JobRecord) -> BatchAPI:
        provider = self.providers.get(job.provider)
        if provider is None:
            raise ProviderError(
                f"provider {job.provider!r} of batch {job.job_id} is no longer configured"
            )
        if self._client is None:
            self._client = new_client(self.settings)
        return api_for(provider, self._client, self.settings)

    async def refresh(self, job: JobRecord) -> JobStatus:
        """Ask the provider how the job is doing, and note it (a collected job stays so)."""
        status = await self.api(job).retrieve(job.job_id)
        columns: dict[str, Any] = {"counts": status.counts}
        if not job.collected:
            columns["state"] = status.state
        for name in ("output_file_id", "error_file_id", "results_url"):
            if getattr(status, name):
                columns[name] = getattr(status, name)
        if status.problem:
            columns["note"] = status.problem
        jobs_db.update_job(self.store, job, **columns)
        return status

    async def cancel(self, job: JobRecord) -> JobStatus:
        status = await self.api(job).cancel(job.job_id)
        if not job.collected:
            jobs_db.update_job(self.store, job, state=status.state, counts=status.counts)
        return status

    async def wait(
        self,
        jobs: list[JobRecord],
        poll_s: float,
        progress: Callable[[list[tuple[JobRecord, JobStatus]]], None],
    ) -> list[tuple[JobRecord, JobStatus]]:
        """Poll until every job has ended (the first poll at once); ``progress`` sees each
        round. Cancelling (Ctrl+C) stops the waiting, never the jobs."""
        while True:
            states = [(job, await self.refresh(job)) for job in jobs]
            progress(states)
            if all(status.done for _, status in states):
                return states
            await asyncio.sleep(poll_s)

    async def collect_all(self) -> list[tuple[JobRecord, CollectReport | ProviderError]]:
        """Collect every job not collected yet; a job whose provider cannot be reached gets
        its error instead of a report."""
        out: list[tuple[JobRecord, CollectReport | ProviderError]] = []
        for job in self.jobs():
            if job.collected:
                continue
            try:
                out.append((job, await self.collect(job)))
            except ProviderError as exc:
                out.append((job, exc))
        return out

    async def collect(self, job: JobRecord) -> CollectReport:
        if job.collected:
            return CollectReport(job, ready=True, already=True)
        status = await self.refresh(job)
        if not status.done:
            return CollectReport(job, ready=False)
        api = self.api(job)
        report = CollectReport(job, ready=True)
        cells = jobs_db.job_cells(self.store, job)  # custom_id -> (model, still waiting)
        seen: set[str] = set()
        pending: list[tuple[str, dict[str, Any]]] = []

        def flush() -> None:
            jobs_db.apply_results(self.store, job, pending)
            pending.clear()

        try:
            for url in api.result_urls(status):
                async for line in api.http.lines(url):
                    try:
                        custom_id, outcome = api.parse(line)
                    except BadLine:
                        report.bad_lines += 1
                        continue
                    if custom_id not in cells:
                        report.unknown.append(custom_id)
                        continue
                    model, waiting = cells[custom_id]
                    if custom_id in seen or not waiting:
                        seen.add(custom_id)
                        continue
                    seen.add(custom_id)
                    if outcome.ok:
                        report.ok += 1
                    else:
                        report.errors += 1
                    pending.append((custom_id, self._columns(outcome, model, line)))
                    if len(pending) >= jobs_db.CHUNK:
                        flush()
        except (ProviderError, httpx.HTTPError) as exc:
            flush()
            report.problem = (
                f"the results download broke off ({one_line(str(exc)) or type(exc).__name__}); "
                "what arrived is kept: collect again"
            )
            return report
        flush()
        missing = [cid for cid, (_, waiting) in cells.items() if waiting and cid not in seen]
        if missing:
            why = WHY_MISSING.get(status.state) or WHY_MISSING.get(
                {"canceled": "cancelled"}.get(status.state, ""), ""
            )
            if status.state == "failed" and status.problem:
                why = f"the batch failed: {status.problem}"
            if not why:
                why = "no result for this request in the provider's results file"
                if report.bad_lines:
                    why += f" ({report.bad_lines} unreadable line(s): the file was truncated)"
            report.missing = len(missing)
            for start in range(0, len(missing), jobs_db.CHUNK):
                part = missing[start : start + jobs_db.CHUNK]
                jobs_db.apply_results(
                    self.store, job, [(cid, {"status": "error", "error": why}) for cid in part]
                )
        note = _note(report)
        jobs_db.update_job(self.store, job, state=COLLECTED, collected_at=_now(), note=note)
        return report

    def _columns(self, outcome: Outcome, model: str, line: bytes) -> dict[str, Any]:
        raw = line[:RAW_LIMIT].decode("utf-8", "replace")
        if not outcome.ok:
            return {"status": "error", "error": outcome.error, "raw_response": raw}
        columns: dict[str, Any] = {
            "status": "ok",
            "output": outcome.output,
            "reasoning": outcome.reasoning,
            "finish_reason": outcome.finish_reason,
            "input_tokens": outcome.input_tokens,
            "output_tokens": outcome.output_tokens,
            "cached_input_tokens": outcome.cached_input_tokens,
            "cache_write_tokens": outcome.cache_write_tokens,
            "raw_response": raw,
        }
        if outcome.input_tokens is not None or outcome.output_tokens is not None:
            columns["usage_source"] = "provider"
            usage = UsageReport(
                outcome.input_tokens or 0,
                outcome.output_tokens or 0,
                outcome.cached_input_tokens,
                outcome.cache_write_tokens,
            )
            columns["cost_usd"] = pricing.batch_cost_usd(self.settings, model, usage)
        return columns


def summary(reports: list[tuple[JobRecord, CollectReport | ProviderError]]) -> str:
    """One line about a collect_all: answers in, errors, jobs still running or unreachable."""
    if not reports:
        return "No batch jobs to collect."
    done = [r for _, r in reports if isinstance(r, CollectReport) and r.ready]
    ok = sum(r.ok for r in done)
    errors = sum(r.errors + r.missing for r in done)
    waiting = sum(1 for _, r in reports if isinstance(r, CollectReport) and not r.ready)
    failed = [f"{job.job_id}: {r}" for job, r in reports if isinstance(r, ProviderError)]
    parts = [f"Batches: {ok} answer(s) in, {errors} error(s)"]
    if waiting:
        parts.append(f"{waiting} job(s) still at the provider")
    if failed:
        parts.append("not reached: " + "; ".join(failed))
    return ", ".join(parts) + "."


def _note(report: CollectReport) -> str | None:
    parts = []
    if report.unknown:
        parts.append(f"{len(report.unknown)} result(s) for requests not in this job, ignored")
    if report.bad_lines:
        parts.append(f"{report.bad_lines} unreadable results line(s)")
    if report.missing:
        parts.append(f"{report.missing} request(s) with no result (error cells)")
    return "; ".join(parts) or None


def _now() -> str:
    from playground.store.stamps import iso

    return iso()
