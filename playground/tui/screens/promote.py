"""Promote a cell to a versioned prompt file: pick a name, see the version and diff, confirm.

The writing is the prompt library's (``playground.library``); this dialog only previews and
asks. Nothing is written until Enter, and an identical prompt writes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static

from playground.config import Settings
from playground.core.model import CellResult
from playground.core.plan import RunPlan
from playground.core.template import PromptTemplate
from playground.render.figures import result_label
from playground.tui.widgets.diff_view import UnifiedDiffView

PREVIEW_DELAY = 0.12


def _library() -> Any:
    """The prompt library (imported when the dialog first needs it)."""
    from playground import library

    return library


class PromoteScreen(ModalScreen[str | None]):
    """Name (checked as you type), note, the version it will create and its diff; Enter writes."""

    DEFAULT_CSS = """
    PromoteScreen {
        align: center middle;
    }
    PromoteScreen #promote-box {
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    PromoteScreen Label {
        padding: 0 1;
        color: $text-muted;
    }
    PromoteScreen .promote-error {
        color: $text-error;
        padding: 0 1;
        height: auto;
    }
    PromoteScreen .promote-error.-empty {
        display: none;
    }
    PromoteScreen #promote-version {
        padding: 0 1;
        text-style: bold;
        height: auto;
    }
    PromoteScreen #promote-diff {
        height: auto;
        max-height: 16;
        border: round $panel-lighten-2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "promote", "Promote", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    VERB = "promoted to"  # the notice after writing: "promoted to prompts/NAME.prompt v3"

    def __init__(
        self,
        settings: Settings,
        template: PromptTemplate,
        result: CellResult,
        plan: RunPlan,
        store: Any = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.store = store  # when given, provenance carries the session, run and rating
        self.template = template
        self.result = result
        self.plan = plan
        self.prompts_dir = settings.prompts_dir()
        self.preview: Any = None  # the library's Promotion for the current name
        self.written: Any = None  # the library's Promotion once Enter wrote (or found identical)
        self._timer: Timer | None = None

    # -- what would be written -------------------------------------------------------------------
    @property
    def model(self) -> str:
        return self.result.model_used or self.result.cell.model

    def file_params(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "model": self.model,
            "temperature": self.result.cell.temperature,
            "max_tokens": plan.max_tokens,
            "top_p": plan.top_p,
            "seed": plan.seed,
            "stop": list(plan.stop),
            "variables": dict(plan.variables),
        }

    def provenance(self) -> dict[str, Any]:
        source = None
        if self.plan.prompt_name:
            source = self.plan.prompt_name
            if self.plan.prompt_version is not None:
                source += f" v{self.plan.prompt_version}"
        provenance: dict[str, Any] = {"response_id": self.result.id, "from": source}
        if self.store is not None and self.result.id is not None:
            try:
                response = self.store.get_response(self.result.id)
            except Exception:  # provenance is a courtesy; a store problem must not block promoting
                response = None
            if response:
                run = self.store.get_run(response["run_id"]) or {}
                provenance = {
                    "session_id": run.get("session_id"),
                    "run_id": response.get("run_id"),
                    **provenance,
                    "rating": response.get("rating") or None,
                }
        return provenance

    def display_path(self, name: str) -> str:
        return f"{self.prompts_dir.name}/{name}.prompt"

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="promote-box") as box:
            box.border_title = self.box_title()
            yield Label("name (letters, digits, -, _; / for folders)")
            yield Input(
                value=self.plan.prompt_name or "",
                placeholder="e.g. summarise-ticket",
                id="promote-name",
            )
            yield Static(id="promote-name-error", classes="promote-error -empty", markup=False)
            yield Label("note (optional)")
            yield Input(placeholder="why this version", id="promote-note")
            yield Static(id="promote-version", markup=False)
            with VerticalScroll(id="promote-diff"):
                yield UnifiedDiffView(id="promote-diff-view")
            yield Static(id="promote-error", classes="promote-error -empty", markup=False)
        yield Footer()

    def box_title(self) -> str:
        return f"Promote: {result_label(self.result)}"

    def on_mount(self) -> None:
        self.query_one("#promote-name", Input).focus()
        self.update_preview()

    # -- as you type -----------------------------------------------------------------------------
    @on(Input.Changed)
    def _name_changed(self, event: Input.Changed) -> None:
        if event.input.id == "promote-name":
            self._check_name()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, self.update_preview)

    @property
    def name_text(self) -> str:
        return self.query_one("#promote-name", Input).value.strip()

    def _check_name(self) -> str | None:
        """The checked name, or None (with the reason shown under the field)."""
        name = self.name_text
        message = ""
        checked: str | None = None
        if not name:
            message = "type a name for the prompt file"
        else:
            from playground.library.names import check_name

            try:
                checked = check_name(name)
            except Exception as exc:
                message = str(exc)
        self._set_error("#promote-name-error", message if name else "")
        return checked

    def update_preview(self) -> None:
        """Ask the library what promoting under this name would create."""
        self._timer = None
        self.preview = None
        version = self.query_one("#promote-version", Static)
        view = self.query_one("#promote-diff-view", UnifiedDiffView)
        name = self._check_name()
        library = _library()
        if name is None:
            version.update(Content(""))
            view.set_text("")
            return
        try:
            base = library.current_schema(self.prompts_dir, name)
            text = library.render_prompt_file(self.template, **self.file_params(), base_schema=base)
            self.preview = library.preview_promotion(self.prompts_dir, name, text)
            diff = self._full_diff(library, name, self.preview, base)
        except Exception as exc:
            self._set_error("#promote-name-error", " ".join(str(exc).split()))
            version.update(Content(""))
            view.set_text("")
            return
        p = self.preview
        path = self.display_path(name)
        if p.identical:
            version.update(Content(f"identical to {path} v{p.version}: nothing new to write"))
        elif p.next_version == 1:
            version.update(Content(f"will create {path} v1 (a new prompt)"))
        else:
            line = f"will create {path} v{p.next_version}"
            warnings = getattr(p, "warnings", None) or []
            # said before Enter, not after: e.g. a hand-edited file that will be kept
            version.update(Content("\n".join([line, *(f"⚠ {w}" for w in warnings)])))
        view.set_text(diff)

    def _full_diff(self, library: Any, name: str, preview: Any, base_schema: Any) -> str:
        """The diff to the file as it will be written: with its version and provenance too
        (the library's preview compares content only, which hides those lines)."""
        if preview.identical:
            return ""
        note = self.query_one("#promote-note", Input).value.strip() or None
        provenance = {**self.provenance(), "note": note}
        full = library.render_prompt_file(
            self.template,
            **self.file_params(),
            base_schema=base_schema,
            version=preview.next_version,
            provenance=provenance,
        )
        path = getattr(preview, "path", None)
        try:
            current = path.read_text(encoding="utf-8") if path else ""
        except OSError:
            current = ""
        from playground.library.current import current_label, current_state

        if current and path is not None:
            prompts_dir = path.parents[name.count("/")]  # NAME may hold folders
            old_label = current_label(name, current_state(prompts_dir, name))
        else:
            old_label = "/dev/null"
        return library.unified_diff(current, full, old_label, f"{name} v{preview.next_version}")

    # -- actions ---------------------------------------------------------------------------------
    def action_promote(self) -> None:
        if self._timer is not None:  # Enter right after typing: preview what will be written
            self._timer.stop()
            self.update_preview()
        name = self._check_name()
        if name is None:
            self.query_one("#promote-name", Input).focus()
            return
        library = _library()
        if self.preview is None:
            self.update_preview()
            if self.preview is None:
                return
        if self.preview.identical:
            self.written = self.preview
            self.dismiss(f"{self.display_path(name)} v{self.preview.version} is already identical")
            return
        note = self.query_one("#promote-note", Input).value.strip() or None
        try:
            written = library.promote(
                self.prompts_dir,
                name,
                template=self.template,
                provenance=self.provenance(),
                note=note,
                **self.file_params(),
            )
        except Exception as exc:  # a refused write, a full disk: say so here, keep the dialog
            self._set_error("#promote-error", " ".join(str(exc).split()))
            return
        self.written = written
        version = getattr(written, "version", None)
        if not isinstance(version, int):
            version = self.preview.next_version
        message = f"{self.VERB} {self.display_path(name)} v{version}"
        warnings = getattr(written, "warnings", None)
        if warnings:
            message += f" (warning: {warnings[0]})"
        self.dismiss(message)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _set_error(self, selector: str, message: str) -> None:
        error = self.query_one(selector, Static)
        error.update(Content(message))
        error.set_class(not message, "-empty")
