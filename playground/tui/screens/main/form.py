"""The form above the grid: prompt, variables, models, temperatures and parameters.

It gives the ``RunPlan`` it describes (``build_plan``) and loads one (``restore``), knows
whether its text is still what was loaded, and keeps the live estimate in step with what is
typed: debounced, counted off the UI thread, exact counts asked for once typing pauses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, TextArea
from textual.worker import get_current_worker

from playground.tui.api_keys import any_key
from playground.tui.widgets.editor import PromptEditor

if TYPE_CHECKING:
    from playground.core.estimate import PlanEstimate as Estimate
    from playground.core.plan import RunPlan
    from playground.tui.app import PlaygroundApp
    from playground.tui.widgets.history_pane import HistoryPane
    from playground.tui.widgets.model_picker import ModelPicker
    from playground.tui.widgets.params import ParamsPanel
    from playground.tui.widgets.temperatures import TemperatureInput
    from playground.tui.widgets.variables import VariablesPanel

DEBOUNCE_S = 0.15


class PlanError(ValueError):
    """The form's content cannot make a plan; one line for the estimate bar."""


def field_text(value: Any) -> str:
    """A default from a prompt file as a variable field's text. The fields hold text, and any
    non-empty text is true to Handlebars: a false default becomes "" so {{#if}} stays false."""
    if value is False or value is None:
        return ""
    if value is True:
        return "true"
    return str(value)


