"""Ctrl+S: save what the form holds as the open prompt file's next version (or as a new prompt).

The promote dialog with the form as its source instead of a cell: the same name check,
version preview, diff and library call (``playground.library.promote``: nothing
overwritten, identical content writes nothing, the note recorded). A prompt file holds one
model and one temperature: the file's own when still selected, else the first; the whole
matrix, when larger, goes into the version's provenance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.tui.screens.promote import PromoteScreen


def _pick(chosen: list[Any], current: Any) -> Any:
    """The file's value when it is still chosen, else the first chosen (None: none)."""
    if current in chosen:
        return current
    return chosen[0] if chosen else current


def prompts_home(info: Any, settings: Settings) -> Path:
    """The prompts folder an opened file lives in (NAME.prompt or NAME/vN.prompt), so its
    next version goes beside it; the workspace's when the file has no path."""
    from playground.library.names import version_of_path

    path = getattr(info, "path", None)
    if info is None or path is None:
        return settings.prompts_dir()
    path = Path(path)
    base = path.parent if version_of_path(path) is not None else path.with_suffix("")
    return base.parents[info.name.count("/")]


class SavePromptScreen(PromoteScreen):
    """Name (the open file's, or typed for a new prompt), note, the version it will create
    and the diff; Enter saves, Escape writes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "promote", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    VERB = "saved"

    def __init__(self, settings: Settings, plan: RunPlan, opened: Any = None) -> None:
        super().__init__(settings, plan.template, None, plan)  # type: ignore[arg-type]
        self.opened = opened  # the PromptFile open in the form, if any
        self.prompts_dir = prompts_home(opened, settings)
        models, temperatures = list(plan.models), list(plan.temperatures)
        self.file_model = _pick(models, getattr(opened, "model", None))
        self.file_temperature = _pick(temperatures, getattr(opened, "temperature", None))
        self.matrix = None
        if len(models) > 1 or len(temperatures) > 1:
            self.matrix = {"models": models, "temperatures": temperatures}

    @property
    def model(self) -> str:
        return self.file_model or ""

    def file_params(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "model": self.file_model,
            "temperature": self.file_temperature,
            "max_tokens": plan.max_tokens,
            "top_p": plan.top_p,
            "seed": plan.seed,
            "stop": list(plan.stop) or list(getattr(self.opened, "stop", None) or []),
            "variables": self.defaults(),
        }

    def defaults(self) -> dict[str, Any]:
        """The variables' values as the file's defaults; an empty field is no default (the
        caller must give it) unless the file already had one."""
        had = getattr(self.opened, "variables", None) or {}
        return {k: v for k, v in self.plan.variables.items() if v != "" or k in had}

    def provenance(self) -> dict[str, Any]:
        label = getattr(self.opened, "label", None)
        provenance: dict[str, Any] = {"from": label, "saved_from": "tui"}
        if self.matrix is not None:
            provenance["matrix"] = self.matrix
        return provenance

    def box_title(self) -> str:
        if self.opened is None:
            return "Save as a new prompt"
        return f"Save {self.opened.label} as its next version"

    @on(events.Mount)
    def _mounted(self, event: events.Mount) -> None:
        event.prevent_default()  # this focus, not the promote dialog's (the name)
        box = self.query_one("#promote-box", Vertical)
        temperature = self.file_temperature
        said = "the provider's default" if temperature is None else f"{temperature:g}"
        box.border_subtitle = f"model {self.file_model or 'none'} · temperature {said}"
        field = "#promote-note" if self.plan.prompt_name else "#promote-name"
        self.query_one(field, Input).focus()
        self.update_preview()
