"""The matrix runner: every cell of a plan, concurrently, measured, retried, cancellable.

Both front ends use it the same way::

    handle = runner.start(plan)
    async for event in handle.events():
        ...
    handle.cancel()          # or handle.cancel(cell)

A failed or cancelled cell keeps its partial text; other cells carry on. A ``Recorder``
(the store) sees every event as it happens; a ``ResponseCache`` (the store too) may answer a
cell (see core.model for both protocols).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import httpx

from playground.config import Settings
from playground.core import pricing
from playground.core.cache import CallKeys, apply_hit
from playground.core.model import (
    Cell,
    CellDelta,
    CellFailed,
    CellFallback,
    CellFinished,
    CellPending,
    CellQueued,
    CellResult,
    CellRetry,
    CellSending,
    CellStarted,
    CellUsage,
    Recorder,
    ResponseCache,
    RunEvent,
    RunFinished,
    RunStarted,
)
from playground.core.plan import RunPlan
from playground.core.providers import Provider, build_providers, resolve
from playground.core.providers.base import (
    ChatRequest,
    Finish,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    UsageReport,
    one_line,
    raw_text,
)
from playground.core.ratelimit import ProviderPace
from playground.core.retry import (
    error_from_exception,
    gives_up,
    one_at_a_time_hint,
    retry_wait,
    unfinished,
)
from playground.core.secrets import redact_output, redact_text, redact_url, secret_values
from playground.core.template import Message
from playground.core.usage import RunUsage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from playground.core.batch.submit import BatchSink


WARM_INLINE_CHARS = 20_000  # a prompt this short is counted on the loop once tables are loaded


class Runner:
    """Runs plans. One instance per app: it owns the HTTP client and the concurrency limits."""

    def __init__(
        self,
        settings: Settings,
        providers: dict[str, Provider] | None = None,
        recorder: Recorder | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.settings = settings
        self.providers = providers if providers is not None else build_providers(settings)
        self.recorder = recorder
        # a store is both: unless told otherwise, the recorder answers from its cache
        if cache is None and isinstance(recorder, ResponseCache):
            cache = recorder
        self.cache = cache
        self._client: httpx.AsyncClient | None = None
        self._global: asyncio.Semaphore | None = None
        self._per_provider: dict[str, asyncio.Semaphore] = {}
        # per provider: requests sent ever, and in flight now (did another overlap mine?)
        self._requests_sent: dict[str, int] = {}
        self._requests_open: dict[str, int] = {}
        self._paces: dict[str, ProviderPace] = {}
        self._warm_models: set[str] = set()  # token tables and prices loaded (RunHandle._warmed)
        self._secrets: tuple[tuple[str | None, ...], list[str]] | None = None

    def secrets(self) -> list[str]:
        """Keys a server may quote back in an error (``secret_values`` with the providers' key
        variables), read from the environment once per set of providers, not once per run: an
        eval starts a run per case, and reading the environment costs ~0.1 ms."""
        names = tuple(cfg.api_key_env for cfg in self.settings.providers.values())
        if self._secrets is None or self._secrets[0] != names:
            self._secrets = (names, secret_values(names))
        return self._secrets[1]

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            from playground.core.providers.httpclient import new_client

            d = self.settings.defaults
            self._client = new_client(
                d.transport,
                timeout=httpx.Timeout(
                    connect=d.connect_timeout, read=d.read_timeout, write=30.0, pool=None
                ),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _open_request(self, provider: str) -> Callable[[], bool]:
        """A request to ``provider`` goes out; the function returned tells whether another
        request to it ran at some point meanwhile (already open, or sent since: the order
        requests reach a server need not be the order they left). ``_close_request`` after."""
        sent = self._requests_sent[provider] = self._requests_sent.get(provider, 0) + 1
        open_before = self._requests_open.get(provider, 0)
        self._requests_open[provider] = open_before + 1
        return lambda: open_before > 0 or self._requests_sent[provider] > sent

    def _close_request(self, provider: str) -> None:
        self._requests_open[provider] -= 1

    def pace(self, provider: str) -> ProviderPace:
        """The provider's rpm/tpm limits and 429 back-off (one per provider, shared by runs)."""
        pace = self._paces.get(provider)
        if pace is None:
            cfg = self.settings.providers.get(provider)
            pace = ProviderPace(cfg.rpm if cfg else None, cfg.tpm if cfg else None)
            self._paces[provider] = pace
        return pace

    def _semaphores(self, provider: str) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        if self._global is None:
            self._global = asyncio.Semaphore(max(1, self.settings.defaults.concurrency))
        sem = self._per_provider.get(provider)
        if sem is None:
            cfg = self.settings.providers.get(provider)
            sem = asyncio.Semaphore(max(1, cfg.max_concurrency if cfg else 4))
            self._per_provider[provider] = sem
        return self._global, sem

    def start(self, plan: RunPlan, batch: BatchSink | None = None) -> RunHandle:
        """Begin a run; raises TemplateError (MissingVariable) before anything is sent.
        With ``batch``, cells of providers with a batch API go there instead of streaming."""
        messages = plan.render()
        return RunHandle(self, plan, messages, batch)

    async def run(self, plan: RunPlan) -> RunHandle:
        """Run to the end, discarding events; the handle holds the results."""
        handle = self.start(plan)
        async for _ in handle.events():
            pass
        return handle


