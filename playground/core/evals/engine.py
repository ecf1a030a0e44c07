"""Running cases through the runner and grading every output.

Each case becomes a RunPlan (the prompt with the case's variables) run through the same
runner as ``playground run`` (concurrency, retries, cache, recording). Cases are started as
they are read, a window at a time, so a 10,000-row dataset streams through with memory that
does not grow with it: a graded result is handed to ``on_result`` and forgotten.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from playground.core.evals.assertions import (
    Context,
    Outcome,
    case_verdict,
    grade,
    needs_model,
    unevaluable,
)
from playground.core.evals.cases import AssertionSpec, Case
from playground.core.evals.judges import ModelGrader
from playground.core.evals.variations import Variation
from playground.core.model import Cell, CellResult
from playground.core.plan import RunPlan
from playground.core.template import TemplateError, render_text


@dataclass
class CaseResult:
    """One case on one cell: the output's verdict and each assertion's."""

    case: Case
    cell: Cell
    result: CellResult | None  # None when nothing ran (the case could not be built)
    outcomes: list[Outcome] = field(default_factory=list)
    passed: bool = False
    score: float | None = None
    error: str | None = None
    variation: Variation | None = None

    @property
    def key(self) -> tuple[str, float | None]:
        return self.cell.model, self.cell.temperature

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "case": self.case.number,
            "description": self.case.description,
            "vars": self.case.vars,
            "model": self.cell.model,
            "temperature": self.cell.temperature,
            "sample": self.cell.sample,
            "response_id": r.id if r is not None else None,
            "passed": self.passed,
            "score": None if self.score is None else round(self.score, 4),
            "error": self.error,
            "assertions": [o.to_json() for o in self.outcomes],
            "status": r.status if r is not None else "error",
            "cached": bool(r.cached) if r is not None else False,
            "output": r.output if r is not None else "",
            "variation": self.variation.label if self.variation else None,
            "variation_kind": self.variation.kind if self.variation else None,
        }


@dataclass
class CaseRun:
    """Everything one case produced: the original's results and each variation's."""

    case: Case
    original: list[CaseResult]
    varied: list[tuple[Variation, list[CaseResult]]] = field(default_factory=list)


class EvalEngine:
    """Runs cases on a plan's matrix and grades them. One per ``playground eval``."""

    def __init__(
        self,
        runner: Any,
        plan: RunPlan,
        *,
        folder: Path,
        workspace: Path | None = None,
        coerce: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        window: int | None = None,
        variations: list[Variation] | None = None,
        original_latency: Callable[[CellResult], float | None] | None = None,
    ) -> None:
        """``original_latency``: for a result answered from the cache, the latency of the
        call that first produced it (the recorder knows), so ``latency`` grades that call."""
        self.runner = runner
        self.plan = plan
        self.folder = folder
        self.workspace = workspace
        self.coerce = coerce
        self.variations = list(variations or [])
        self.original_latency = original_latency
        concurrency = max(1, runner.settings.defaults.concurrency)
        # enough cases in flight to keep every slot busy while others are being graded
        self.window = window or max(16, 2 * concurrency)
        self.grader = ModelGrader(runner)
        self.cases_done = 0
        self.cancelled = False
        self._handles: set[Any] = set()

    def cancel(self) -> None:
        """Stop starting cases and cancel the cells in flight (they are reported cancelled)."""
        self.cancelled = True
        for handle in list(self._handles):
            handle.cancel()

    async def run(self, cases: Iterable[Case], on_case: Callable[[CaseRun], None]) -> None:
        """Run every case (a window at a time) and hand each finished one to ``on_case``."""
        slots = asyncio.Semaphore(self.window)
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        async def one(case: Case) -> None:
            try:
                run = await self.run_case(case)
                self.cases_done += 1
                on_case(run)
            except BaseException as exc:  # surfaced after the others are stopped
                failure.append(exc)
                self.cancel()
            finally:
                slots.release()

        for case in cases:
            await slots.acquire()
            if self.cancelled or failure:
                slots.release()
                break
            task = asyncio.get_running_loop().create_task(one(case))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if failure and not isinstance(failure[0], asyncio.CancelledError):
            raise failure[0]

    async def run_case(self, case: Case) -> CaseRun:
        if not self.variations:  # the usual case: no gather, so no task of its own
            return CaseRun(case, await self._run_one(case, self.plan, None))
        jobs = [self._run_one(case, self.plan, None)]
        for variation in self.variations:
            jobs.append(self._run_one(case, self.plan, variation))
        done = await asyncio.gather(*jobs)
        return CaseRun(
            case,
            done[0],
            [(v, results) for v, results in zip(self.variations, done[1:], strict=True)],
        )

    def case_plan(self, case: Case, base: RunPlan, variation: Variation | None) -> RunPlan:
        variables = {**base.variables, **case.vars}
        if self.coerce is not None:
            variables = self.coerce(variables)
        template = base.template
        if variation is not None:
            template, variables = variation.apply(template, variables)
        return replace(base, template=template, variables=variables)

    async def _run_one(
        self, case: Case, base: RunPlan, variation: Variation | None
    ) -> list[CaseResult]:
        if case.problem:
            return [
                self._broken(case, c, f"{case.where}: {case.problem}", variation)
                for c in base.cells()
            ]
        plan = self.case_plan(case, base, variation)
        try:
            handle = self.runner.start(plan)
        except TemplateError as exc:
            return [self._broken(case, c, f"{case.where}: {exc}", variation) for c in base.cells()]
        self._handles.add(handle)
        try:
            if self.cancelled:
                handle.cancel()
            await handle.wait()  # the events are the recorder's: no wake-up here for each
        finally:
            self._handles.discard(handle)
        if len(handle.results) == 1:  # one cell: graded here, not in a task of its own
            return [await self._grade(case, handle.results[0], plan.variables, variation)]
        graded = await asyncio.gather(
            *(self._grade(case, r, plan.variables, variation) for r in handle.results)
        )
        return list(graded)

    def _broken(
        self, case: Case, cell: Cell, error: str, variation: Variation | None
    ) -> CaseResult:
        return CaseResult(case, cell, None, [], False, None, error, variation)

    async def _grade(
        self,
        case: Case,
        result: CellResult,
        variables: dict[str, Any],
        variation: Variation | None,
    ) -> CaseResult:
        out = CaseResult(case, result.cell, result, variation=variation)
        if result.status != "ok":
            out.error = f"{case.where}: the call failed: {result.error or result.status}"
            return out
        latency, cost = result.latency_ms, result.cost_usd
        if result.cached:
            latency, cost = self._original_figures(result)
        ctx = Context(
            output=result.output,
            vars=variables,
            model=result.model_used or result.cell.model,
            temperature=result.cell.temperature,
            sample=result.cell.sample,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            latency_ms=latency,
            cost_usd=cost,
            folder=self.folder,
            workspace=self.workspace,
        )
        outcomes: list[Outcome] = []
        for spec in case.asserts:
            value, problem = _rendered_value(spec, variables)
            if problem is not None:
                outcomes.append(unevaluable(spec, problem))
            elif needs_model(spec):
                outcomes.append(await self.grader.grade(spec, ctx, value))
            else:
                outcomes.append(grade(spec, ctx, value))
        out.outcomes = outcomes
        out.passed, out.score = case_verdict(outcomes, case.threshold)
        for spec, outcome in zip(case.asserts, outcomes, strict=True):
            if outcome.error is not None:
                out.error = f"{case.where}, {spec.describe()}: {outcome.error}"
                break
        return out

    def _original_figures(self, result: CellResult) -> tuple[float | None, float | None]:
        """(latency, cost) of the call a cached answer came from: latency as recorded, cost
        priced from its usage (the cached cell itself cost nothing)."""
        from playground.core import pricing
        from playground.core.usage import reported_usage

        latency = self.original_latency(result) if self.original_latency else None
        usage = reported_usage(result)
        if usage is None:
            return latency, result.cost_usd
        model = result.model_used or result.cell.model
        return latency, pricing.cost_usd(self.runner.settings, model, usage)


def _rendered_value(spec: AssertionSpec, variables: dict[str, Any]) -> tuple[Any, str | None]:
    """An assertion value that holds ``{{var}}`` is rendered with the case's variables, so a
    dataset row can carry its own expected answer."""
    value = spec.value
    try:
        if isinstance(value, str) and "{{" in value:
            return render_text(value, variables), None
        if isinstance(value, list) and any(isinstance(v, str) and "{{" in v for v in value):
            return [render_text(v, variables) if isinstance(v, str) else v for v in value], None
    except TemplateError as exc:
        return None, f"value: {exc}"
    return value, None
