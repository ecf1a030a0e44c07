"""Submitting a run's cells to the providers' batch APIs (``run --batch``).

The runner hands each cell whose provider can batch to a ``BatchSink`` (after the cache had
its say) instead of streaming it. Once every such cell has come (or ended another way), the
sink groups them (per provider; per model for OpenAI), cuts each group at the API's limits,
submits each part as a job and records it; each cell then ends ``pending`` with its job's id
(``batch_id``), or as an error saying why its job could not be made.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from playground.core import pricing, tokens
from playground.core.batch.api import BatchAPI
from playground.core.batch.apis import api_for
from playground.core.batch.limits import Limits, fits, split
from playground.core.batch.wire import new_client
from playground.core.model import Cell, CellResult
from playground.core.providers import Provider, ProviderError, resolve
from playground.core.providers.base import ChatRequest, one_line


@dataclass(slots=True)
class _Waiting:
    cell: Cell
    provider: Provider
    request: ChatRequest
    result: CellResult
    done: asyncio.Future[None] | None = None  # resolved once the cell's job is made (or not)


class BatchSink:
    """One run's batch cells, submitted together. ``limits`` (kind -> Limits) overrides the
    APIs' own (tests use small ones). Several runs may share a sink (an eval's cases): pass
    ``runs=None`` and call ``seal()`` once the last one has started."""

    def __init__(
        self,
        settings: Any,
        store: Any,
        *,
        limits: dict[str, Limits] | None = None,
        client: httpx.AsyncClient | None = None,
        runs: int | None = 1,
    ) -> None:
        self.settings = settings
        self._runs = runs  # how many runs will hand cells here (None: not known yet)
        self._watched = 0
        self.store = store
        self.limits = limits or {}
        self._client = client
        self._own_client = client is None
        self.jobs: list[Any] = []  # store.batches.JobRecord of every job made
        self.upload_s = 0.0  # time spent sending jobs (upload and create), for benchmarks
        self._waiting: list[_Waiting] = []
        self._expected: set[tuple[int, int]] = set()  # (run, cell index) that may still come
        self._keys: dict[int, tuple[int, int]] = {}  # id(CellResult) -> its key
        self._task_keys: dict[asyncio.Task[None], tuple[int, int]] = {}  # cell task -> its key
        self._handle: Any = None
        self._flush: asyncio.Task[None] | None = None
        self._warm: asyncio.Future[None] | None = None
        self._context = contextvars.copy_context()

    def accepts(self, provider: Provider) -> bool:
        return provider.config.can_batch()

    def watch(self, handle: Any, tasks: dict[int, asyncio.Task[None]]) -> None:
        """Called by the runner once its cell tasks exist: which cells may come here."""
        self._handle = handle
        self._watched += 1
        if self._warm is None:  # token tables load (about a second) while the cells gather
            models = list(dict.fromkeys(c.model for c in handle.cells))
            self._warm = asyncio.get_running_loop().run_in_executor(
                None, _warm_up, models, list(handle.messages)
            )
        for cell in handle.cells:
            try:
                provider, _ = resolve(handle.runner.providers, cell.model)
            except ProviderError:
                continue
            if self.accepts(provider):
                key = (self._watched, cell.index)
                self._expected.add(key)
                self._keys[id(handle.results[cell.index])] = key
                task = tasks[cell.index]
                self._task_keys[task] = key
                # one callable and one context for all (a partial and a context copy per
                # cell were ~0.3 KB each, held until the cell ends)
                task.add_done_callback(self._task_done, context=self._context)
        self._arrived(None)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._arrived(self._task_keys.pop(task, None))

    def seal(self) -> None:
        """No more runs will hand cells here (for ``runs=None``)."""
        self._runs = self._watched
        self._arrived(None)

    async def take(
        self, cell: Cell, provider: Provider, request: ChatRequest, result: CellResult
    ) -> None:
        """Hold the cell until its job is made; it ends pending (batch_id set) or an error."""
        if self._flush is not None:  # (every cell that may come has come already)
            await asyncio.shield(self._flush)
            return
        # one future per cell, resolved when the submission ends (cancelling the cell cancels
        # only it); an Event's wait and a shield per cell cost ~3 objects more each
        waiting = _Waiting(
            cell, provider, request, result, asyncio.get_running_loop().create_future()
        )
        self._waiting.append(waiting)
        self._arrived(self._keys[id(result)])
        assert waiting.done is not None
        await waiting.done

    def _arrived(self, key: tuple[int, int] | None) -> None:
        """A cell came, or ended another way (a cache hit, no key, cancelled)."""
        self._expected.discard(key)
        if self._runs is None or self._watched < self._runs:
            return
        if self._flush is None and self._waiting and not self._expected:
            self._flush = asyncio.get_running_loop().create_task(self._submit_all())
            self._flush.add_done_callback(self._release)

    def _release(self, flush: asyncio.Task[None]) -> None:
        """The submission ended: every cell waiting for it goes on."""
        exc = None if flush.cancelled() else flush.exception()
        for w in self._waiting:
            if w.done is None or w.done.done():
                continue
            if flush.cancelled():
                w.done.cancel()
            elif exc is not None:
                w.done.set_exception(exc)
            else:
                w.done.set_result(None)

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- submitting --------------------------------------------------------------------------
    async def _submit_all(self) -> None:
        if self._warm is not None:
            await self._warm
        groups: dict[tuple[str, str | None], list[_Waiting]] = {}
        for w in self._waiting:
            api_one_model = w.provider.config.kind == "openai"
            key = (w.provider.name, w.cell.model if api_one_model else None)
            groups.setdefault(key, []).append(w)
        if self._client is None:
            self._client = new_client(self.settings)
        try:
            for (_, model), items in groups.items():
                api = api_for(items[0].provider, self._client, self.settings)
                await self._submit_group(api, model, items)
        except Exception as exc:  # never leave a cell waiting on a job that was not made
            for w in self._waiting:
                if w.result.status == "running":
                    self._fail(w, f"batch submission failed: internal error: {one_line(repr(exc))}")

    async def _submit_group(self, api: BatchAPI, model: str | None, items: list[_Waiting]) -> None:
        limits = self.limits.get(api.kind, api.limits)
        by_id = {}
        for w in items:
            if self.store is None or w.result.id is None:
                self._fail(
                    w, "a batch cell needs the session store to be tracked; run without --batch"
                )
            else:
                by_id[str(w.result.id)] = w
        per_cell = self._estimates(list(by_id.values()))

        def encoded() -> Iterator[tuple[str, bytes]]:
            for custom_id, w in by_id.items():
                yield custom_id, api.encode(custom_id, w.request)

        for group in split(encoded(), limits, api.overhead):
            cells = [by_id[custom_id] for custom_id, _ in group]
            if not fits(group, limits, api.overhead):
                size = len(group[0][1])
                self._fail(
                    cells[0],
                    f"too large for a batch job ({size:,} bytes; the limit is "
                    f"{limits.max_bytes:,}): run it without --batch",
                )
                continue
            started = time.perf_counter()
            try:
                status = await api.submit(group, {"playground_run": str(self._handle.run_id)})
            except ProviderError as exc:
                self.upload_s += time.perf_counter() - started
                for w in cells:
                    self._fail(w, f"batch submission failed: {exc.message}")
                continue
            self.upload_s += time.perf_counter() - started
            await self._record(api, model, status, cells, per_cell)

    async def _record(
        self,
        api: BatchAPI,
        model: str | None,
        status: Any,
        cells: list[_Waiting],
        per_cell: dict[int, float | None],
    ) -> None:
        from playground.store.batches import JobRecord, record_job

        costs = [per_cell.get(id(w)) for w in cells]
        job = JobRecord(
            provider=api.provider.name,
            job_id=status.job_id,
            run_id=self._handle.run_id,
            state=status.state,
            request_count=len(cells),
            model=model,
            counts=status.counts,
            input_file_id=status.input_file_id,
            results_url=status.results_url,
            estimated_cost_usd=None if None in costs else sum(c or 0.0 for c in costs),
        )
        try:
            record_job(self.store, job, [int(w.result.id) for w in cells])  # type: ignore[arg-type]
        except Exception as exc:  # the provider has it but we could not note it: undo there
            with contextlib.suppress(Exception):
                await api.cancel(status.job_id)
            for w in cells:
                self._fail(
                    w,
                    f"batch job {status.job_id} could not be recorded (cancelled): {one_line(str(exc))}",
                )
            return
        self.jobs.append(job)
        for w in cells:
            w.result.status = "pending"
            w.result.batch_id = status.job_id

    def _estimates(self, items: list[_Waiting]) -> dict[int, float | None]:
        """Each cell's worst case at the batch price (by id of its _Waiting); each cell also
        keeps our count of its input (to calibrate estimates once the provider's usage is in)."""
        out: dict[int, float | None] = {}
        counts: dict[tuple[str, Any], tuple[int, float | None]] = {}
        for w in items:
            key = (w.cell.model, w.request.messages)  # one count per model and prompt
            if key not in counts:
                n = tokens.count_messages(w.cell.model, list(w.request.messages)).tokens
                parts = pricing.batch_cost_parts(
                    self.settings, w.cell.model, n, w.request.max_tokens or 0
                )
                counts[key] = (n, None if parts is None else sum(parts))
            w.result.estimated_input_tokens, out[id(w)] = counts[key]
        return out

    @staticmethod
    def _fail(w: _Waiting, message: str) -> None:
        w.result.status = "error"
        w.result.error = message


def _warm_up(models: list[str], messages: list[Any]) -> None:
    """Count the prompt once per model (in a thread): loads the token tables the estimates of
    the jobs' cost need, so submitting does not wait for them."""
    for model_id in models:
        with contextlib.suppress(Exception):  # the estimate says unpriced/unknown later
            tokens.count_messages(model_id, messages)