class RunHandle:
    """One run in flight: its cells, their live results, its event stream, and cancel."""

    def __init__(
        self,
        runner: Runner,
        plan: RunPlan,
        messages: list[Message],
        batch: BatchSink | None = None,
    ) -> None:
        self.runner = runner
        self.batch = batch
        self.plan = plan
        self.messages = messages
        self.cells = plan.cells()
        self.results: list[CellResult] = [CellResult(cell=c) for c in self.cells]
        self.session_id: Any = None
        self.run_id: Any = None
        self._queue: asyncio.Queue[RunEvent | None] = asyncio.Queue()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._keys: dict[int, str] = {}
        # cell -> Recorder.stream_to's answer
        self._sinks: dict[int, Literal[False] | None] = {}
        self._key_memo: dict[tuple[int, str, str], str] = {}  # (cell, provider, model) -> key
        self._call_keys: CallKeys | None = None  # made at the first key (a run may ask none)
        self._key_prefixes: dict[tuple[str, str, float | None], Any] = {}  # CallKeys.prefix
        # one request (and one description of it) per model and temperature, shared by the
        # cells that send the same: a sweep's repeats hold no copies of them
        self._message_tuple = tuple(messages)
        self._requests: dict[tuple[str, float | None], ChatRequest] = {}
        self._described: dict[tuple[str, ChatRequest], dict[str, Any]] = {}
        self._prefetched: dict[str, dict[str, Any] | None] | None = None  # first models' hits
        self.usage = RunUsage(runner.settings, messages)
        self.store_error: str | None = None  # set when the recorder failed; the run goes on
        # keys a server may quote back in an error ("Incorrect API key provided: sk-…")
        self._secrets = runner.secrets()
        recorder = runner.recorder
        ids: list[Any] = list(range(1, len(self.cells) + 1))
        if recorder is not None:
            self.session_id, self.run_id, ids = recorder.start_run(plan, self.cells, messages)
        for result, rid in zip(self.results, ids, strict=True):
            result.id = rid
        self._emit(RunStarted(self.run_id, self.session_id, tuple(self.cells)))
        loop = asyncio.get_running_loop()
        self._warm: asyncio.Future[None] | Literal[False] | None = None  # False: nothing to wait
        # Cell tasks exist from the start, so cancel() right after start() reaches them all.
        for cell in self.cells:
            self._tasks[cell.index] = loop.create_task(self._run_cell(cell))
        if batch is not None:
            batch.watch(self, self._tasks)
        self._main = loop.create_task(self._run_all())

    # -- consuming ---------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[RunEvent]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    async def wait(self) -> list[CellResult]:
        await asyncio.shield(self._main)
        return self.results

    @property
    def finished(self) -> bool:
        return self._main.done()

    def cancel(self, cell: Cell | int | None = None) -> None:
        """Cancel one cell (by Cell or index) or, with no argument, every unfinished cell."""
        if cell is None:
            targets = list(self._tasks.values())
        else:
            index = cell.index if isinstance(cell, Cell) else cell
            targets = [self._tasks[index]] if index in self._tasks else []
        for task in targets:
            if not task.done():
                task.cancel()

    # -- running -----------------------------------------------------------------------------
    def _emit(self, event: RunEvent, cache_key: str | None = None) -> None:
        """To the recorder (with the cell's cache key when it ends), then to the consumer."""
        recorder = self.runner.recorder
        if recorder is not None:
            try:
                recorder.on_event(event, cache_key)
            except Exception as exc:  # a store problem must not lose the run
                self.store_error = one_line(str(exc))
        self._queue.put_nowait(event)

    def _emit_chunk(self, event: CellDelta | CellUsage, sink: Literal[False] | None) -> None:
        """A per-chunk event: to the recorder unless it reads the cell's live result itself
        (Recorder.stream_to gave False: no call per chunk), then to the consumer."""
        if sink is None:
            self._emit(event)
            return
        self._queue.put_nowait(event)

    async def _run_all(self) -> None:
        try:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            for result in self.results:  # a task cancelled before its first step ran no code
                if not result.done and not result.batch_id:
                    result.status = "cancelled"
                    result.error = "cancelled"
                    self._emit(CellFailed(result.cell, result), self._keys.get(result.cell.index))
        finally:
            self._emit(RunFinished(self.run_id, tuple(self.results)))
            recorder = self.runner.recorder
            try:  # the run ends once its record is written (or the database is busy)
                if recorder is not None:
                    await recorder.settled()
            except Exception as exc:
                self.store_error = one_line(str(exc))
            finally:
                self._queue.put_nowait(None)

    def _request_for(self, model: str, cell: Cell) -> ChatRequest:
        request = self._requests.get((model, cell.temperature))
        if request is None:
            plan = self.plan
            request = self._requests[model, cell.temperature] = ChatRequest(
                model=model,
                messages=self._message_tuple,
                temperature=cell.temperature,
                max_tokens=plan.max_tokens,
                top_p=plan.top_p,
                seed=plan.seed,
                stop=tuple(plan.stop),
            )
        return request

    def _described_for(self, provider: Provider, request: ChatRequest) -> dict[str, Any]:
        """The request as recorded (``CellResult.request``): one dict per provider and request,
        shared by the cells that send it (read only: nobody changes a result's request)."""
        described = self._described.get((provider.name, request))
        if described is None:
            described = {"provider": provider.name, **provider.describe(request)}
            if "url" in described:
                described["url"] = redact_url(described["url"])
            self._described[provider.name, request] = described
        return described

    def _fallbacks(self, model_id: str) -> list[str]:
        return self.runner.settings.model_config(model_id).fallbacks

    async def _warmed(self) -> None:
        """Token counts and prices load big tables on first use (about a second, and parts
        of it hold the GIL): done once, in a thread, before the first request goes out, so
        it never stalls a stream being timed. Later runs find them loaded, and one with a short
        prompt skips the thread (an eval runs one per case)."""
        if self._warm is None:
            models = list(
                dict.fromkeys(m for c in self.cells for m in (c.model, *self._fallbacks(c.model)))
            )
            loaded = self.runner._warm_models
            if loaded.issuperset(models) and self.usage.chars() <= WARM_INLINE_CHARS:
                # loaded by an earlier run, and a short prompt: counted when the cell ends,
                # here on the loop, in less time than the hop to a thread (an eval's cases)
                self._warm = False
                return

            def warm_up() -> None:
                self.usage.warm_up(models)
                loaded.update(models)

            self._warm = asyncio.get_running_loop().run_in_executor(None, warm_up)
        if self._warm is not False:
            await asyncio.shield(self._warm)

    async def _run_cell(self, cell: Cell) -> None:
        result = self.results[cell.index]
        result.status = "running"
        result.started_at = time.time()
        chain = [cell.model, *self._fallbacks(cell.model)]
        try:
            for position, model_id in enumerate(chain):
                if position:
                    self._emit(CellFallback(cell, model_id, result.error or "failed", result.id))
                    result.fallback_used = model_id
                    result.error = None
                batched = await self._attempt_model(cell, model_id, result, first=position == 0)
                if batched or result.status == "ok" or result.output:
                    break
        except asyncio.CancelledError:
            result.status = "cancelled"
            result.error = "cancelled"
        except Exception as exc:  # never let one cell take the run down
            result.status = "error"
            result.error = f"internal error: {one_line(repr(exc))}"
        finally:
            result.ended_at = time.time()
            if result.status == "running":
                result.status = "error"
            if result.status == "pending":  # waits in a batch job: no usage or cost yet
                self._emit(CellPending(cell, result), self._keys.get(cell.index))
            else:
                await self._ended(cell, result)

    async def _ended(self, cell: Cell, result: CellResult) -> None:
        """A cell's end: counts and cost, keys hidden, then CellFinished or CellFailed."""
        if not result.cached:
            with contextlib.suppress(asyncio.CancelledError):  # cancelled again: count anyway
                await self._warmed()
        self.usage.finalize(result)
        if result.error:
            result.error = redact_text(result.error, self._secrets)
        # a key the model echoed is hidden the same everywhere: run's output, the store,
        # show and export (and a key cut off mid-stream too)
        result.output = redact_output(result.output, self._secrets)
        result.reasoning = redact_output(result.reasoning, self._secrets)
        self._emit(
            CellFinished(cell, result) if result.status == "ok" else CellFailed(cell, result),
            self._keys.get(cell.index),
        )

    async def _attempt_model(
        self, cell: Cell, model_id: str, result: CellResult, *, first: bool
    ) -> bool:
        """One model of the cell's chain; True when the cell went to a batch job instead."""
        runner = self.runner
        result.model_used = model_id
        try:
            provider, model = resolve(runner.providers, model_id)
        except ProviderError as exc:
            self._fail(result, exc.message)
            if first:
                self._emit(CellStarted(cell, result))
            return False
        request = self._request_for(model, cell)
        result.request = self._described_for(provider, request)
        key = None
        if runner.recorder is not None or runner.cache is not None:
            # keyed even with the cache off, so the recorded cell can answer later runs
            key = self._cache_key(cell, provider, model, request)
            self._keys[cell.index] = key
        if first:
            self._emit(CellStarted(cell, result))
        if key is not None and self.plan.use_cache and runner.cache is not None:
            hit = self._lookup(runner.cache, key, first)
            if hit:
                priced = pricing.price_ref(runner.settings, result.model_used or cell.model)
                apply_hit(result, hit, priced is not None)
                if result.output:
                    self._emit(CellDelta(cell, result.output, response_id=result.id))
                return False
        missing = provider.missing_key_error()
        if missing:
            self._fail(result, missing.message)
            return False
        if first and self.batch is not None and self.batch.accepts(provider):
            await self.batch.take(cell, provider, request, result)
            return True
        await self._warmed()
        pace = runner.pace(provider.name)
        if pace.limited:  # before the slots: a cell waiting for its turn holds none
            await pace.acquire(self.usage.input_estimate(model_id) + (self.plan.max_tokens or 0))
        global_sem, provider_sem = runner._semaphores(provider.name)
        queued = provider_sem.locked() or global_sem.locked()
        if queued:
            self._emit(CellQueued(cell, self._queue_reason(provider.name, provider_sem), result.id))
        # Provider first: a cell queued behind its provider's limit holds no global slot,
        # so other providers' cells are not starved.
        async with provider_sem, global_sem:
            if queued:
                self._emit(CellSending(cell, result.id))
            await self._stream_with_retries(cell, provider, request, result)
        return False

    def _queue_reason(self, provider: str, provider_sem: asyncio.Semaphore) -> str:
        settings = self.runner.settings
        if provider_sem.locked():
            cfg = settings.providers.get(provider)
            limit = cfg.max_concurrency if cfg else "?"
            return f"queued: {provider} runs {limit} at once (max_concurrency)"
        return f"queued: {settings.defaults.concurrency} calls at once (concurrency)"

    def _cache_key(self, cell: Cell, provider: Provider, model: str, request: ChatRequest) -> str:
        """core.cache.cache_key of the cell's call (CallKeys: a model and temperature's part
        hashed once, each cell only its sample)."""
        memo = (cell.index, provider.name, model)
        key = self._key_memo.get(memo)
        if key is None:
            keys = self._call_keys
            if keys is None:
                keys = self._call_keys = CallKeys(self.messages)
            same = (provider.name, model, cell.temperature)  # the request is per model and temp
            prefix = self._key_prefixes.get(same)
            if prefix is None:
                prefix = self._key_prefixes[same] = keys.prefix(
                    provider.name,
                    provider.endpoint(request),
                    model,
                    request.params() | {"temperature": cell.temperature},
                )
            key = self._key_memo[memo] = keys.key(prefix, cell.sample)
        return key

    def _lookup(self, cache: ResponseCache, key: str, first: bool) -> dict[str, Any] | None:
        """Every cell's first model is asked about in one question (one query, not one per
        cell); a fallback model asks for its own key."""
        if not first:
            return cache.lookup_cache_many([key]).get(key)
        if self._prefetched is None:
            keys = []
            for cell in self.cells:
                try:
                    provider, model = resolve(self.runner.providers, cell.model)
                except ProviderError:
                    continue
                request = self._request_for(model, cell)
                keys.append(self._cache_key(cell, provider, model, request))
            self._prefetched = cache.lookup_cache_many(keys)
        if key in self._prefetched:
            return self._prefetched[key]
        return cache.lookup_cache_many([key]).get(key)

    def _fail(self, result: CellResult, message: str) -> None:
        result.status = "error"
        result.error = message

    async def _stream_with_retries(
        self, cell: Cell, provider: Provider, request: ChatRequest, result: CellResult
    ) -> None:
        max_retries = self.runner.settings.defaults.max_retries
        read_timeout = self.runner.settings.defaults.read_timeout
        client = self.runner.client
        if cell.index not in self._sinks and self.runner.recorder is not None:
            # asked for at the first request sent (a batch cell or a cache hit never streams)
            self._sinks[cell.index] = self.runner.recorder.stream_to(result.id)
        sink = self._sinks.get(cell.index)
        pace = self.runner.pace(provider.name)
        for attempt in range(max_retries + 1):
            await pace.wait_if_paused()  # a 429 elsewhere holds every cell of the provider
            result.attempts = attempt + 1
            t0 = time.perf_counter()
            result.ttft_ms = None
            # Usage and finish belong to the attempt that answers, not to one that failed.
            result.input_tokens = result.output_tokens = None
            result.cached_input_tokens = result.cache_write_tokens = 0
            result.usage_source = result.finish_reason = None
            error: ProviderError | None = None
            events = 0
            finished = False
            raw: list[Any] = []  # this attempt's response as it came, for the inspect view
            overlapped = self.runner._open_request(provider.name)
            try:
                async for event in provider.stream(client, request, raw):
                    events += 1
                    if type(event) is TextDelta:
                        if result.ttft_ms is None:
                            result.ttft_ms = (time.perf_counter() - t0) * 1000
                        result.output += event.text
                        self._emit_chunk(CellDelta(cell, event.text, False, result.id), sink)
                    elif type(event) is ReasoningDelta:
                        if result.ttft_ms is None:
                            result.ttft_ms = (time.perf_counter() - t0) * 1000
                        result.reasoning += event.text
                        self._emit_chunk(CellDelta(cell, event.text, True, result.id), sink)
                    elif type(event) is UsageReport:
                        RunUsage.apply(result, event)
                        self._emit_chunk(CellUsage(cell, result), sink)
                    elif type(event) is Finish:
                        finished = True
                        if event.reason:  # OpenAI's [DONE], Anthropic's message_stop: none
                            result.finish_reason = event.reason
                if not events:  # every real stream says something, if only how it finished
                    raise ProviderError(
                        "the server answered but sent nothing this provider understands "
                        f"(check base_url: {provider.base_url})",
                        code="empty",
                    )
                if not finished:  # cut off (a proxy, a crash): never an ok, never cached
                    raise unfinished(started=bool(result.output or result.reasoning))
                result.latency_ms = (time.perf_counter() - t0) * 1000
                result.status = "ok"
                result.error = None
                return
            except ProviderError as exc:
                error = exc
            except httpx.HTTPError as exc:
                error = error_from_exception(
                    exc,
                    base_url=provider.base_url,
                    connect_timeout=self.runner.settings.defaults.connect_timeout,
                    read_timeout=read_timeout,
                )
                assert error is not None
                if error.code == "dropped" and overlapped():
                    error = one_at_a_time_hint(error, self.runner.settings, provider.name)
            finally:
                self.runner._close_request(provider.name)
                if raw:
                    result.raw_response = raw_text(raw)
            result.latency_ms = (time.perf_counter() - t0) * 1000
            started = bool(result.output or result.reasoning)
            kept = started and error.code != "unfinished"  # that one says so already
            suffix = " (partial output kept; not retried)" if kept else ""
            self._fail(result, error.message + suffix)
            if gives_up(error, started=started, attempt=attempt, max_retries=max_retries):
                if attempt and not started:
                    result.error = f"{error.message} (after {attempt + 1} attempts)"
                return
            wait = retry_wait(error, attempt)
            if error.status == 429:
                pace.back_off(wait)
            self._emit(CellRetry(cell, attempt + 1, wait, error.message, result.id))
            await asyncio.sleep(wait)
            result.status = "running"
