"""What a plan will cost before it runs: tokens per model, input cost, worst and expected cost.

Per cell: the input tokens (``method`` "exact" for OpenAI models counted with tiktoken, or a
provider's count-tokens answer; "estimate" otherwise, shown with ≈), the input cost, the
worst-case output cost (max tokens × the output price) and, where earlier runs of the model
are on record, an expected cost from their average output length. Estimates for non-OpenAI
models are multiplied by ``input_ratio``: what the provider reported over what we counted,
on earlier runs of the same model.

``Estimator`` keeps its counters between calls so a front end can re-estimate on every
keystroke: only the chunk of text around an edit is re-encoded (see tokens.IncrementalCounter),
each distinct encoding is counted once whatever the number of models, and a large first
count is spread over two threads. For the live view a template that cannot render is not an
error: missing variables count as empty text, and a template that still fails is counted as
written (``PlanEstimate.render_error`` says so). ``playground estimate`` renders strictly.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from playground.config import Settings
from playground.core import pricing, tokens
from playground.core.plan import RunPlan
from playground.core.template import Message, MissingVariable, TemplateError

if TYPE_CHECKING:
    from playground.core.exact_counts import ExactCounter

PARALLEL_MIN_CHARS = 100_000  # below this, a second thread costs more than it saves
STATS_TTL_S = 30.0


@dataclass
class UsageStats:
    """What earlier runs of one model say about it.

    ``input_ratio`` is provider-reported input tokens / our ``estimated_input_tokens``, over
    earlier runs whose usage came from the provider; None when there are none.
    """

    samples: int
    avg_output_tokens: float | None
    input_ratio: float | None


class UsageStatsSource(Protocol):
    """Anything that can answer from past runs (the session store implements it)."""

    def usage_stats(self, model_id: str) -> UsageStats | None: ...


@dataclass
class CellEstimate:
    model: str
    temperature: float | None
    input_tokens: int
    method: str  # "exact" | "estimate"
    input_cost_usd: float | None
    max_output_cost_usd: float | None
    expected_cost_usd: float | None
    sample: int = 1
    max_output_tokens: int | None = None
    expected_output_tokens: float | None = None
    # the worst case in a `--batch` run: the batch price where the provider batches, else live
    batch_max_cost_usd: float | None = None
    batched: bool = False  # the provider has a batch API (and `batch` is not off)

    @property
    def exact(self) -> bool:
        return self.method == "exact"

    @property
    def max_cost_usd(self) -> float | None:
        if self.input_cost_usd is None or self.max_output_cost_usd is None:
            return None
        return self.input_cost_usd + self.max_output_cost_usd

    @property
    def tokens_label(self) -> str:
        """'1,234' when exact, '≈1,234' when estimated."""
        return f"{'' if self.exact else '≈'}{self.input_tokens:,}"

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "temperature": self.temperature,
            "sample": self.sample,
            "input_tokens": self.input_tokens,
            "method": self.method,
            "input_cost_usd": _r(self.input_cost_usd),
            "max_output_tokens": self.max_output_tokens,
            "max_output_cost_usd": _r(self.max_output_cost_usd),
            "expected_cost_usd": _r(self.expected_cost_usd),
            "batch_max_cost_usd": _r(self.batch_max_cost_usd),
        }


@dataclass
class PlanEstimate:
    cells: list[CellEstimate]
    total_input_tokens: int
    input_cost_usd: float | None  # priced cells only; None when no cell is priced
    max_cost_usd: float | None  # worst case of the priced cells
    expected_cost_usd: float | None  # None unless every priced cell has run history
    unpriced: list[str]  # model ids with no known price (left out of the totals)
    missing_variables: list[str] = field(default_factory=list)  # counted as empty
    render_error: str | None = None  # the template could not render; counted as written
    elapsed_ms: float = 0.0
    # what was counted: a front end asks the providers' count endpoints for exactly these
    messages: list[Message] = field(default_factory=list, repr=False)
    batch_max_cost_usd: float | None = None  # the worst case of a `--batch` run

    @property
    def any_batched(self) -> bool:
        """Some cells would go to a batch API with `--batch` (so a batch price applies)."""
        return any(c.batched for c in self.cells)

    def by_model(self) -> dict[str, CellEstimate]:
        """One cell per model (all cells of a model have the same input)."""
        out: dict[str, CellEstimate] = {}
        for cell in self.cells:
            out.setdefault(cell.model, cell)
        return out

    def cell_cost_by_model(self) -> dict[str, float | None]:
        """What one more cell of each model costs: expected, else the worst case."""
        return {
            model: c.expected_cost_usd if c.expected_cost_usd is not None else c.max_cost_usd
            for model, c in self.by_model().items()
        }

    def to_json(self) -> dict[str, Any]:
        """The ``playground estimate --json`` document."""
        return {
            "cells": [c.to_json() for c in self.cells],
            "total": {
                "input_tokens": self.total_input_tokens,
                "input_cost_usd": _r(self.input_cost_usd),
                "max_cost_usd": _r(self.max_cost_usd),
                "expected_cost_usd": _r(self.expected_cost_usd),
                "unpriced": list(self.unpriced),
                "batch_max_cost_usd": _r(self.batch_max_cost_usd),
            },
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 8)


@dataclass
class _ModelFigures:
    tokens: int
    method: str
    input_cost: float | None
    max_output_cost: float | None
    expected_cost: float | None
    expected_output: float | None
    batch_max_cost: float | None = None
    batched: bool = False


class Estimator:
    """Estimates plans, keeping per-message counters so re-estimating after an edit is cheap.

    Safe to call from a worker thread; calls are serialized.
    """

    def __init__(
        self,
        settings: Settings,
        stats: UsageStatsSource | None = None,
        exact: ExactCounter | None = None,
        parallel: bool | None = None,
    ) -> None:
        """``parallel``: count a large first estimate on two threads (None: when a core is
        spare, judged by the load average)."""
        self.settings = settings
        self.parallel = parallel
        self.stats = stats
        self.exact = exact
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, int], tokens.IncrementalCounter] = {}
        self._stats: dict[str, tuple[float, UsageStats | None]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def refresh_stats(self) -> None:
        """Forget cached run history (call after a run finishes)."""
        with self._lock:
            self._stats.clear()

    # -- the estimate ----------------------------------------------------------------------
    def estimate(self, plan: RunPlan) -> PlanEstimate:
        t0 = time.perf_counter()
        messages, missing, render_error = render_for_estimate(plan)
        with self._lock:
            figures = self._figures(plan, messages)
        cells: list[CellEstimate] = []
        for cell in plan.cells():
            f = figures[cell.model]
            cells.append(
                CellEstimate(
                    model=cell.model,
                    temperature=cell.temperature,
                    sample=cell.sample,
                    input_tokens=f.tokens,
                    method=f.method,
                    input_cost_usd=f.input_cost,
                    max_output_cost_usd=f.max_output_cost,
                    expected_cost_usd=f.expected_cost,
                    max_output_tokens=plan.max_tokens,
                    expected_output_tokens=f.expected_output,
                    batch_max_cost_usd=f.batch_max_cost,
                    batched=f.batched,
                )
            )
        result = _totals(cells)
        result.missing_variables = missing
        result.render_error = render_error
        result.messages = messages
        result.elapsed_ms = (time.perf_counter() - t0) * 1000
        return result

    def _figures(self, plan: RunPlan, messages: list[Message]) -> dict[str, _ModelFigures]:
        models = list(dict.fromkeys(plan.models))
        plans = {m: tokens.encoding_for(m) for m in models}
        content = self._count_contents(messages, {enc for enc, _ in plans.values()})
        digest: str | None = None
        out: dict[str, _ModelFigures] = {}
        for model in models:
            encoding, exact = plans[model]
            raw = tokens.chat_framing(encoding, messages) + content[encoding]
            count, method = raw, "exact" if exact else "estimate"
            stats = self._usage_stats(model)
            if not exact and self.exact is not None and self.exact.has_counts(model):
                if digest is None:
                    from playground.core.exact_counts import messages_digest

                    digest = messages_digest(messages)
                fetched = self.exact.cached(model, digest)
                if fetched is not None:
                    count, method = fetched, "exact"
            if method == "estimate" and stats is not None and stats.input_ratio:
                count = max(0, round(raw * stats.input_ratio))
            out[model] = self._price(model, count, method, plan.max_tokens, stats)
        return out

    def _price(
        self,
        model: str,
        count: int,
        method: str,
        max_tokens: int | None,
        stats: UsageStats | None,
    ) -> _ModelFigures:
        ref = pricing.price_ref(self.settings, model)
        input_cost = max_output = expected = None
        expected_output: float | None = None
        if stats is not None and stats.avg_output_tokens is not None:
            expected_output = stats.avg_output_tokens
            if max_tokens is not None:
                expected_output = min(expected_output, float(max_tokens))
        if ref is not None:
            parts = pricing.price_with(ref, count, max_tokens or 0)
            if parts is not None:
                input_cost = parts[0]
                max_output = parts[1] if max_tokens is not None else None
            if expected_output is not None:
                exp = pricing.price_with(ref, count, round(expected_output))
                if exp is not None:
                    expected = exp[0] + exp[1]
        figures = _ModelFigures(count, method, input_cost, max_output, expected, expected_output)
        if input_cost is not None and max_output is not None:
            figures.batch_max_cost = input_cost + max_output
        cfg = self.settings.providers.get(model.partition(":")[0])
        if cfg is not None and cfg.can_batch():
            figures.batched = True
            batch = pricing.batch_cost_parts(self.settings, model, count, max_tokens or 0)
            figures.batch_max_cost = None if batch is None or max_tokens is None else sum(batch)
        return figures

    def _usage_stats(self, model: str) -> UsageStats | None:
        if self.stats is None:
            return None
        now = time.monotonic()
        hit = self._stats.get(model)
        if hit is not None and now - hit[0] < STATS_TTL_S:
            return hit[1]
        try:
            value = self.stats.usage_stats(model)
        except Exception:  # a store problem must never break the live estimate
            value = None
        self._stats[model] = (now, value)
        return value

    # -- counting --------------------------------------------------------------------------
    def _count_contents(self, messages: Sequence[Message], encodings: set[str]) -> dict[str, int]:
        """Sum of message-content tokens per encoding, re-encoding only what changed."""
        work: list[tuple[tokens.IncrementalCounter, list[str]]] = []
        for encoding in sorted(encodings):
            for i, m in enumerate(messages):
                counter = self._counters.get((encoding, i))
                if counter is None:
                    counter = self._counters[(encoding, i)] = tokens.IncrementalCounter(encoding)
                work.append((counter, counter.prepare(m.content)))
            for key in [k for k in self._counters if k[0] == encoding and k[1] >= len(messages)]:
                del self._counters[key]
        jobs = [(c.encoding, text) for c, pending in work for text in pending]
        counts = self._encode_all(jobs)
        pos = 0
        for counter, pending in work:
            counter.commit(counts[pos : pos + len(pending)])
            pos += len(pending)
        totals = dict.fromkeys(encodings, 0)
        for counter, _ in work:
            totals[counter.encoding] += counter.total
        return totals

    def _encode_all(self, jobs: list[tuple[str, str]]) -> list[int]:
        """Token counts of (encoding, text) jobs; big batches are split over two threads
        (tiktoken releases the GIL while it encodes)."""
        size = sum(len(t) for _, t in jobs)
        spare = _spare_core() if self.parallel is None else self.parallel
        if size < PARALLEL_MIN_CHARS or len(jobs) < 2 or not spare:
            return _encode_jobs(jobs)
        # two halves of about equal size, in order
        acc, cut = 0, len(jobs)
        for i, (_, text) in enumerate(jobs):
            acc += len(text)
            if acc >= size / 2:
                cut = i + 1
                break
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="playground-tokens")
        future = self._pool.submit(_encode_jobs, jobs[cut:])
        first = _encode_jobs(jobs[:cut])
        return first + future.result()


def _spare_core() -> bool:
    """Whether a second thread would get a core of its own: on a machine already busy with
    other work (load average near the core count) two threads only add switching."""
    cores = os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return True
    return load <= cores - 1


def _encode_jobs(jobs: Sequence[tuple[str, str]]) -> list[int]:
    encoders: dict[str, Any] = {}
    out: list[int] = []
    for name, text in jobs:
        enc = encoders.get(name)
        if enc is None:
            enc = encoders[name] = tokens.get_encoding(name)
        out.append(len(enc.encode_ordinary(text)))
    return out


def render_for_estimate(plan: RunPlan) -> tuple[list[Message], list[str], str | None]:
    """Rendered messages, with missing variables as empty text; never raises.

    Returns (messages, the variables that were missing, the error if it still failed; the
    template's own text is then counted instead).
    """
    try:
        return plan.render(), [], None
    except MissingVariable:
        pass
    except TemplateError as exc:
        return list(plan.template.messages), [], str(exc)
    variables = dict(plan.variables)
    missing: list[str] = [name for name in plan.template.variables() if name not in variables]
    for name in missing:
        variables[name] = ""
    for _ in range(8):
        try:
            return plan.template.render(variables, history=plan.history), missing, None
        except MissingVariable as exc:  # a name the static scan could not see
            if exc.name in variables:
                error = str(exc)
                break
            variables[exc.name] = ""
            missing.append(exc.name)
        except TemplateError as exc:
            error = str(exc)
            break
    else:
        error = "template: too many missing variables"
    return list(plan.template.messages), missing, error


def _totals(cells: list[CellEstimate]) -> PlanEstimate:
    priced = [c for c in cells if c.input_cost_usd is not None]
    unpriced = list(dict.fromkeys(c.model for c in cells if c.input_cost_usd is None))
    input_cost = sum(c.input_cost_usd or 0.0 for c in priced) if priced else None
    max_cost: float | None = None
    if priced and all(c.max_cost_usd is not None for c in priced):
        max_cost = sum(c.max_cost_usd or 0.0 for c in priced)
    expected: float | None = None
    if priced and all(c.expected_cost_usd is not None for c in priced):
        expected = sum(c.expected_cost_usd or 0.0 for c in priced)
    batch_max: float | None = None
    if priced and all(c.batch_max_cost_usd is not None for c in priced):
        batch_max = sum(c.batch_max_cost_usd or 0.0 for c in priced)
    return PlanEstimate(
        cells=cells,
        total_input_tokens=sum(c.input_tokens for c in cells),
        input_cost_usd=input_cost,
        max_cost_usd=max_cost,
        expected_cost_usd=expected,
        unpriced=unpriced,
        batch_max_cost_usd=batch_max,
    )


def estimate_plan(
    settings: Settings, plan: RunPlan, stats: UsageStatsSource | None = None
) -> PlanEstimate:
    """One-off estimate (a fresh Estimator)."""
    estimator = Estimator(settings, stats)
    try:
        return estimator.estimate(plan)
    finally:
        estimator.close()
