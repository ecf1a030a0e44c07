"""The main screen's test cases: load them, run them through the same engine as
``playground eval``, and show each verdict where the answer is (badge, failed assertions,
summary rows). Keys on a cell: ``[`` / ``]`` step through its cases, ``o`` opens the shown
case's variables in the form.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground.tui.screens.main.eval_board import EvalBoard, badge, failure_reasons

if TYPE_CHECKING:
    from playground.core.evals.cases import TestSuite
    from playground.core.evals.engine import CaseResult, EvalEngine
    from playground.core.evals.variations import Variation
    from playground.core.plan import RunPlan
    from playground.store.eval_recording import EvalRecorder
    from playground.tui.screens.main.screen import MainScreen
    from playground.tui.widgets.cell import ResultCell
    from playground.tui.widgets.eval_panel import EvalPanel

SLICE_S = 0.01  # one tick shows badges for this long at most, the rest on the next: a key
# waits for one slice. A case's answer lays nothing out (a graded cell keeps its scrollbar and
# two rows of figures), so the first verdicts go slice by slice too: all 24 in one tick were
# ~100 ms of restyling and loading text, and a key typed then waited for all of it


class CaseRuns:
    """Owns the cases loaded for the screen and the eval running on its grid."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.loaded: TestSuite | None = None  # cases loaded from the palette
        self.board: EvalBoard | None = None
        self.engine: EvalEngine | None = None
        self.widgets: dict[int, ResultCell] = {}
        self._dirty: set[int] = set()
        self._shown: dict[int, Any] = {}  # grid cell -> the CaseResult it shows
        self._loop: asyncio.AbstractEventLoop | None = None  # the eval's, on its thread
        self._lock = threading.Lock()  # the board is filled there, read here

    # -- which cases ----------------------------------------------------------------------
    def tests_path(self) -> Path | None:
        """NAME.tests.yaml beside the open prompt file (it may not exist yet)."""
        from playground.core.evals.cases import tests_path_for

        info = self.screen.form.prompt_info
        return tests_path_for(getattr(info, "path", None))

    def suite(self) -> TestSuite | None:
        """The cases Ctrl+R runs: those loaded from the palette, else the open prompt file's
        tests file when it exists; None: a plain run. Raises TestsFileError."""
        if self.loaded is not None:
            return self.loaded
        path = self.tests_path()
        if path is None or not path.is_file():
            return None
        from playground.core.evals.cases import load_suite

        return load_suite(path)

    def load(self, text: str) -> str:
        """Load cases from a path typed in the palette: a tests file (``*.tests.yaml``, a
        list of cases or {defaults, cases}) or a dataset of variables (.csv, .jsonl, .yaml
        rows, sharing the prompt's tests file's default assertions). Returns what to say;
        raises TestsFileError when the file cannot be used."""
        from playground.core.evals.cases import TestsFileError, TestSuite, load_suite

        path = Path(text.strip()).expanduser()
        if not text.strip():
            raise TestsFileError("no file given")
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.name.endswith(".tests.yaml"):
            suite = load_suite(path)
        else:
            own = self.tests_path()
            base = load_suite(own) if own is not None and own.is_file() else TestSuite(None)
            suite = base.with_dataset(path)
        count = suite.count()
        self.loaded = suite
        return f"{count} case{'s' if count != 1 else ''} loaded from {path.name}: Ctrl+R runs them"

    def unload(self) -> None:
        self.loaded = None

    # -- running --------------------------------------------------------------------------
    @property
    def panel(self) -> EvalPanel:
        panel = self.screen.eval_panel()
        assert panel is not None
        return panel

    @property
    def running(self) -> bool:
        return self.engine is not None

    def cancel(self) -> bool:
        """Stop the eval running (its cells in flight are cancelled); False: none was."""
        engine, loop = self.engine, self._loop
        if engine is None or loop is None:
            return False
        with contextlib.suppress(RuntimeError):  # its loop has just closed
            loop.call_soon_threadsafe(engine.cancel)
        return True

    def leave(self) -> None:
        """A plain run takes the grid: stop the eval, forget its board, hide its panel."""
        self.cancel()
        self.board = None
        self.widgets = {}
        panel = self.screen.eval_panel(mount=False)  # never mounted: nothing to hide
        if panel is not None:
            panel.remove_class("-shown")

    async def run(
        self, plan: RunPlan, suite: TestSuite, variations: list[Variation] | None = None
    ) -> EvalBoard | None:
        """Every case on every cell of the plan, graded; verdicts shown as they come."""
        from playground.core.evals.cases import TestsFileError
        from playground.core.evals.engine import EvalEngine
        from playground.core.runner import Runner
        from playground.store.eval_recording import EvalRecorder

        screen, app = self.screen, self.screen.app
        self.cancel()
        await screen.runs.cancel_all_and_wait()
        try:
            total = await asyncio.to_thread(suite.count)
        except TestsFileError as exc:
            screen.notify(str(exc), severity="error")
            return None
        if not await self._within_budget(plan, total * (1 + len(variations or []))):
            return None
        board = self.board = EvalBoard(plan, total, variations)
        focused = getattr(screen.focused, "cell", None)  # a grid cell had the focus
        self.widgets = await screen.grid.build(
            plan.cells(), plan.repeats, markdown=app.state.markdown
        )
        if focused is not None and self.widgets:
            self.widgets.get(focused.index, next(iter(self.widgets.values()))).focus()
        self._shown.clear()
        for widget in self.widgets.values():
            widget.add_class("-graded")
            widget.set_queued(f"cases 0/{total}")
            widget.set_notice(f"case 1/{total} …")  # the case line's room, before the first
            # verdict: each cell's first one then changes no cell's height (no layout)
        self.panel.show_case(_text(""))
        self._refresh_summary()
        store = await asyncio.to_thread(lambda: app.store)
        recorder = EvalRecorder(store) if store is not None else None

        def on_case(run: Any) -> None:  # on the eval's thread
            with self._lock:
                self._dirty |= board.add(run)
            if recorder is not None:
                recorder.add_case(run)

        async def grade() -> None:  # the eval's own loop, runner and HTTP client
            runner = Runner(app.settings, app.providers, recorder)
            engine = EvalEngine(
                runner,
                plan,
                folder=suite.folder,
                workspace=app.settings.workspace,
                coerce=_coercer(plan),
                variations=variations,
                original_latency=recorder.original_figures if recorder is not None else None,
            )
            self._loop = asyncio.get_running_loop()
            self.engine = engine
            try:
                await engine.run(suite.cases(), on_case)
            finally:
                await runner.aclose()

        pacer = screen.grid.pacer  # verdicts reach the cells on the streamed text's clock
        pacer.add(self.refresh)
        problem = None
        try:
            # on a thread of its own: calls, grading and the store's writes never hold up a key
            await asyncio.to_thread(asyncio.run, grade())
        except Exception as exc:  # an engine failure is said, never a crash
            problem = " ".join(str(exc).split()) or type(exc).__name__
        finally:
            self.engine = None
            self._loop = None
            pacer.discard(self.refresh)
            board.finished = True
            await self.refresh()
        if recorder is not None:
            await asyncio.to_thread(self._record, recorder, board, suite)
            if recorder.error:
                screen.notify(
                    f"the eval was not fully recorded: {recorder.error}", severity="warning"
                )
        if problem:
            screen.notify(f"eval stopped: {problem}", severity="error")
        await self.update_agreement()
        app.runs_changed()
        return board

    async def _within_budget(self, plan: RunPlan, runs: int) -> bool:
        """Over ``[defaults] budget_usd`` (the plan's worst case × cases × variations; judge
        calls not counted), ask first, as a run does."""
        from playground.render.figures import format_cost
        from playground.tui.screens.dialogs import ConfirmScreen

        app = self.screen.app
        budget = app.settings.defaults.budget_usd
        if budget is None:
            return True
        estimate = await asyncio.to_thread(app.estimate, plan)
        worst = getattr(estimate, "max_cost_usd", None)
        if worst is None or worst * runs <= budget:
            return True
        question = (
            f"These {runs} runs of the matrix may cost up to {format_cost(worst * runs)} "
            f"(judge calls not counted), over your budget of {format_cost(budget)}. Run anyway?"
        )
        answer: bool = await self.screen.app.push_screen_wait(ConfirmScreen(question))
        return bool(answer)

    def _record(self, recorder: EvalRecorder, board: EvalBoard, suite: TestSuite) -> None:
        """The eval in the store as ``playground eval`` leaves it (results, summary), so
        history, show, export and compare see it."""
        recorder.close()
        board.run_id = recorder.run_id
        perturb = len(board.variations) or None
        recorder.save(self.screen.form.prompt_info, suite, board.summary(), perturb=perturb)

    # -- showing --------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Show what changed since the last tick: badges, shown cases, the summary."""
        board = self.board
        if board is None:
            return
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        pending = sorted(dirty)
        with self._lock:  # cells that show another case first: a first verdict, a failure
            fresh = [i for i in pending if self._new_case(board, i)]
        pending = fresh + sorted(dirty.difference(fresh))
        started = time.monotonic()
        for n, index in enumerate(pending):
            if not board.finished and time.monotonic() - started > SLICE_S:
                with self._lock:  # the rest on the next tick: a key waits for one slice
                    self._dirty.update(pending[n:])
                break
            await self.show_cell(index)
            await asyncio.sleep(0)  # a key typed meanwhile is echoed between two cells
        if dirty or board.finished:
            with self._lock:
                self._refresh_summary()
            focused = self.screen.focused
            if focused is not None and getattr(focused, "cell", None) is not None:
                self.focused(focused)  # type: ignore[arg-type]

    def _new_case(self, board: EvalBoard, index: int) -> bool:
        cases = board.cells.get(index)
        current = cases.current() if cases is not None else None
        return current is not None and self._shown.get(index) is not current

    async def show_cell(self, index: int) -> None:
        """The cell's badge, and the case it shows: its output, and why it failed."""
        board, widget = self.board, self.widgets.get(index)
        if board is None or widget is None or not widget.is_attached:
            return
        cases = board.cells.get(index)
        if cases is None:
            return
        with self._lock:  # the eval's thread adds results as they come
            current = cases.current()
            passed, total = cases.passed, cases.total
        if current is None:
            return
        line = case_line(current, board.total_cases)
        with widget.classes_at_once():  # status, read-only and verdict: one restyle
            if self._shown.get(index) is not current:
                self._shown[index] = current
                if current.result is not None:
                    await widget.show_result(current.result, readonly=False, notice=line)
            widget.set_notice(line)  # only a change is drawn
            # after the result: showing one clears the border's subtitle
            subtitle = badge(passed, total)
            if not board.finished and total < board.total_cases:
                subtitle += f" · {total}/{board.total_cases}…"
            if widget.border_subtitle != subtitle:
                widget.set_subtitle(subtitle)  # the bottom border row repainted, not the cell
            verdict = {"-eval-pass"} if total > 0 and passed == total else set()
            verdict |= {"-eval-fail"} if passed < total else set()
            classes = widget.border_classes - {"-eval-pass", "-eval-fail"}
            widget.set_border_classes(classes | verdict)

    def _refresh_summary(self) -> None:
        from playground.tui.widgets.eval_panel import summary_text

        board = self.board
        if board is None:
            return
        self.panel.show_summary(
            summary_text(board.summary(), board.cases_done, board.total_cases, self.agreement)
        )

    agreement = ""  # "the judge agrees with you on 9 of 10 rated outputs", once known

    async def update_agreement(self) -> None:
        """How often the judge's verdicts on this eval match the ratings given."""
        from playground.store.evals import judge_agreement

        board, store = self.board, self.screen.app.store
        if board is None or board.run_id is None or store is None:
            return
        agree, rated = await asyncio.to_thread(judge_agreement, store, board.run_id)
        self.agreement = (
            f"the judge agrees with you on {agree} of {rated} rated output{'s' * (rated != 1)}"
            if rated
            else ""
        )
        self._refresh_summary()

    async def pin(self, widget: ResultCell) -> None:
        """``t``: the cell's output becomes a reference in NAME.tests.yaml (a good or unrated
        answer: equals or similar; a bad one: not-similar), for the case it answers."""
        from playground.core.evals.pin import (
            PinError,
            pin_output,
            rating_is_good,
            reference_assertion,
        )

        screen = self.screen
        path = self.tests_path()
        result = widget.result
        if path is None:
            screen.notify(
                "pinning needs a prompt file: open one (playground prompts/NAME.prompt)",
                severity="warning",
            )
            return
        if result is None or result.status != "ok":
            screen.notify("only a finished answer can be pinned", severity="warning")
            return
        current = self.shown_case(widget)
        if current is not None:
            variables, description = dict(current.case.vars), current.case.description
        else:
            plan = screen.runs.plan_of(widget)
            variables = dict(plan.variables) if plan is not None else {}
            variables = variables or dict(screen.form.variables.values())
            description = None
        store = screen.app.store
        rating = None
        if store is not None and result.id is not None:
            row = await asyncio.to_thread(store.get_response, result.id)
            rating = (row or {}).get("rating")
        good = rating_is_good(*(rating.get("score"), rating.get("scale"))) if rating else None
        assertion = reference_assertion(result.output, good)
        try:
            pinned = await asyncio.to_thread(pin_output, path, variables, assertion, description)
        except PinError as exc:
            screen.notify(str(exc), severity="error", timeout=6)
            return
        screen.notify(pinned.describe(), timeout=4)

    def shown_case(self, widget: ResultCell) -> CaseResult | None:
        """The case result a grid cell shows (None: no eval on the grid)."""
        board = self.board
        if board is None or self.widgets.get(widget.cell.index) is not widget:
            return None
        cases = board.cells.get(widget.cell.index)
        with self._lock:
            return cases.current() if cases is not None else None

    def focused(self, widget: ResultCell) -> None:
        """A cell got the focus: the panel shows its case in full."""
        from playground.tui.widgets.eval_panel import case_text

        current = self.shown_case(widget)
        if current is not None and self.board is not None:
            self.panel.show_case(case_text(current, self.board.total_cases))

    async def step(self, widget: ResultCell, delta: int) -> None:
        """``]`` / ``[``: the next or previous case on this cell."""
        board = self.board
        if board is None or self.widgets.get(widget.cell.index) is not widget:
            self.screen.notify("no cases on the grid: Ctrl+R runs the prompt's tests file")
            return
        with self._lock:
            board.cells[widget.cell.index].step(delta)
        await self.show_cell(widget.cell.index)
        self.focused(widget)

    def open_case(self, widget: ResultCell) -> None:
        """``o``: the shown case's variables into the form, to edit the prompt against it."""
        from playground.tui.screens.main.form import field_text

        current = self.shown_case(widget)
        if current is None:
            self.screen.notify("no case on this cell: Ctrl+R runs the prompt's tests file")
            return
        form = self.screen.form
        form.set_variable_values({k: field_text(v) for k, v in current.case.vars.items()})
        form.on_variables_panel_changed()
        self.screen.editor.user_area.focus()
        self.screen.notify(f"case {current.case.number}'s variables are in the form", timeout=3)

    # -- stability ------------------------------------------------------------------------
    async def stability(self, widget: ResultCell) -> None:
        """``a``: the stability view of the cell's slot (its model × temperature across the
        repeats): for the shown case when cases ran, else for the run's answers."""
        from playground.render.figures import cell_label
        from playground.tui.screens.stability import StabilityScreen, column_tests

        screen = self.screen
        model, temperature = widget.cell.model, widget.cell.temperature
        label = cell_label(widget.cell, 1)
        current = self.shown_case(widget)
        board = self.board
        tests = []
        outputs: list[str] = []
        labels: list[str] = []
        if current is not None and board is not None:
            number = current.case.number
            costs = await asyncio.to_thread(self._unit_costs, board.plan)
            with self._lock:
                for index in board.slot(model, temperature):
                    r = board.cells[index].results.get(number)
                    if r is not None and r.result is not None and r.result.status == "ok":
                        outputs.append(r.result.output)
                        labels.append(f"#{r.cell.sample}")
                tests = column_tests(board, model, temperature, lambda m, t: costs.get(m))
            title = f"{label} · case {number}"
        else:
            for other in screen.grid.cells.values():
                answer = other.result
                same = (other.cell.model, other.cell.temperature) == (model, temperature)
                if same and answer is not None and answer.status == "ok":
                    outputs.append(answer.output)
                    labels.append(f"#{other.cell.sample}")
            title = label
        view = StabilityScreen(title, outputs, labels, tests, graded=current is not None)
        more = await screen.app.push_screen_wait(view)
        if more and board is not None:
            await self.more_samples(board, more)

    def _unit_costs(self, plan: RunPlan) -> dict[str, float | None]:
        """What one more cell of each model costs, from the estimator (expected, else worst)."""
        from dataclasses import replace

        try:
            estimate = self.screen.app.estimate(
                replace(plan, repeats=1, temperatures=plan.temperatures[:1])
            )
        except Exception:  # no figure rather than no view
            return {}
        return estimate.cell_cost_by_model()

    async def more_samples(self, board: EvalBoard, more: int) -> None:
        """Run the cases again with enough repeats for ``more`` more paired samples (the
        samples already answered come from the cache, at no cost)."""
        from dataclasses import replace

        from playground.core.plan import MAX_REPEATS

        suite = self.suite()
        if suite is None:
            return
        cases = max(1, board.total_cases)
        repeats = min(MAX_REPEATS, board.plan.repeats + -(-more // cases))
        if repeats == board.plan.repeats:
            self.screen.notify(f"already at the most repeats ({MAX_REPEATS})", severity="warning")
            return
        self.screen.notify(f"running {repeats} samples per case (was {board.plan.repeats})")
        plan = replace(board.plan, repeats=repeats)
        plan.use_cache = True
        await self.run(plan, suite)

    # -- fragility ------------------------------------------------------------------------
    async def fragility(self, plan: RunPlan, count: int, seed: int = 1) -> EvalBoard | None:
        """Run the cases (or, without any, the form's variables as one case) with ``count``
        seeded variations of the prompt, then show the flip rates and the most fragile
        sentence."""
        from playground.core.evals.cases import TestSuite
        from playground.core.evals.variations import make_variations
        from playground.tui.screens.fragility import FragilityScreen

        suite = self.suite() or TestSuite(None, inline=[{"vars": {}}])
        variations = make_variations(plan.template, count, seed)
        if not variations:
            self.screen.notify("this prompt has nothing to vary", severity="warning")
            return None
        board = await self.run(plan, suite, variations)
        if board is not None and board.cases_done:
            await self.screen.app.push_screen_wait(FragilityScreen(board))
        return board

    # -- compare with the last run --------------------------------------------------------
    async def compare(self, widget: ResultCell) -> None:
        """``v``: this run against the previous run of the same prompt, cell by cell."""
        from playground.tui.screens.compare_runs import CompareRunsScreen, compare_runs

        screen = self.screen
        store = await asyncio.to_thread(lambda: screen.app.store)
        if store is None:
            screen.notify(f"no history: {screen.app.store_error}", severity="error")
            return
        board = self.board
        if self.shown_case(widget) is not None and board is not None:
            run_id = board.run_id
        else:
            run_id = await asyncio.to_thread(_run_of, store, widget.result)
        if run_id is None:
            screen.notify("this run is not recorded yet: compare once it has finished")
            return
        from playground.store.evals import previous_run

        previous = await asyncio.to_thread(previous_run, store, run_id)
        if previous is None:
            screen.notify("no earlier run of this prompt to compare with", severity="warning")
            return
        doc, changes = await asyncio.to_thread(compare_runs, store, previous, run_id)
        await screen.app.push_screen_wait(CompareRunsScreen(doc, changes))


def _run_of(store: Any, result: Any) -> Any:
    """The run a result belongs to (once the store has written it)."""
    if result is None or result.id is None:
        return None
    flush = getattr(store, "flush", None)
    if flush is not None:
        flush()
    row = store.get_response(result.id)
    return (row or {}).get("run_id")


def case_line(result: CaseResult, total: int) -> str:
    """One line for the cell: which case, and the first reason it failed."""
    head = f"case {result.case.number}/{total}"
    if result.passed:
        return f"{head} ✓ passed"
    reasons = failure_reasons(result)
    return f"{head} ✗ {reasons[0] if reasons else 'failed'}"


def _coercer(plan: RunPlan) -> Any:
    """Case variables typed as the prompt file's schema says ("false" a boolean)."""
    if not plan.variable_types:
        return None
    from playground.library import coerce_variables

    return lambda values: coerce_variables(values, plan.variable_types)


def _text(value: str) -> Any:
    from rich.text import Text

    return Text(value)