def draft_of(system: str, user: str, turns: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The editor's text as the UI state keeps it (``turns`` only when there are some, so a
    draft without them keeps its old shape)."""
    draft: dict[str, Any] = {"system": system, "user": user}
    if turns:
        draft["turns"] = [{"role": role, "content": text} for role, text in turns]
    return draft


def draft_turns(draft: dict[str, Any]) -> list[tuple[str, str]]:
    """The turns of a remembered draft (none in a draft from before turns)."""
    return [(t["role"], t["content"]) for t in draft.get("turns", ())]


class PromptForm(Horizontal):
    """The editor and variables on the left, the matrix (models, temperatures, parameters)
    on the right."""

    class Edited(Message):
        """The form's text changed: by the user (``by_user``), or back to what was loaded
        (an undo). Loading a plan or a file is neither."""

        def __init__(self, by_user: bool) -> None:
            super().__init__()
            self.by_user = by_user

    class Estimated(Message):
        """A fresh estimate of the plan the form describes."""

        def __init__(self, estimate: Estimate) -> None:
            super().__init__()
            self.estimate = estimate

    class Problem(Message):
        """The form cannot be estimated: one line saying why."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    app: PlaygroundApp

    def __init__(self, *, draft: dict[str, Any], stand_in: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.prompt_info: Any = None  # the PromptFile opened, if any
        self.viewing_run: Any = None  # a past run shown read-only: its choices are not remembered
        self.baseline: tuple[Any, ...] | None = None  # the texts last loaded (editor.texts())
        self.modified = False
        self.use_cache = True
        self.last_estimate: Estimate | None = None
        self._vars_edited = False  # a variable was changed since the last load
        self._timer: Timer | None = None
        self._history: HistoryPane | None = None
        # the variables' fields are built with the first {{variable}} (see variables); until
        # then the values typed in earlier sessions wait here
        self._variables: VariablesPanel | None = None
        self._var_memory: dict[str, str] = {}
        self._params: ParamsPanel | None = None  # mounted just after the first frame
        self._temperatures: TemperatureInput | None = None  # just after the first frame
        self._picker: ModelPicker | None = None  # just after the first frame
        self._picker_mounted = False  # once: a closing form does not mount it again
        self._editor = PromptEditor(
            draft.get("system", ""),
            draft.get("user", ""),
            draft_turns(draft),
            stand_in=stand_in,
            id="editor",
        )

    def compose(self) -> ComposeResult:
        self._var_memory = dict(self.app.state.variables)
        with Vertical(id="editor-col"):
            yield self._editor
            # the variables panel and the history pane are built when first wanted (see
            # variables, history_pane): hidden until then, they are kept out of the first frame
        with Vertical(id="side"):
            yield Label("Models", classes="section", id="models-label")
            # the model list (filled a frame later still), the temperatures' label and field
            # and the parameters (an Input and eight small fields to style) come just after
            # the first frame, or when first used (picker, temperatures)

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_side)

    def _mount_side(self) -> None:
        if self.is_attached and self.params.parent is None:
            self.temperatures  # noqa: B018 (mounts it and the list, before the parameters)
            self.query_one("#side").mount(self.params)

    # -- handles ------------------------------------------------------------------------------
    @property
    def editor(self) -> PromptEditor:
        """The system and user messages (readable after unmounting too)."""
        return self._editor

    @property
    def picker(self) -> ModelPicker:
        """The model list, made (its module loaded) and mounted under Models at first use:
        just after the first frame, or earlier when something needs it (its selection is
        readable and settable before it mounts)."""
        if self._picker is None:
            from playground.tui.widgets.model_picker import ModelPicker, catalog_from_settings

            settings, state = self.app.settings, self.app.state
            default_models = list(settings.defaults.models) if any_key(settings) else ["echo"]
            self._picker = ModelPicker(
                catalog_from_settings(settings),
                state.models if state.models is not None else default_models,
                id="models",
            )
        if not self._picker_mounted and self.is_attached:
            self._picker_mounted = True
            self.query_one("#side").mount(self._picker, after="#models-label")
        return self._picker

    @property
    def history_pane(self) -> HistoryPane:
        """The history pane, mounted the first time a prompt or a plan wants it: hidden until
        then, it is kept out of the first frame (its TextArea and Collapsible cost start-up)."""
        if self._history is None:
            from playground.tui.widgets.history_pane import HistoryPane

            self._history = HistoryPane(id="history-pane")
            after = "#variables" if self._variables is not None else "#editor"
            self.query_one("#editor-col").mount(self._history, after=after)
        return self._history

    @property
    def variables(self) -> VariablesPanel:
        """A field per ``{{variable}}``, mounted the first time the prompt has one (or a plan
        or a file brings values): hidden while there are none, it stays out of the first frame."""
        if self._variables is None:
            from playground.tui.widgets.variables import VariablesPanel

            self._variables = VariablesPanel(self._var_memory, id="variables")
            self.query_one("#editor-col").mount(self._variables, after="#editor")
        return self._variables

    @property
    def variable_memory(self) -> dict[str, str]:
        """Every value typed, by name, also for names the prompt no longer has."""
        return self._variables.memory if self._variables is not None else self._var_memory

    @property
    def temperatures(self) -> TemperatureInput:
        """The temperatures' field, made (its module loaded) and mounted with its label
        under the model list at first use."""
        if self._temperatures is None:
            from playground.tui.widgets.temperatures import TemperatureInput, format_temperatures

            settings, state = self.app.settings, self.app.state
            self._temperatures = TemperatureInput(
                state.temperatures
                if state.temperatures is not None
                else format_temperatures(list(settings.defaults.temperatures)),
                placeholder="empty: the provider's default (e.g. 0, 0.7, 1.2)",
                id="temperatures",
            )
        field = self._temperatures
        if field.parent is None and self.is_attached:
            label = Label("Temperatures", classes="section")
            self.query_one("#side").mount(label, field, after=self.picker)
        return field

    @property
    def params(self) -> ParamsPanel:
        """The parameters (their values are readable and settable before they mount)."""
        if self._params is None:
            from playground.tui.widgets.params import ParamsPanel

            settings, state = self.app.settings, self.app.state
            values = {"max_tokens": str(settings.defaults.max_tokens), **state.params}
            self._params = ParamsPanel(values, id="params")
        return self._params

    # -- form -> plan -------------------------------------------------------------------------
    def build_plan(self) -> RunPlan:
        """The plan the form describes; raises PlanError with a one-line reason."""
        from playground.core.plan import RunPlan
        from playground.core.template import PromptTemplate, TemplateError
        from playground.tui.widgets.params import ParamsError
        from playground.tui.widgets.temperatures import TemperatureError

        self.rescan_variables()  # the fields follow the text now, not after the debounce
        models = list(self.picker.selected)
        if not models:
            raise PlanError("no model selected: pick one in Models (space toggles)")
        try:
            temperatures = self.temperatures.temperatures()
            params = self.params.params()
        except (TemperatureError, ParamsError) as exc:
            raise PlanError(str(exc)) from None
        template = PromptTemplate.from_parts(*self.editor.texts())
        variables: dict[str, Any] = {}
        if self._variables is not None:
            from playground.tui.widgets.variables import VariableError

            try:
                variables = self._variables.resolved(self.files_base())
            except VariableError as exc:
                raise PlanError(str(exc)) from None
        types: dict[str, str] = {}
        info = self.prompt_info
        if info is not None and getattr(info, "schema", None):
            from playground.library import coerce_variables, variable_types

            types = variable_types(info.schema)
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
        if self._history is not None:
            from playground.tui.widgets.history_pane import HistoryError

            try:
                plan.history = self._history.messages()
            except HistoryError as exc:
                raise PlanError(str(exc)) from None
        plan.use_cache = self.use_cache
        if info is not None:
            plan.prompt_name = info.name
            plan.prompt_version = info.version
        try:
            plan.render()
        except TemplateError as exc:
            raise PlanError(str(exc)) from None
        return plan

    def files_base(self) -> str:
        """Where a variable's relative ``@path`` is read from: the workspace (the folder with
        playground.toml), else the folder the app started in."""
        import os

        workspace = self.app.settings.workspace
        return str(workspace) if workspace is not None else os.getcwd()

    # -- plan -> form -------------------------------------------------------------------------
    def load_texts(self, system: str, user: str, turns: Sequence[tuple[str, str]] = ()) -> None:
        """Put texts (and turns) in the editor without counting it as an edit."""
        self.baseline = (system, user, tuple(turns))
        self._vars_edited = False
        self.editor.set_texts(system, user, turns)

    def restore(self, plan: RunPlan) -> None:
        """Show a plan: its prompt, variables, models, temperatures and parameters."""
        self.load_texts(*plan.template.parts())
        self.set_variable_values({k: field_text(v) for k, v in (plan.variables or {}).items()})
        self.picker.set_selected(list(plan.models))
        if plan.history or self._history is not None:
            self.history_pane.set_messages(list(plan.history))
        self.temperatures.value = _format_temperatures(list(plan.temperatures))
        self.params.set_values(
            {
                "max_tokens": "" if plan.max_tokens is None else str(plan.max_tokens),
                "top_p": "" if plan.top_p is None else f"{plan.top_p:g}",
                "seed": "" if plan.seed is None else str(plan.seed),
                "repeats": str(plan.repeats),
            }
        )
        self.modified = False
        self.rescan_variables()
        self.schedule_update()

    def load_prompt_file(self, prompt: Any) -> None:
        """`playground PROMPT_FILE`: its messages, model, parameters and default variables."""
        self.prompt_info = prompt
        template = prompt.template
        self.load_texts(*template.parts())
        from playground.tui.widgets.history_pane import uses_history

        if uses_history(getattr(prompt, "raw", "")):
            self.history_pane.reveal(open_it=True)
        defaults = {k: field_text(v) for k, v in (getattr(prompt, "variables", None) or {}).items()}
        if defaults:
            memory = self.variable_memory
            self.set_variable_values({**defaults, **{k: v for k, v in memory.items() if v}})
        if getattr(prompt, "model", None):
            self.picker.set_selected([prompt.model])
        if prompt.temperature is not None:
            self.temperatures.value = _format_temperatures([prompt.temperature])
        values = {
            "max_tokens": prompt.max_tokens,
            "top_p": getattr(prompt, "top_p", None),
            "seed": getattr(prompt, "seed", None),
        }
        self.params.set_values(
            {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in values.items() if v}
        )

    def prompt_saved(self, plan: RunPlan, fresh: Any) -> None:
        """The open prompt file got a new version; the editor's text, if it is what was
        saved, is no longer "modified"."""
        self.prompt_info = fresh
        from playground.core.template import PromptTemplate

        texts = self.editor.texts()
        if PromptTemplate.from_parts(*texts).to_dict() == plan.template.to_dict():
            self.baseline = texts
            self._vars_edited = False
            self.modified = False

    def snapshot(self) -> dict[str, Any]:
        """What the UI remembers of the form between starts."""
        return {
            "models": list(self.picker.selected),
            "temperatures": self.temperatures.value,
            "variables": dict(self.variable_memory),
            "params": self.params.raw(),
            "draft": draft_of(*self.editor.texts()),
        }

    # -- edits --------------------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._edited()

    def on_prompt_editor_turns_changed(self) -> None:
        self.rescan_variables()
        self._edited()

    def _edited(self) -> None:
        self.schedule_update()
        if self.editor.texts() != self.baseline:
            self.modified = True
            self.post_message(self.Edited(by_user=True))
        elif self.modified and not self._vars_edited:  # undone back to what was loaded
            self.modified = False
            self.post_message(self.Edited(by_user=False))

    def on_variables_panel_changed(self) -> None:
        self._vars_edited = True
        self.modified = True
        self.post_message(self.Edited(by_user=True))
        self.schedule_update()

    def on_model_picker_changed(self) -> None:
        self.schedule_update()

    def on_history_pane_changed(self) -> None:
        self.schedule_update()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "temperatures" or (event.input.id or "").startswith("param-"):
            self.schedule_update()

    # -- the live estimate --------------------------------------------------------------------
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

    def rescan_variables(self) -> None:
        from playground.core.template import template_variables

        names: dict[str, None] = {}
        for text in (self.editor.system, self.editor.user, *(t for _, t in self.editor.turns)):
            for name in template_variables(text):
                names.setdefault(name, None)
        if names or self._variables is not None:
            self.variables.set_names(list(names))

    def set_variable_values(self, values: dict[str, str]) -> None:
        """Values for the variables' fields (kept for later names too)."""
        if self._variables is None:
            self._var_memory.update(values)
        else:
            self._variables.set_values(values)

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def _update_now(self) -> None:
        self._timer = None
        if self._picker_mounted and not self.picker.is_attached:
            return  # closing: the fields are gone
        try:
            plan = self.build_plan()
        except PlanError as exc:
            self.post_message(self.Problem(str(exc)))
            return
        # empty variables left out: the estimator counts them as empty and names them
        filled = {k: v for k, v in plan.variables.items() if v != ""}
        self._estimate(replace(plan, variables=filled), self.snapshot())

    @work(thread=True, exclusive=True, group="estimate", exit_on_error=False)
    def _estimate(self, plan: RunPlan, snapshot: dict[str, Any]) -> None:
        """Off the UI's path: token counts can take a while on long prompts."""
        worker = get_current_worker()
        try:
            estimate = self.app.estimate(plan)
        except Exception as exc:
            if not worker.is_cancelled:
                self._from_thread(self.post_message, self.Problem(" ".join(str(exc).split())))
            return
        if worker.is_cancelled:
            return
        self.last_estimate = estimate
        self._from_thread(self._estimated, estimate)
        if self.prompt_info is not None:  # a prompt file's matrix and text are the file's
            snapshot = {k: v for k, v in snapshot.items() if k in ("variables", "params")}
        elif self.viewing_run is not None:  # looking at a past run is not choosing it
            snapshot = {k: v for k, v in snapshot.items() if k == "variables"}
        self.app.remember(**snapshot)

    def _from_thread(self, callback: Any, *args: Any) -> None:
        """Hand a result to the UI; quietly dropped when the app is closing."""
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)

    def _estimated(self, estimate: Estimate) -> None:
        if self.is_attached:
            self.post_message(self.Estimated(estimate))
            self._ask_exact(estimate)

    def _ask_exact(self, estimate: Estimate) -> None:
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


def _format_temperatures(values: list[float | None]) -> str:
    from playground.tui.widgets.temperatures import format_temperatures

    return format_temperatures(values)
