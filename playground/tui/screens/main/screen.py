"""The main screen: the form above, the estimate bar, the results grid below, and what the
keys do with them (run, cancel, history, and the actions on a cell)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static, TextArea

from playground.render.figures import format_cost
from playground.tui.api_keys import NO_KEYS_HINT, any_key
from playground.tui.compositor import RowCompositor
from playground.tui.screens.main.controller import RunController
from playground.tui.screens.main.form import PlanError, PromptForm
from playground.tui.screens.main.split import beside, form_cols, form_rows, moved
from playground.tui.widgets.editor import PromptEditor
from playground.tui.widgets.stand_ins import ICON, footer_stand_in, header_stand_in

if TYPE_CHECKING:
    from playground.core.model import CellResult
    from playground.core.plan import RunPlan
    from playground.core.runner import RunHandle
    from playground.tui.app import PlaygroundApp
    from playground.tui.screens.main.evals import CaseRuns
    from playground.tui.widgets.cell import ResultCell
    from playground.tui.widgets.estimate_bar import EstimateBar
    from playground.tui.widgets.eval_panel import EvalPanel
    from playground.tui.widgets.grid import ResultGrid
    from playground.tui.widgets.model_picker import ModelPicker
    from playground.tui.widgets.run_summary import RunSummary


class MainScreen(Screen[None]):
    """Editor and matrix above, the estimate bar, the results grid below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+o,ctrl+h", "history", "History", key_display="^o"),
        Binding("ctrl+g", "toggle_grid", "Grid"),
        Binding("ctrl+n", "toggle_cache", "Cache"),
        Binding("f2", "focus_prompt", "Prompt", show=False),
        Binding("f3", "focus_grid", "Results"),
        Binding("ctrl+s", "save_prompt", "Save", show=False),
        Binding("ctrl+down", "split(1)", "Editor larger", show=False),
        Binding("ctrl+up", "split(-1)", "Editor smaller", show=False),
    ]

    app: PlaygroundApp

    def __init__(self) -> None:
        super().__init__()
        self._compositor = RowCompositor()  # streamed text repaints only the rows it changed
        self.runs: RunController[ResultCell] = RunController(lambda: self.app.runner)
        self._evals: CaseRuns | None = None
        self._replaced_draft: tuple[Any, ...] | None = None  # what a reopened run replaced
        self._first_start = False  # no remembered selection when the app opened
        self._form: PromptForm | None = None
        self._last_cell: ResultCell | None = None  # where F3 goes back to
        self._refits = 0  # fits in a row after a change of the form's size
        self._eval_panel: EvalPanel | None = None
        # both made (their modules loaded) and mounted just after the first frame
        self._estimate: EstimateBar | None = None
        self._grid: ResultGrid | None = None
        self._output_mounted = False  # their box, #output, is mounted with them

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app = self.app
        self._first_start = app.state.models is None
        # classes set before the children mount: changing them after restyles the whole tree;
        # not restyled now either: the screen is styled with its children when it shows
        self.set_class(app.size.width >= 140, "-wide", update=False)
        self.set_class(app.size.height < 30, "-short", update=False)
        self.set_class(beside(app.size.width), "-beside", update=False)
        no_keys = not any_key(app.settings)
        # a plain start draws stand-ins for the header, the footer's bar and the empty system
        # message in its first frame; the real widgets replace them just after it (a frame
        # later, the same rows). A prompt file's title and text come with the real ones.
        plain = not (app.prompt_file or app.prompt)
        yield header_stand_in(app.title, app.size.width) if plain else _header()
        yield Static(
            NO_KEYS_HINT if no_keys else "", id="notice", markup=False, classes="-shown" * no_keys
        )
        draft = app.state.draft if plain else {}
        self._form = PromptForm(draft=draft, stand_in=plain, id="top")
        with Vertical(id="body"):  # the form above the results, or left of them when wide
            yield self._form
            # the output (empty until then: the estimate and the grid) mounts just after the
            # first frame, or at first use (estimate_bar, grid); the run summary (above the
            # grid) and the eval panel (below) are hidden until used: they mount then
            # (run_summary, eval_panel)
        yield footer_stand_in() if plain else _footer()

    def on_mount(self) -> None:
        if self.app.prompt_file is not None or self.app.prompt is not None:
            self._open_prompt_file()
        self.editor.user_area.focus()
        self.fit_split()
        self.call_after_refresh(self._swap_stand_ins)
        self.call_after_refresh(self._fill_output)
        # the template engine, httpx and the store load after the first frame
        self.call_after_refresh(self._after_first_frame)

    def on_unmount(self) -> None:
        """Leaving (quitting): what is typed is kept for the next start."""
        try:
            self.save_draft()
        except Exception as exc:  # an unwritable state file must not block quitting
            self.log.warning(f"draft not saved: {exc}")

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 140, "-wide")
        self.set_class(self.size.height < 30, "-short")
        self.set_class(beside(self.size.width), "-beside")
        self.fit_split()
        self.call_after_refresh(self.fit_split)

    # -- the split between the form and the results -----------------------------------------
    def fit_split(self, typed: bool = False) -> None:
        """Size the form: the user's split when they set one, else to its content (a short
        prompt leaves the results the room). Only a change restyles the screen. Beside the
        results the width follows the text when the screen opens, resizes or loads a run, not
        while typing (``typed``): each new width lays out and re-wraps every cell."""
        form, (width, height) = self._form, self.app.size
        if form is None or not width or not height:
            return
        splits = self.app.state.split
        if self.has_class("-beside"):
            split = splits.get("cols")
            if typed:
                return
            lines = (
                line for area in self.editor.query(TextArea) for line in area.document.lines
            )
            want = max(map(cell_len, lines), default=0) + 6  # border, padding, scrollbar, rule
            want = -(-want // 8) * 8  # in steps: each new width lays out (and re-wraps) every cell
            size: tuple[Any, Any] = (form_cols(width, want, split), "1fr")
        else:
            split = splits.get("rows")
            user = self.editor.user_area
            laid_out = form.size.height - user.size.height
            want = (
                laid_out + max(3, user.wrapped_document.height) + self.editor.rows_wanted()
                if laid_out > 0
                else 0
            )
            grid = self._grid.size.height if self._grid is not None else 0
            shared = form.size.height + grid if form.display else 0
            size = ("1fr", form_rows(height, want, split, shared))
        if (form.styles.width, form.styles.height) != tuple(map(_scalar, size)):
            form.styles.width, form.styles.height = size
            if self._refits < 3:  # what the rest of the form takes moves with it: once more
                self._refits += 1
                self.call_after_refresh(self.fit_split)
                return
        self._refits = 0

    def action_split(self, step: int) -> None:
        """Ctrl+Down / Ctrl+Up: the form larger or smaller by a step, remembered."""
        form, (width, height) = self.form, self.app.size
        axis, size, total = (
            ("cols", form.size.width, width) if beside(width) else ("rows", form.size.height, height)
        )
        splits = self.app.state.split
        self.app.remember(split={**splits, axis: moved(splits.get(axis), size, total, step)})
        self.remove_class("-grid-only")
        self.fit_split()

    def action_reset_split(self) -> None:
        """Back to sizing the form to its content."""
        self.app.remember(split={})
        self.fit_split()

    def _after_first_frame(self) -> None:
        self._probe_models()
        self.form.schedule_update(0.01)

    async def _swap_stand_ins(self) -> None:
        """The real header and footer in place of the first frame's stand-ins (one frame);
        the footer, mounted, is told the bindings to show."""
        with self.app.batch_update():
            for stand_in, make in (("#header-stand-in", _header), ("#footer-stand-in", _footer)):
                for widget in self.query(stand_in):
                    await self.mount(make(), before=widget)
                    await widget.remove()
        self.refresh_bindings()

    # -- handy handles ----------------------------------------------------------------------
    @property
    def form(self) -> PromptForm:
        """Held, not queried: the draft is read from it while the screen unmounts."""
        if self._form is None:
            raise RuntimeError("the main screen has not been composed")
        return self._form

    @property
    def editor(self) -> PromptEditor:
        return self.form.editor

    @property
    def picker(self) -> ModelPicker:
        return self.form.picker

    def _fill_output(self) -> tuple[EstimateBar, ResultGrid]:
        """Make and mount the estimate bar and the grid (once): just after the first frame,
        or earlier when something needs them; their modules load then."""
        if self._estimate is None or self._grid is None:
            from playground.tui.widgets.estimate_bar import EstimateBar
            from playground.tui.widgets.grid import ResultGrid

            self._estimate, self._grid = EstimateBar(id="estimate"), ResultGrid(id="results")
        if not self._output_mounted and self.is_attached:
            self._output_mounted = True
            output = Vertical(id="output")
            self.query_one("#body").mount(output)
            if output.is_attached:  # not when the screen is already closing
                output.mount_all([self._estimate, self._grid])  # children now: placed by them
        return self._estimate, self._grid

    @property
    def grid(self) -> ResultGrid:
        return self._fill_output()[1]

    @property
    def estimate_bar(self) -> EstimateBar:
        return self._fill_output()[0]

    @property
    def evals(self) -> CaseRuns:
        """Test cases: Ctrl+R grades them when there are some (made, and its modules
        imported, at first use: the first frame does without them)."""
        if self._evals is None:
            from playground.tui.screens.main.evals import CaseRuns

            self._evals = CaseRuns(self)
        return self._evals

    @property
    def run_summary(self) -> RunSummary:
        """The run's summary line above the grid, mounted at its first use."""
        from playground.tui.widgets.run_summary import RunSummary

        found = self.query(RunSummary)
        if found:
            return found.first()
        summary, grid = RunSummary(id="run-summary"), self.grid
        self.query_one("#output").mount(summary, before=grid)
        return summary

    def eval_panel(self, *, mount: bool = True) -> EvalPanel | None:
        """The eval's panel below the grid, mounted at its first use (None if not yet and
        ``mount`` is false)."""
        from playground.tui.widgets.eval_panel import EvalPanel

        panel = self._eval_panel  # held: a query walks the screen (each tick of verdicts asks)
        if panel is not None and panel.is_attached:
            return panel
        found = self.query(EvalPanel)
        if found:
            self._eval_panel = found.first()
            return self._eval_panel
        if not mount:
            return None
        panel = self._eval_panel = EvalPanel(id="eval-panel")
        grid = self.grid
        self.query_one("#output").mount(panel, after=grid)
        return panel

    @property
    def viewing_run(self) -> Any:
        """The past run shown read-only, if any."""
        return self.form.viewing_run

    @property
    def prompt_info(self) -> Any:
        return self.form.prompt_info

    @property
    def last_estimate(self) -> Any:
        return self.form.last_estimate

    @property
    def estimate_pending(self) -> bool:
        return self.form.estimate_pending

    @property
    def modified(self) -> bool:
        return self.form.modified

    def build_plan(self) -> RunPlan:
        """The plan the form describes; raises PlanError with a one-line reason."""
        return self.form.build_plan()

    def set_notice(self, text: str, *, warning: bool = True) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(text)
        notice.set_class(bool(text), "-shown")
        notice.set_class(not warning, "-info")

    def _update_subtitle(self) -> None:
        form = self.form
        parts = []
        if form.prompt_info is not None:
            info = form.prompt_info
            parts.append(getattr(info, "label", None) or f"{info.name} v{info.version}")
        if form.viewing_run is not None:
            parts.append(f"run {form.viewing_run} (read-only)")
        if form.modified and (form.prompt_info is not None or form.viewing_run is not None):
            parts.append("modified")
        if not form.use_cache:
            parts.append("cache off")
        self.app.sub_title = " · ".join(parts)

    def _leave_past_run(self) -> None:
        """The past run shown is being edited or run again: no longer read-only."""
        if self.form.viewing_run is None:
            return
        self.form.viewing_run = None
        self.set_notice("")  # the history banner goes (a no-key hint comes back on restart)
        for cell in self.grid.cells.values():
            cell.remove_class("-readonly")

    # -- the prompt file --------------------------------------------------------------------
    def _open_prompt_file(self) -> None:
        """`playground PROMPT_FILE`: its messages, model, parameters and default variables."""
        prompt, path = self.app.prompt, self.app.prompt_file
        if prompt is None and path is not None:
            try:
                from playground.library import load_prompt

                prompt = load_prompt(path, self.app.settings.prompts_dir())
            except Exception as exc:
                self.set_notice(f"{path}: {' '.join(str(exc).split())}")
                return
        if prompt is None:
            return
        self.form.load_prompt_file(prompt)
        self._update_subtitle()

    # -- the form tells -----------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.grid.typed()  # this key's echo first, then the streamed text
        if not self.has_class("-beside"):  # a line more or less: the form follows
            self.call_after_refresh(self.fit_split)
        # beside the results the form's width follows the longest line once typing pauses
        # (on_prompt_form_estimated): per key, each new width laid out every cell again

    def on_prompt_editor_turns_changed(self) -> None:
        self.call_after_refresh(self.fit_split)  # a turn more or less: the form follows

    def on_prompt_form_edited(self, event: PromptForm.Edited) -> None:
        if event.by_user:
            self._leave_past_run()
        self._update_subtitle()

    def on_prompt_form_estimated(self, event: PromptForm.Estimated) -> None:
        self.fit_split(typed=True)  # the variables' rows follow the text after the debounce
        self.estimate_bar.show_estimate(event.estimate, self.app.settings.defaults.budget_usd)

    def on_prompt_form_problem(self, event: PromptForm.Problem) -> None:
        self.estimate_bar.show_problem(event.text)

    def save_draft(self) -> None:
        """Remember what is typed now (nothing typed is lost). A past run only looked at keeps
        the draft it replaced; a prompt file's text is the file's, not the workspace's draft."""
        form = self._form
        if form is None:
            return
        if form.prompt_info is not None:
            return
        from playground.tui.screens.main.form import draft_of

        texts = self._replaced_draft
        if form.viewing_run is None or texts is None:
            texts = self.editor.texts()
        self.app.remember(draft=draft_of(*texts))

    # -- the models the providers offer --------------------------------------------------------
    @work(exclusive=True, group="probe", exit_on_error=False)
    async def _probe_models(self) -> None:
        app = self.app
        await asyncio.to_thread(lambda: app.store)  # open the database off the UI thread
        if not self.is_attached:
            return
        first_start = (
            self._first_start and self.form.prompt_info is None and not any_key(app.settings)
        )
        self.picker.probe(app.providers, app.settings, app.runner.client, first_start=first_start)

    # -- running ----------------------------------------------------------------------------
    def action_run(self) -> None:
        try:
            if not self.editor.user.strip():
                raise PlanError("the user message is empty: write the prompt first")
            plan = self.form.build_plan()
        except PlanError as exc:
            self.estimate_bar.show_problem(str(exc))
            self.notify(str(exc), severity="error", timeout=4)
            return
        from playground.core.evals.cases import TestsFileError

        try:
            suite = self.evals.suite()
        except TestsFileError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        if suite is not None:
            self._start_eval(plan, suite)
            return
        self._start_run(plan)

    @work(group="run")
    async def _start_eval(self, plan: RunPlan, suite: Any) -> None:
        """The prompt has test cases: run them all, graded, as `playground eval` does."""
        self._leave_past_run()
        self._update_subtitle()
        await self.evals.run(plan, suite)

    @work(group="run")
    async def _start_run(self, plan: RunPlan) -> None:
        from playground.tui.screens.dialogs import ConfirmScreen

        budget = self.app.settings.defaults.budget_usd
        if budget is not None:
            estimate = await asyncio.to_thread(self.app.estimate, plan)
            worst = getattr(estimate, "max_cost_usd", None)
            if worst is not None and worst > budget:
                question = (
                    f"This run may cost up to {format_cost(worst)}, over your budget of "
                    f"{format_cost(budget)}. Run anyway?"
                )
                if not await self.app.push_screen_wait(ConfirmScreen(question)):
                    return
        self.evals.leave()  # a plain run replaces the cases' grid
        await self.runs.cancel_all_and_wait()
        try:
            handle = self.runs.start(plan)
        except Exception as exc:
            self.notify(" ".join(str(exc).split()), severity="error")
            return
        self._leave_past_run()
        self._update_subtitle()
        self.run_summary.show([])  # said again when this run ends
        cells = await self.grid.build(handle.cells, plan.repeats, markdown=self.app.state.markdown)
        self.runs.adopt(handle, cells, plan)
        await self._consume(handle, cells)

    def show_summary(self) -> None:
        """The run's summary line: cells ok/failed, total cost, tokens, wall time."""
        if self.is_attached:
            self.run_summary.show(c.result for c in self.grid.cells.values())

    async def _consume(self, handle: RunHandle, cells: dict[int, ResultCell]) -> None:
        grid = self.grid
        grid.start_flushing()
        try:
            await self.runs.consume(handle, cells)
        finally:
            if not self.runs.busy:
                grid.stop_flushing()
        if not self.runs.busy:
            self.show_summary()
        if handle.store_error:
            self.notify(f"the run was not fully recorded: {handle.store_error}", severity="warning")
        elif self.app.store_error:
            self.notify(f"not recorded: {self.app.store_error}", severity="warning", timeout=4)
        self.app.runs_changed()
        self.form.schedule_update()

    def action_cancel(self) -> None:
        """Escape: un-zoom first; then the focused cell if it is running, else the whole run."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if _is_cell(focused):  # a cell: only that one, and only while it runs
            self.runs.cancel_cell(focused)
            return
        if self.runs.cancel_all() or self.evals.cancel():
            self.notify("run cancelled", timeout=2)

    # -- judging ----------------------------------------------------------------------------
    def on_descendant_focus(self, event: Any) -> None:
        if _is_cell(event.widget):
            self._last_cell = event.widget  # where F3 goes back to
            self.grid.page_to(event.widget)
            self.evals.focused(event.widget)

    def on_result_cell_action_requested(self, event: ResultCell.ActionRequested) -> None:
        cell = event.cell
        match event.action:
            case "markdown_all":
                self._markdown_all(not cell.markdown_on)
            case "zoom":
                if self.maximized is cell:
                    self.minimize()
                else:
                    self.maximize(cell, container=False)
            case "case_next" | "case_prev":
                self.run_worker(self.evals.step(cell, 1 if event.action == "case_next" else -1))
            case "open_case":
                self.evals.open_case(cell)
            case "pin" if cell.result is not None:
                self.run_worker(self.evals.pin(cell), group="pin")
            case "stability":
                self.run_worker(self.evals.stability(cell), group="stability")
            case "compare" if cell.result is not None:
                self.run_worker(self.evals.compare(cell), group="compare")
            case _ if cell.result is None:
                return
            case "copy":
                output = cell.result.output
                self.app.copy_to_clipboard(output)
                self.notify(f"copied {len(output)} characters", timeout=2)
            case "rerun":
                self._rerun(cell)
            case action:
                self._judge(cell, action)

    @work(group="markdown")
    async def _markdown_all(self, on: bool) -> None:
        """M: every cell as Markdown, or every cell exactly as received; remembered."""
        self.app.remember(markdown=on)
        for widget in list(self.grid.cells.values()):
            await widget.set_markdown(on)
        self.notify(
            "Answers rendered as Markdown (M: exactly as received)."
            if on
            else "Answers exactly as received (M: rendered as Markdown).",
            timeout=3,
        )

    @work(group="judge")
    async def _judge(self, cell: ResultCell, action: str) -> None:
        result = cell.result
        if result is None:
            return
        match action:
            case "rate":
                await self._rate(cell, result)
            case "inspect":
                from playground.tui.screens.inspect import InspectScreen

                await self.app.push_screen_wait(InspectScreen(result))
            case "diff":
                await self._diff(cell, result)
            case "promote":
                await self._promote(cell, result)

    async def _rate(self, cell: ResultCell, result: CellResult) -> None:
        from playground.tui.screens.rate import RateScreen

        answer = await self.app.push_screen_wait(RateScreen(result))
        if answer is None:
            return
        score, note = answer
        scale = getattr(answer, "scale", None)
        store = self.app.store
        if store is None or result.id is None:
            self.notify(f"not saved: {self.app.store_error or 'no store'}", severity="error")
            return
        try:
            await asyncio.to_thread(store.rate, result.id, score, note, scale)
        except Exception as exc:
            self.notify(f"rating not saved: {' '.join(str(exc).split())}", severity="error")
            return
        cell.set_rating(score, note, scale)
        self.notify(f"rated {cell.rating}", timeout=2)
        await self.evals.update_agreement()

    async def _diff(self, cell: ResultCell, result: CellResult) -> None:
        from playground.tui.screens.dialogs import PickCellScreen
        from playground.tui.screens.diff import DiffScreen
        from playground.tui.widgets.cell import cell_label

        others = [
            (i, cell_label(c.cell, 2 if c.cell.sample > 1 else 1))
            for i, c in self.grid.cells.items()
            if c is not cell and c.result is not None
        ]
        if not others:
            self.notify("no other cell to compare with", severity="warning")
            return
        if len(others) == 1:
            pick: int | None = others[0][0]
        else:
            pick = await self.app.push_screen_wait(
                PickCellScreen(f"Diff {cell_label(cell.cell)} against…", others)
            )
        if pick is None:
            return
        other = self.grid.cells[pick].result
        if other is not None:
            await self.app.push_screen_wait(DiffScreen(result, other))

    def _plan_for(self, cell: ResultCell) -> RunPlan | None:
        """The plan that made the cell, else the form's (None, and said, when it has none)."""
        plan = self.runs.plan_of(cell)
        if plan is None:
            try:
                plan = self.form.build_plan()
            except PlanError as exc:
                self.notify(str(exc), severity="error")
                return None
        return plan

    async def _promote(self, cell: ResultCell, result: CellResult) -> None:
        from playground.tui.screens.promote import PromoteScreen

        plan = self._plan_for(cell)
        if plan is None:
            return
        message = await self.app.push_screen_wait(
            PromoteScreen(self.app.settings, plan.template, result, plan, store=self.app.store)
        )
        if message:
            self.notify(message, timeout=5)
            self._after_promote(plan)

    def _after_promote(self, plan: RunPlan) -> None:
        """The open prompt file got a new version: the title names it, and the editor's text,
        if it is what was promoted, is no longer "modified"."""
        info = self.form.prompt_info
        path = getattr(info, "path", None)
        if info is None or path is None or plan.prompt_name not in (None, info.name):
            return
        try:
            from playground.library import load_prompt

            fresh = load_prompt(path, self.app.settings.prompts_dir())
        except Exception:
            return
        if fresh.name != info.name or fresh.version == info.version:
            return  # promoted under another name, or nothing new
        self.form.prompt_saved(plan, fresh)
        self._update_subtitle()

    @work(group="rerun")
    async def _rerun(self, cell: ResultCell) -> None:
        """Run this one cell again (never from the cache), in place."""
        base = self._plan_for(cell)
        if base is None:
            return
        try:
            handle = self.runs.rerun(cell, base)
        except Exception as exc:
            self.notify(" ".join(str(exc).split()), severity="error")
            return
        if self.form.viewing_run is not None:  # running again: no longer a read-only past run
            self._leave_past_run()
            self._update_subtitle()
        await self._consume(handle, {0: cell})

    # -- history ----------------------------------------------------------------------------
    def action_history(self) -> None:
        self._history()

    @work(group="history")
    async def _history(self) -> None:
        from playground.tui.screens.history import HistoryScreen

        store = await asyncio.to_thread(lambda: self.app.store)
        if store is None:
            self.notify(f"no history: {self.app.store_error}", severity="error")
            return
        run_id = await self.app.push_screen_wait(HistoryScreen(store))
        if run_id is None:
            return
        try:
            plan, results, ratings = await asyncio.to_thread(_load_run, store, run_id)
        except Exception as exc:
            self.notify(f"cannot open run {run_id}: {' '.join(str(exc).split())}", severity="error")
            return
        await self.restore(run_id, plan, results, ratings)

    def action_collect_batches(self) -> None:
        self._collect_batches()

    @work(group="batches", exclusive=True)
    async def _collect_batches(self) -> None:
        """`playground batches collect` from the palette; the open run is shown again when
        answers came in for it."""
        from playground.core.batch.collect import Batches, CollectReport, summary

        store = self.app.store
        if store is None:
            self.notify(f"no store: {self.app.store_error}", severity="error")
            return
        manager = Batches(self.app.settings, store)
        try:
            reports = await manager.collect_all()
        finally:
            await manager.aclose()
        self.notify(summary(reports), timeout=6)
        run_id = self.form.viewing_run
        if run_id is not None and any(
            isinstance(r, CollectReport) and r.ready and r.job.run_id == run_id
            for _, r in reports
        ):
            plan, results, ratings = await asyncio.to_thread(_load_run, store, run_id)
            await self.restore(run_id, plan, results, ratings)

    async def restore(
        self,
        run_id: Any,
        plan: RunPlan,
        results: list[CellResult],
        ratings: dict[Any, dict[str, Any]] | None = None,
    ) -> None:
        """Show a past run: its prompt, variables, matrix and results, read-only until edited."""
        self.evals.leave()
        await self.runs.cancel_all_and_wait()
        form = self.form
        draft = self.editor.texts()
        if form.viewing_run is None:  # the draft, not another past run
            self._replaced_draft = draft if any(draft) else None
        form.viewing_run = run_id  # before the form changes: this is not a new choice
        form.restore(plan)
        if any(draft) and draft != self.editor.texts():
            self.notify("Your draft was replaced: Ctrl+Z in the editor brings it back.", timeout=6)
        cells = await self.grid.build(
            [r.cell for r in results], plan.repeats, markdown=self.app.state.markdown
        )
        states = _batch_states(self.app.store, results)
        for result in results:
            widget = cells.get(result.cell.index)
            if widget is not None:
                await widget.show_result(result, batch_state=states.get(result.batch_id or ""))
                self.runs.show_plan(widget, plan)
                rating = (ratings or {}).get(result.id)
                if rating:
                    widget.set_rating(rating["score"], rating.get("note"), rating.get("scale"))
        form.modified = False
        self.fit_split()  # the run's prompt: the form sized to it
        self._update_subtitle()
        self.show_summary()
        self.set_notice(
            f"Run {run_id} from the history, read-only: edit the prompt and press Ctrl+R to run "
            "again.",
            warning=False,
        )

    # -- other actions ----------------------------------------------------------------------
    def action_toggle_cache(self) -> None:
        form = self.form
        form.use_cache = not form.use_cache
        self._update_subtitle()
        self.notify(
            "Cache on: a cell already answered is shown from the store, at no cost."
            if form.use_cache
            else "Cache off: every cell calls its model (Ctrl+N turns the cache back on).",
            timeout=4,
        )

    def action_toggle_grid(self) -> None:
        self.toggle_class("-grid-only")
        if self.has_class("-grid-only"):
            first = next(iter(self.grid.cells.values()), None)
            if first is not None:
                first.focus()
        else:
            self.editor.user_area.focus()

    def action_focus_prompt(self) -> None:
        """F2: back to the user message (a zoomed cell is un-zoomed first)."""
        if self.maximized is not None:
            self.minimize()
        self.remove_class("-grid-only")
        self.editor.user_area.focus()

    def action_export_run(self, fmt: str) -> None:
        self._export_run(fmt)

    @work(group="export")
    async def _export_run(self, fmt: str) -> None:
        """Ask where, then write the open run (a past one shown, else the last one started)."""
        from playground.library.atomic import atomic_write
        from playground.store.export import export_text
        from playground.tui.screens.ask_path import AskPathScreen

        run_id = self.form.viewing_run
        if run_id is None and self.runs.latest is not None:
            run_id = self.runs.latest.run_id
        if run_id is None:
            self.notify("no run to export yet: Ctrl+R runs the prompt, Ctrl+O opens a past one")
            return
        store = await asyncio.to_thread(lambda: self.app.store)
        if store is None:
            self.notify(f"no store: {self.app.store_error}", severity="error")
            return
        kind = "Markdown" if fmt == "md" else "JSON"
        answer = await self.app.push_screen_wait(
            AskPathScreen(f"Export run {run_id} as {kind} to:", f"run-{run_id}.{fmt}", "")
        )
        if not answer:
            return
        target = Path(answer).expanduser()
        if target.is_dir():
            self.notify(f"{target}: is a folder; give a file name", severity="error")
            return
        try:
            text = await asyncio.to_thread(export_text, store, run_id, fmt)
            await asyncio.to_thread(atomic_write, target, text)
        except (OSError, LookupError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.notify(f"{target}: cannot export: {reason}", severity="error")
            return
        self.notify(f"wrote run {run_id} to {target}", timeout=5)

    def action_save_prompt(self) -> None:
        self._save_prompt()

    @work(group="save", exclusive=True)
    async def _save_prompt(self) -> None:
        """Ctrl+S: the form (prompt, turns, matrix, parameters, variables) as the open prompt
        file's next version, with a note; with no file open, as a new prompt named here."""
        from playground.library import load_prompt
        from playground.tui.screens.save_prompt import SavePromptScreen

        if self.form.prompt_info is None and not self.editor.user.strip():
            self.notify("nothing to save yet: write the prompt, then Ctrl+S names it", timeout=4)
            return
        try:
            plan = self.form.build_plan()
        except PlanError as exc:
            self.notify(f"not saved: {exc}", severity="error")
            return
        screen = SavePromptScreen(self.app.settings, plan, self.form.prompt_info)
        message = await self.app.push_screen_wait(screen)
        written = screen.written
        if not message or written is None:
            return
        if written.identical:
            message = f"{written.label}: no change (the same content), nothing written"
        self.notify(message, timeout=6)
        try:
            fresh = await asyncio.to_thread(load_prompt, written.path, screen.prompts_dir)
        except Exception:
            return
        plan.prompt_name = fresh.name
        self.form.prompt_saved(plan, fresh)
        self._update_subtitle()

    def action_load_cases(self) -> None:
        self._load_cases()

    @work(group="cases")
    async def _load_cases(self) -> None:
        from playground.core.evals.cases import TestsFileError
        from playground.tui.screens.ask_path import AskPathScreen

        suggestion = self.evals.tests_path()
        path = await self.app.push_screen_wait(
            AskPathScreen(
                "Test cases: a tests file (NAME.tests.yaml) or a dataset (.csv, .jsonl, .yaml)",
                str(suggestion) if suggestion is not None else "",
            )
        )
        if not path:
            return
        try:
            message = await asyncio.to_thread(self.evals.load, path)
        except TestsFileError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self.notify(message, timeout=4)

    def action_fragility(self) -> None:
        self._fragility()

    @work(group="run")
    async def _fragility(self) -> None:
        from playground.tui.screens.ask_path import AskPathScreen

        try:
            plan = self.form.build_plan()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        answer = await self.app.push_screen_wait(
            AskPathScreen("How many variations of the prompt? (1–100)", "6", placeholder="6")
        )
        if not answer:
            return
        if not answer.isdigit() or not 1 <= int(answer) <= 100:
            self.notify(f"{answer!r}: a number of variations from 1 to 100", severity="error")
            return
        self._leave_past_run()
        await self.evals.fragility(plan, int(answer))

    def action_focus_grid(self) -> None:
        """F3: from anywhere to the results: the cell focused last, else the first."""
        cells = self.grid.cells
        if not cells:
            self.notify("no results yet: Ctrl+R runs the prompt", timeout=3)
            return
        last = self._last_cell
        target = last if last is not None and last.is_attached else next(iter(cells.values()))
        target.focus()

    def palette_commands(self) -> Iterator[SystemCommand]:
        """Everything this screen does, for the command palette."""
        yield SystemCommand("Run", "Run the prompt across the matrix (ctrl+r)", self.action_run)
        yield SystemCommand(
            "Cancel", "Cancel the focused cell, or the whole run (escape)", self.action_cancel
        )
        yield SystemCommand("History", "Open a past run (ctrl+o)", self.action_history)
        yield SystemCommand(
            "Collect batches",
            "Bring the answers of finished batch jobs (run --batch) into their cells",
            self.action_collect_batches,
        )
        yield SystemCommand(
            "Toggle grid", "Give the results the whole screen (ctrl+g)", self.action_toggle_grid
        )
        yield SystemCommand(
            "Focus prompt", "Back to the user message (f2)", self.action_focus_prompt
        )
        yield from self._turn_commands()
        yield SystemCommand(
            "Focus results",
            "To the results grid, the cell focused last (f3)",
            self.action_focus_grid,
        )
        yield SystemCommand(
            "Save prompt file",
            "The prompt as the open file's next version, with a note; or as a new prompt "
            "(ctrl+s)",
            self.action_save_prompt,
        )
        yield SystemCommand(
            "Editor larger",
            "Give the prompt and the matrix more of the screen, remembered (ctrl+down)",
            lambda: self.action_split(1),
        )
        yield SystemCommand(
            "Editor smaller",
            "Give the results more of the screen, remembered (ctrl+up)",
            lambda: self.action_split(-1),
        )
        yield SystemCommand(
            "Reset split",
            "Size the editor to the prompt again (a short prompt leaves the results the room)",
            self.action_reset_split,
        )
        yield SystemCommand(
            "Export run as Markdown",
            "The open run (or the last one) as a Markdown document, like playground export",
            lambda: self.action_export_run("md"),
        )
        yield SystemCommand(
            "Export run as JSON",
            "The open run (or the last one) as JSON, like playground export --format json",
            lambda: self.action_export_run("json"),
        )
        yield SystemCommand(
            "Toggle cache",
            "Answer identical cells from the store, or call every model again (ctrl+n)",
            self.action_toggle_cache,
        )
        yield SystemCommand(
            "Load test cases…",
            "Grade every run against a tests file or a dataset (.tests.yaml, .csv, .jsonl)",
            self.action_load_cases,
        )
        yield SystemCommand(
            "Fragility…",
            "Run the prompt with N seeded variations (whitespace, case, punctuation, order, "
            "typos, edge values): flip rates and the most fragile sentence",
            self.action_fragility,
        )
        if self.evals.loaded is not None:
            yield SystemCommand(
                "Unload test cases", "Ctrl+R runs the prompt once again", self.evals.unload
            )
        cell = self.focused if _is_cell(self.focused) else None
        if cell is None or cell.result is None:
            return
        from playground.tui.widgets.cell import ResultCell, cell_label

        label = cell_label(cell.cell)
        for action, title, help in (
            ("rate", "Rate cell", "Score the focused answer 1–5 with a note (r)"),
            ("copy", "Copy cell", "Copy the focused answer to the clipboard (c)"),
            ("inspect", "Inspect cell", "The exact request and raw response (i)"),
            ("diff", "Diff cell", "Compare the focused answer with another, word by word (d)"),
            ("rerun", "Re-run cell", "Run the focused cell again (x)"),
            ("promote", "Promote cell", "Save this prompt as a new prompt-file version (p)"),
            ("pin", "Pin as test", "Pin this answer into NAME.tests.yaml as a reference (t)"),
            ("stability", "Stability", "How many of this slot's samples agree (a)"),
            ("compare", "Compare with last run", "This run against the previous one (v)"),
            ("case_next", "Next case", "With cases: the next case on this cell (])"),
            ("case_prev", "Previous case", "With cases: the previous case on this cell ([)"),
            ("open_case", "Open case in the form", "Its variables into the form (o)"),
        ):
            yield SystemCommand(
                title,
                f"{help}: {label}",
                lambda a=action, c=cell: c.post_message(ResultCell.ActionRequested(c, a)),
            )

    def _turn_commands(self) -> Iterator[SystemCommand]:
        """Conversation turns after the user message: add (where the focus is), remove and
        switch the focused one."""
        editor, focused = self.editor, self.focused
        for role, help in (
            ("assistant", "an example answer, or last, the start of the answer (prefill)"),
            ("user", "the next user message of the conversation"),
        ):
            yield SystemCommand(
                f"Add {role} turn",
                f"After the focused message: {help} (ctrl+t adds the other role)",
                lambda r=role: self._add_turn(r, focused),
            )
        turn = next((t for t in editor.turn_areas if t is focused), None)
        if turn is not None:
            yield SystemCommand(
                "Remove turn",
                "Take the focused turn away (backspace in an empty turn does too)",
                lambda: editor.remove_turn(turn.parent),  # type: ignore[arg-type]
            )
            yield SystemCommand(
                "Switch turn role",
                "The focused turn becomes user or assistant",
                lambda: editor.switch_role(turn.parent),  # type: ignore[arg-type]
            )

    def _add_turn(self, role: str, after: object) -> None:
        self.remove_class("-grid-only")
        self.editor.add_turn(role, after)


def _header() -> Widget:
    from playground.tui.widgets.header import AppHeader

    return AppHeader(icon=ICON)


def _footer() -> Widget:
    from textual.widgets import Footer

    return Footer()


def _scalar(value: Any) -> Any:
    """A size as the styles hold it (to compare before setting: setting restyles)."""
    from textual.css.scalar import Scalar

    return Scalar.parse(value) if isinstance(value, str) else Scalar.from_number(value)


def _is_cell(widget: object) -> TypeGuard[ResultCell]:
    """Is this a grid cell? (Without importing the cell module at start.)"""
    return type(widget).__name__ == "ResultCell"


def _batch_states(store: Any, results: list[CellResult]) -> dict[str, str]:
    """The state of each batch job that cells of this run still wait in (job id -> state)."""
    waiting = {r.batch_id for r in results if r.batch_id and r.status == "pending"}
    if not waiting or store is None:
        return {}
    from playground.store.batches import list_jobs

    return {job.job_id: job.state for job in list_jobs(store) if job.job_id in waiting}


def _load_run(
    store: Any, run_id: Any
) -> tuple[RunPlan, list[CellResult], dict[Any, dict[str, Any]]]:
    """A past run from the store (``Store.load_run``) as (plan, results, ratings by id)."""
    loaded = store.load_run(run_id)
    if loaded is None:
        raise LookupError(f"no run {run_id}")
    return loaded.plan, loaded.results, loaded.ratings
