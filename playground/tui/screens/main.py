"""The main screen: write the prompt, choose the matrix, watch it stream, judge the answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static, TextArea
from textual.worker import get_current_worker

from playground.core.figures import format_cost
from playground.tui.widgets.editor import PromptEditor
from playground.tui.widgets.estimate_bar import EstimateBar
from playground.tui.widgets.grid import ResultGrid
from playground.tui.widgets.model_picker import (
    ModelEntry,
    ModelPicker,
    catalog_from_settings,
    model_ids_for,
)
from playground.tui.widgets.params import ParamsError, ParamsPanel
from playground.tui.widgets.temperatures import (
    TemperatureError,
    TemperatureInput,
    format_temperatures,
)
from playground.tui.widgets.variables import VariablesPanel

if TYPE_CHECKING:
    from playground.core.plan import CellResult, RunPlan
    from playground.core.runner import RunHandle
    from playground.tui.app import PlaygroundApp
    from playground.tui.widgets.cell import ResultCell

DEBOUNCE_S = 0.15


class PlanError(ValueError):
    """The editor's content cannot make a plan; one line for the estimate bar."""


class MainScreen(Screen[None]):
    """Editor and matrix above, the estimate bar, the results grid below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+o,ctrl+h", "history", "History", key_display="^o"),
        Binding("ctrl+g", "toggle_grid", "Grid"),
        Binding("ctrl+n", "toggle_cache", "Cache"),
        Binding("f2", "focus_prompt", "Prompt", show=False),
    ]

    app: PlaygroundApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self._handles: list[RunHandle] = []
        self._owner: dict[ResultCell, tuple[RunHandle, int]] = {}
        self._plans: dict[ResultCell, RunPlan] = {}
        self._baseline: tuple[str, str] | None = None
        self.modified = False
        self._vars_edited = False  # a variable was changed since the last load
        self._replaced_draft: tuple[str, str] | None = None  # what a reopened run replaced
        self.viewing_run: Any = None
        self.prompt_info: Any = None  # the PromptFile opened, if any
        self.last_estimate: Any = None
        self.use_cache = True  # identical cells are answered from the store (ctrl+n toggles)
        self._first_start = False  # no remembered selection when the app opened

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app = self.app
        settings = app.settings
        state = app.state
        self._first_start = state.models is None
        # classes set before the children mount: changing them after restyles the whole tree
        self.set_class(app.size.width >= 140, "-wide")
        from playground.tui.app import NO_KEYS_HINT, any_key

        no_keys = not any_key(settings)
        yield Header(icon="▶")
        yield Static(
            NO_KEYS_HINT if no_keys else "", id="notice", markup=False, classes="-shown" * no_keys
        )
        with Horizontal(id="top"):
            with Vertical(id="editor-col"):
                draft = {} if app.prompt_file or app.prompt else state.draft
                yield PromptEditor(draft.get("system", ""), draft.get("user", ""), id="editor")
                yield VariablesPanel(state.variables, id="variables")
            with Vertical(id="side"):
                yield Label("Models", classes="section")
                yield ModelPicker(
                    catalog_from_settings(settings),
                    state.models if state.models is not None else self._default_models(),
                    id="models",
                )
                yield Label("Temperatures", classes="section")
                yield TemperatureInput(
                    state.temperatures
                    if state.temperatures is not None
                    else format_temperatures(list(settings.defaults.temperatures)),
                    placeholder="empty: the provider's default (e.g. 0, 0.7, 1.2)",
                    id="temperatures",
                )
                params = {"max_tokens": str(settings.defaults.max_tokens), **state.params}
                yield ParamsPanel(params, id="params")
        yield EstimateBar(id="estimate")
        yield ResultGrid(id="results")
        yield Footer()

    def _default_models(self) -> list[str]:
        from playground.tui.app import any_key

        settings = self.app.settings
        if not any_key(settings):
            return ["echo"]
        return list(settings.defaults.models)

    def on_mount(self) -> None:
        if self.app.prompt_file is not None or self.app.prompt is not None:
            self._open_prompt_file()
        self.editor.user_area.focus()
        # the template engine, httpx and the store load after the first frame
        self.call_after_refresh(self._after_first_frame)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 140, "-wide")

    def _after_first_frame(self) -> None:
        self._probe_models()
        self.schedule_update(0.01)

    # -- handy handles ----------------------------------------------------------------------
    @property
    def editor(self) -> PromptEditor:
        return self.query_one(PromptEditor)

    @property
    def picker(self) -> ModelPicker:
        return self.query_one(ModelPicker)

    @property
    def grid(self) -> ResultGrid:
        return self.query_one(ResultGrid)

    @property
    def estimate_bar(self) -> EstimateBar:
        return self.query_one(EstimateBar)

    def set_notice(self, text: str, *, warning: bool = True) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(text)
        notice.set_class(bool(text), "-shown")
        notice.set_class(not warning, "-info")

    def _update_subtitle(self) -> None:
        parts = []
        if self.prompt_info is not None:
            info = self.prompt_info
            parts.append(getattr(info, "label", None) or f"{info.name} v{info.version}")
        if self.viewing_run is not None:
            parts.append(f"run {self.viewing_run} (read-only)")
        if self.modified and (self.prompt_info is not None or self.viewing_run is not None):
            parts.append("modified")
        if not self.use_cache:
            parts.append("cache off")
        self.app.sub_title = " · ".join(parts)

    # -- the prompt file --------------------------------------------------------------------
    def _open_prompt_file(self) -> None:
        """`playground PROMPT_FILE`: its messages, model, parameters and default variables."""
        prompt = self.app.prompt
        if prompt is None:
            try:
                from playground.library import load_prompt

                prompt = load_prompt(self.app.prompt_file, self.app.settings.prompts_dir())
            except Exception as exc:
                self.set_notice(f"{self.app.prompt_file}: {' '.join(str(exc).split())}")
                return
        self.prompt_info = prompt
        template = prompt.template
        self._load_texts(template.system, template.user)
        defaults = {
            k: _field_text(v) for k, v in (getattr(prompt, "variables", None) or {}).items()
        }
        if defaults:
            panel = self.query_one(VariablesPanel)
            panel.set_values({**defaults, **{k: v for k, v in panel.memory.items() if v}})
        if getattr(prompt, "model", None):
            self.picker.set_selected([prompt.model])
        if prompt.temperature is not None:
            self.query_one(TemperatureInput).value = format_temperatures([prompt.temperature])
        values = {
            "max_tokens": prompt.max_tokens,
            "top_p": getattr(prompt, "top_p", None),
            "seed": getattr(prompt, "seed", None),
        }
        self.query_one(ParamsPanel).set_values(
            {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in values.items() if v}
        )
        self._update_subtitle()

    def _load_texts(self, system: str, user: str) -> None:
        """Put texts in the editor without counting it as an edit."""
        self._baseline = (system, user)
        self._vars_edited = False
        self.editor.set_texts(system, user)

    # -- editing: debounce, variables, estimate ------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.grid.hold_for_typing()
        self.schedule_update()
        if (self.editor.system, self.editor.user) != self._baseline:
            self._mark_edited()
        elif self.modified and not self._vars_edited:  # undone back to what was loaded
            self.modified = False
            self._update_subtitle()

    def on_variables_panel_changed(self) -> None:
        self._vars_edited = True
        self._mark_edited()
        self.schedule_update()

    def on_model_picker_changed(self) -> None:
        self.schedule_update()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("temperatures",) or (event.input.id or "").startswith("param-"):
            self.schedule_update()

    def _mark_edited(self) -> None:
        if self.viewing_run is not None:
            self.viewing_run = None
            self.set_notice("")
            for cell in self.grid.cells.values():
                cell.remove_class("-readonly")
        if not self.modified:
            self.modified = True
            self._update_subtitle()

    @property
    def estimate_pending(self) -> bool:
        """An estimate (or an exact count) is due or on its way: the bar may still change."""
        return self._timer is not None or any(
            w.node is self and w.group in ("estimate", "exact") and not w.is_finished
            for w in self.workers
        )

    def schedule_update(self, delay: float = DEBOUNCE_S) -> None:
        """Restart the debounce clock; the estimate runs in a thread when it fires."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self._update_now)

    def _rescan_variables(self) -> None:
        from playground.core.template import template_variables

        names: dict[str, None] = {}
        for text in (self.editor.system, self.editor.user):
            for name in template_variables(text):
                names.setdefault(name, None)
        self.query_one(VariablesPanel).set_names(list(names))

    def _update_now(self) -> None:
        self._timer = None
        self._rescan_variables()
        try:
            plan = self.build_plan()
        except PlanError as exc:
            self.estimate_bar.show_problem(str(exc))
            return
        # empty variables left out: the estimator counts them as empty and names them
        from dataclasses import replace

        filled = {k: v for k, v in plan.variables.items() if v != ""}
        self._estimate(replace(plan, variables=filled), self._state_snapshot())

    def _state_snapshot(self) -> dict[str, Any]:
        return {
            "models": list(self.picker.selected),
            "temperatures": self.query_one(TemperatureInput).value,
            "variables": dict(self.query_one(VariablesPanel).memory),
            "params": self.query_one(ParamsPanel).raw(),
            "draft": {"system": self.editor.system, "user": self.editor.user},
        }

    def save_draft(self) -> None:
        """Remember what is typed now (the app calls this on quit: nothing typed is lost).

        A past run only looked at keeps the draft it replaced; a prompt file's text is the
        file's, not the workspace's draft."""
        if self.prompt_info is not None:
            return
        if self.viewing_run is not None and self._replaced_draft is not None:
            system, user = self._replaced_draft
        else:
            system, user = self.editor.system, self.editor.user
        self.app.remember(draft={"system": system, "user": user})

    @work(thread=True, exclusive=True, group="estimate", exit_on_error=False)
    def _estimate(self, plan: RunPlan, snapshot: dict[str, Any]) -> None:
        """Off the UI's path: token counts can take a while on long prompts."""
        worker = get_current_worker()
        try:
            estimate = self.app.estimate(plan)
        except Exception as exc:
            if not worker.is_cancelled:
                self._from_thread(self._show_problem, " ".join(str(exc).split()))
            return
        if worker.is_cancelled:
            return
        self.last_estimate = estimate
        self._from_thread(self._show_estimate, estimate)
        if self.prompt_info is not None:  # a prompt file's matrix and text are the file's
            snapshot = {k: v for k, v in snapshot.items() if k in ("variables", "params")}
        elif self.viewing_run is not None:  # looking at a past run is not choosing it
            snapshot = {k: v for k, v in snapshot.items() if k == "variables"}
        self.app.remember(**snapshot)

    def _from_thread(self, callback: Any, *args: Any) -> None:
        """Hand a result to the UI; quietly dropped when the app is closing."""
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)

    def _show_estimate(self, estimate: Any) -> None:
        if self.is_attached:
            bars = self.query(EstimateBar)
            if bars:
                bars.first().show_estimate(estimate, self.app.settings.defaults.budget_usd)
            self._ask_exact(estimate)

    def _ask_exact(self, estimate: Any) -> None:
        """≈ counts of Anthropic/Gemini models (with a key) become exact once typing pauses."""
        counter = self.app.exact_counter
        if counter is None or not any(m.content.strip() for m in estimate.messages):
            return  # nothing written yet: not worth a call
        from playground.core.exact_counts import messages_digest

        digest = messages_digest(estimate.messages)
        wanted = [
            model
            for model, cell in estimate.by_model().items()
            if cell.method != "exact"
            and counter.supports(model)
            and counter.cached(model, digest) is None  # asked already: never loop
        ]
        if wanted:
            self._fetch_exact(counter, wanted, estimate.messages)

    @work(exclusive=True, group="exact", exit_on_error=False)
    async def _fetch_exact(self, counter: Any, models: list[str], messages: list[Any]) -> None:
        """One debounced call per model (a newer keystroke cancels this); a failed count
        leaves the estimate as it was, marked ≈."""
        counts = await asyncio.gather(*(counter.count_debounced(m, messages) for m in models))
        if any(c is not None for c in counts):
            self.schedule_update(0.01)

    def _show_problem(self, message: str) -> None:
        if self.is_attached:
            bars = self.query(EstimateBar)
            if bars:
                bars.first().show_problem(message)

    def build_plan(self) -> RunPlan:
        """The plan the editor describes; raises PlanError with a one-line reason."""
        from playground.core.plan import RunPlan
        from playground.core.template import PromptTemplate, TemplateError

        models = list(self.picker.selected)
        if not models:
            raise PlanError("no model selected: pick one in Models (space toggles)")
        try:
            temperatures = self.query_one(TemperatureInput).temperatures()
            params = self.query_one(ParamsPanel).params()
        except (TemperatureError, ParamsError) as exc:
            raise PlanError(str(exc)) from None
        template = PromptTemplate.from_parts(self.editor.system, self.editor.user)
        variables = self.query_one(VariablesPanel).values()
        types: dict[str, str] = {}
        if self.prompt_info is not None and getattr(self.prompt_info, "schema", None):
            from playground.library import coerce_variables, variable_types

            types = variable_types(self.prompt_info.schema)
            variables = coerce_variables(variables, types)  # "false" in a boolean field
        plan = RunPlan(
            template=template,
            variables=variables,
            variable_types=types,
            models=models,
            temperatures=temperatures,
            max_tokens=params.max_tokens,
            top_p=params.top_p,
            seed=params.seed,
            repeats=params.repeats,
        )
        plan.use_cache = self.use_cache
        if self.prompt_info is not None:
            plan.prompt_name = self.prompt_info.name
            plan.prompt_version = self.prompt_info.version
        try:
            plan.render()
        except TemplateError as exc:
            raise PlanError(str(exc)) from None
        return plan

    # -- the models the providers offer --------------------------------------------------------
    @work(exclusive=True, group="probe", exit_on_error=False)
    async def _probe_models(self) -> None:
        """Ask every provider whether it is ready and what it offers (short timeouts)."""
        app = self.app
        settings = app.settings
        await asyncio.to_thread(lambda: app.store)  # open the database off the UI thread
        providers = app.providers
        client = app.runner.client

        async def probe(name: str, provider: Any) -> list[ModelEntry]:
            cfg = settings.providers.get(name) or provider.config
            try:
                ready, why = await provider.check_ready(client)
                models = await provider.list_models(client) if ready else list(cfg.models)
            except Exception as exc:
                ready, why, models = False, " ".join(str(exc).split())[:60], list(cfg.models)
            ids = model_ids_for(name, cfg.kind, models)
            if not ids:
                return [
                    ModelEntry(
                        f"{name}:*",
                        False,
                        why
                        if not ready
                        else f"no models: add models = [...] to [providers.{name}]",
                    )
                ]
            return [ModelEntry(m, ready, "" if ready else why) for m in ids]

        names = list(providers)
        results = await asyncio.gather(*(probe(n, providers[n]) for n in names))
        entries = [e for group in results for e in group]
        if not self.is_attached or not self.query(ModelPicker):
            return  # the app is closing
        self.picker.set_entries(entries)
        if self._first_start and self.prompt_info is None:
            from playground.tui.app import any_key

            if not any_key(settings):  # first start without keys: echo plus local models
                local = [
                    e.model_id
                    for e in entries
                    if e.available
                    and e.model_id != "echo"
                    and settings.providers[e.model_id.split(":")[0]].kind == "ollama"
                ]
                self.picker.set_selected(["echo", *local[:2]])

    # -- running ----------------------------------------------------------------------------
    def action_run(self) -> None:
        try:
            if not self.editor.user.strip():
                raise PlanError("the user message is empty: write the prompt first")
            plan = self.build_plan()
        except PlanError as exc:
            self.estimate_bar.show_problem(str(exc))
            self.notify(str(exc), severity="error", timeout=4)
            return
        self._start_run(plan)

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
        await self._cancel_all()
        try:
            handle = self.app.runner.start(plan)
        except Exception as exc:
            self.notify(" ".join(str(exc).split()), severity="error")
            return
        if self.viewing_run is not None:  # the history banner goes; a no-key hint stays
            self.viewing_run = None
            self.set_notice("")
        self._update_subtitle()
        cells = await self.grid.build(handle.cells, plan.repeats, markdown=self.app.state.markdown)
        mapping = {}
        for index, widget in cells.items():
            self._owner[widget] = (handle, index)
            self._plans[widget] = plan
            mapping[index] = widget
        self._owner = {w: o for w, o in self._owner.items() if w.is_attached}
        self._plans = {w: p for w, p in self._plans.items() if w.is_attached}
        await self._consume(handle, mapping)

    async def _consume(self, handle: RunHandle, cells: dict[int, ResultCell]) -> None:
        from playground.core.events import (
            CellDelta,
            CellFailed,
            CellFallback,
            CellFinished,
            CellQueued,
            CellRetry,
            CellSending,
            CellStarted,
        )

        self._handles.append(handle)
        grid = self.grid
        grid.start_flushing()
        try:
            async for event in handle.events():
                kind = type(event)
                cell = cells.get(event.cell.index) if hasattr(event, "cell") else None
                if cell is None or not cell.is_attached:
                    continue  # run-level events, or a grid replaced by a newer run
                if self._owner.get(cell, (handle,))[0] is not handle:
                    continue  # this cell was re-run since: the newer run owns it
                if kind is CellDelta:
                    cell.feed(event.text, event.reasoning)
                elif kind is CellStarted:
                    await cell.begin(event.result)
                elif kind is CellFinished or kind is CellFailed:
                    await cell.finish(event.result)
                elif kind is CellQueued:
                    cell.set_queued(event.reason)
                elif kind is CellSending:
                    cell.set_sending()
                elif kind is CellRetry:
                    cell.set_notice(
                        f"retry {event.attempt} in {event.wait_s:.1f} s: {event.reason}"
                    )
                elif kind is CellFallback:
                    cell.set_notice(f"falling back to {event.model}: {event.reason}")
        finally:
            self._handles.remove(handle)
            if not self._handles:
                grid.stop_flushing()
        if handle.store_error:
            self.notify(f"the run was not fully recorded: {handle.store_error}", severity="warning")
        elif self.app.store_error:
            self.notify(f"not recorded: {self.app.store_error}", severity="warning", timeout=4)
        self.app.runs_changed()
        self.schedule_update()

    def action_cancel(self) -> None:
        """Escape: the focused cell if it is running, else the whole run."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if _is_cell(focused):  # a cell: only that one, and only while it runs
            owner = self._owner.get(focused)
            if owner and not owner[0].finished:
                owner[0].cancel(owner[1])
            return
        if self._handles:
            for handle in self._handles:
                handle.cancel()
            self.notify("run cancelled", timeout=2)

    # -- judging ----------------------------------------------------------------------------
    def on_result_cell_action_requested(self, event: ResultCell.ActionRequested) -> None:
        cell = event.cell
        action = event.action
        if action == "markdown_all":
            self._markdown_all(not cell.markdown_on)
            return
        if action == "zoom":
            if self.maximized is cell:
                self.minimize()
            else:
                self.maximize(cell, container=False)
            return
        result = cell.result
        if result is None:
            return
        if action == "copy":
            self.app.copy_to_clipboard(result.output)
            self.notify(f"copied {len(result.output)} characters", timeout=2)
        elif action == "rerun":
            self._rerun(cell)
        else:
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
        if action == "rate":
            await self._rate(cell, result)
        elif action == "inspect":
            try:
                from playground.tui.screens.inspect import InspectScreen
            except ImportError:
                self.notify("inspect is not available yet", severity="warning")
                return
            await self.app.push_screen_wait(InspectScreen(result))
        elif action == "diff":
            await self._diff(cell, result)
        elif action == "promote":
            await self._promote(cell, result)

    async def _rate(self, cell: ResultCell, result: CellResult) -> None:
        try:
            from playground.tui.screens.rate import RateScreen
        except ImportError:
            self.notify("rating is not available yet", severity="warning")
            return
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

    async def _diff(self, cell: ResultCell, result: CellResult) -> None:
        from playground.tui.screens.dialogs import PickCellScreen
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
        try:
            from playground.tui.screens.diff import DiffScreen
        except ImportError:
            self.notify("diff is not available yet", severity="warning")
            return
        if other is not None:
            await self.app.push_screen_wait(DiffScreen(result, other))

    async def _promote(self, cell: ResultCell, result: CellResult) -> None:
        try:
            from playground.tui.screens.promote import PromoteScreen
        except ImportError:
            self.notify("promote is not available yet", severity="warning")
            return
        plan = self._plans.get(cell)
        if plan is None:
            try:
                plan = self.build_plan()
            except PlanError as exc:
                self.notify(str(exc), severity="error")
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
        info = self.prompt_info
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
        self.prompt_info = fresh
        texts = (self.editor.system, self.editor.user)
        if (plan.template.system, plan.template.user) == texts:
            self._baseline = texts
            self._vars_edited = False
            self.modified = False
        self._update_subtitle()

    @work(group="rerun")
    async def _rerun(self, cell: ResultCell) -> None:
        """Run this one cell again (never from the cache), in place."""
        from dataclasses import replace

        base = self._plans.get(cell)
        if base is None:
            try:
                base = self.build_plan()
            except PlanError as exc:
                self.notify(str(exc), severity="error")
                return
        plan = replace(
            base,
            models=[cell.cell.model],
            temperatures=[cell.cell.temperature],
            repeats=1,
            use_cache=False,
        )
        owner = self._owner.get(cell)
        if owner and not owner[0].finished:
            owner[0].cancel(owner[1])
        try:
            handle = self.app.runner.start(plan)
        except Exception as exc:
            self.notify(" ".join(str(exc).split()), severity="error")
            return
        self._owner[cell] = (handle, 0)
        self._plans[cell] = plan
        if self.viewing_run is not None:  # running again: no longer a read-only past run
            self.viewing_run = None
            self.set_notice("")
            self._update_subtitle()
        await self._consume(handle, {0: cell})

    # -- history ----------------------------------------------------------------------------
    def action_history(self) -> None:
        self._history()

    @work(group="history")
    async def _history(self) -> None:
        store = await asyncio.to_thread(lambda: self.app.store)
        if store is None:
            self.notify(f"no history: {self.app.store_error}", severity="error")
            return
        try:
            from playground.tui.screens.history import HistoryScreen
        except ImportError:
            self.notify("history is not available yet", severity="warning")
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

    async def _cancel_all(self, timeout: float = 3.0) -> None:
        """Cancel every run in flight and let their cells show it, before the grid changes."""
        running = list(self._handles)
        for handle in running:
            handle.cancel()
        deadline = asyncio.get_running_loop().time() + timeout
        while any(h in self._handles for h in running):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.01)

    async def restore(
        self,
        run_id: Any,
        plan: RunPlan,
        results: list[CellResult],
        ratings: dict[Any, dict[str, Any]] | None = None,
    ) -> None:
        """Show a past run: its prompt, variables, matrix and results, read-only until edited."""
        await self._cancel_all()
        draft = (self.editor.system, self.editor.user)
        if self.viewing_run is None:  # the draft, not another past run
            self._replaced_draft = draft if any(draft) else None
        self._load_texts(plan.template.system, plan.template.user)
        if any(draft) and draft != (plan.template.system, plan.template.user):
            self.notify("Your draft was replaced: Ctrl+Z in the editor brings it back.", timeout=6)
        self.query_one(VariablesPanel).set_values(
            {k: _field_text(v) for k, v in (plan.variables or {}).items()}
        )
        self.picker.set_selected(list(plan.models))
        self.query_one(TemperatureInput).value = format_temperatures(list(plan.temperatures))
        self.query_one(ParamsPanel).set_values(
            {
                "max_tokens": "" if plan.max_tokens is None else str(plan.max_tokens),
                "top_p": "" if plan.top_p is None else f"{plan.top_p:g}",
                "seed": "" if plan.seed is None else str(plan.seed),
                "repeats": str(plan.repeats),
            }
        )
        cells = await self.grid.build(
            [r.cell for r in results], plan.repeats, markdown=self.app.state.markdown
        )
        for result in results:
            widget = cells.get(result.cell.index)
            if widget is not None:
                await widget.show_result(result)
                self._plans[widget] = plan
                rating = (ratings or {}).get(result.id)
                if rating:
                    widget.set_rating(rating["score"], rating.get("note"), rating.get("scale"))
        self.viewing_run = run_id
        self.modified = False
        self._update_subtitle()
        self.set_notice(
            f"Run {run_id} from the history, read-only: edit the prompt and press Ctrl+R to run "
            "again.",
            warning=False,
        )
        self._rescan_variables()
        self.schedule_update()

    # -- other actions ----------------------------------------------------------------------
    def action_toggle_cache(self) -> None:
        self.use_cache = not self.use_cache
        self._update_subtitle()
        self.notify(
            "Cache on: a cell already answered is shown from the store, at no cost."
            if self.use_cache
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
        self.remove_class("-grid-only")
        self.editor.user_area.focus()

    def palette_commands(self) -> Iterator[SystemCommand]:
        """Everything this screen does, for the command palette."""
        yield SystemCommand("Run", "Run the prompt across the matrix (ctrl+r)", self.action_run)
        yield SystemCommand(
            "Cancel", "Cancel the focused cell, or the whole run (escape)", self.action_cancel
        )
        yield SystemCommand("History", "Open a past run (ctrl+o)", self.action_history)
        yield SystemCommand(
            "Toggle grid", "Give the results the whole screen (ctrl+g)", self.action_toggle_grid
        )
        yield SystemCommand(
            "Focus prompt", "Back to the user message (f2)", self.action_focus_prompt
        )
        yield SystemCommand(
            "Toggle cache",
            "Answer identical cells from the store, or call every model again (ctrl+n)",
            self.action_toggle_cache,
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
        ):
            yield SystemCommand(
                title,
                f"{help}: {label}",
                lambda a=action, c=cell: c.post_message(ResultCell.ActionRequested(c, a)),
            )


def _is_cell(widget: object) -> bool:
    """Is this a grid cell? (Without importing the cell module, and Markdown, at start.)"""
    return type(widget).__name__ == "ResultCell"


def _load_run(
    store: Any, run_id: Any
) -> tuple[RunPlan, list[CellResult], dict[Any, dict[str, Any]]]:
    """A past run from the store as (plan, results, ratings by response id)."""
    run = store.get_run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id}")
    plan = store.plan_from_run(run)
    rows = store.responses_for_run(run_id)
    results = [_result_from(row, i) for i, row in enumerate(rows)]
    ratings = {r["id"]: r["rating"] for r in rows if isinstance(r, dict) and r.get("rating")}
    return plan, results, ratings


def _result_from(row: Any, index: int) -> CellResult:
    from playground.core.plan import CellResult

    if isinstance(row, CellResult):
        return row
    return CellResult.from_dict(dict(row), index)


def _field_text(value: Any) -> str:
    """A default from a prompt file as a variable field's text. The fields hold text, and any
    non-empty text is true to Handlebars: a false default becomes "" so {{#if}} stays false."""
    if value is False or value is None:
        return ""
    if value is True:
        return "true"
    return str(value)
