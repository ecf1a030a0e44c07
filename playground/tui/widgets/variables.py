"""One field per ``{{variable}}`` the template reads, rebuilt as the template changes.

A value can be many lines (the field grows with them, up to a few, then scrolls; a paste keeps
every line) or a file: ``@notes.txt`` is that file's text, read when the plan is built, with
the command line's rule (``core.varfile``); ``@@`` starts a value with a literal ``@``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Static, TextArea

from playground.tui.widgets.prose_area import ProseArea


def _widget_id(name: str) -> str:
    return "var-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


class VariableError(ValueError):
    """A variable's value cannot be used (its file cannot be read); one line."""


class VarField(ProseArea):
    """A variable's value: one line until it has more, then as many as it holds (up to a
    few; it scrolls beyond). ``value`` reads and writes the text, as an Input's does."""

    DEFAULT_CSS = """
    VarField {
        border: none; height: auto; min-height: 1; max-height: 6; padding: 0 1;
        width: 1fr; background: $boost;
        &:focus { border: none; background: $primary 20%; }
    }
    """

    def __init__(self, text: str, *, name: str, id: str, placeholder: str) -> None:
        super().__init__(text, name=name, id=id, placeholder=placeholder, compact=True)

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.set_text(text)


class VariablesPanel(Vertical):
    """Fields follow the template; values typed once are kept while the name comes and goes."""

    DEFAULT_CSS = """
    VariablesPanel { height: auto; max-height: 12; overflow-y: auto; }
    VariablesPanel.-empty { display: none; }
    VariablesPanel > .var-row { height: auto; margin: 0 1; }
    VariablesPanel .var-line { height: auto; }
    VariablesPanel .var-name { width: 14; color: $secondary; text-overflow: ellipsis; }
    VariablesPanel .var-error {
        display: none; color: $error; padding: 0 0 0 14; height: 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    VariablesPanel .var-error.-shown { display: block; }
    """

    class Changed(Message):
        """A variable's value changed."""

    def __init__(self, values: dict[str, str] | None = None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.names: list[str] = []
        self.memory: dict[str, str] = dict(values or {})
        self.add_class("-empty", update=False)  # styled so when it mounts: no restyle then

    def compose(self) -> ComposeResult:
        return []

    def on_mount(self) -> None:
        self.set_class(not self.names, "-empty")

    def values(self) -> dict[str, str]:
        """The current value of every variable in the template, as typed (empty when unset):
        what its field holds now, even before the field has told its change."""
        shown = {f.name: f.text for f in self.query(VarField)}
        return {name: shown.get(name, self.memory.get(name, "")) for name in self.names}

    def resolved(self, base: str | Path | None = None) -> dict[str, str]:
        """Every value as it is sent: ``@path`` read from ``base``. A file that cannot be read
        is said under its field and raised as VariableError; the other fields' errors clear."""
        from playground.core.varfile import VarFileError, read_var_value

        out: dict[str, str] = {}
        problem: str | None = None
        for name, typed in self.values().items():
            try:
                out[name] = read_var_value(typed, base)
                self._show_error(name, "")
            except VarFileError as exc:
                line = f"{exc} (@@ for a literal @)"
                self._show_error(name, line)
                problem = problem or f"variable {name}: {line}"
        if problem:
            raise VariableError(problem)
        return out

    def error_of(self, name: str) -> str:
        """The error shown under a field ("" when none)."""
        for static in self.query(".var-error").results(Static):
            if static.name == name:
                return str(static.content) if static.has_class("-shown") else ""
        return ""

    def _show_error(self, name: str, text: str) -> None:
        for static in self.query(".var-error").results(Static):
            if static.name == name:
                if text:
                    static.update(text)
                static.set_class(bool(text), "-shown")

    def set_names(self, names: list[str]) -> None:
        """Show exactly these fields, in this order; keep other widgets (and focus) as they are."""
        if names == self.names:
            return
        existing = {row.name: row for row in self.query(".var-row").results(Vertical)}
        for name, row in existing.items():
            if name not in names:
                row.remove()
        for name in names:
            if name in existing:
                continue
            row = Vertical(
                Horizontal(
                    Label(name, classes="var-name"),
                    VarField(
                        self.memory.get(name, ""),
                        placeholder=f"value of {name} (@file reads a file)",
                        id=_widget_id(name),
                        name=name,
                    ),
                    classes="var-line",
                ),
                Static("", classes="var-error", name=name, markup=False),
                classes="var-row",
                name=name,
            )
            self.mount(row)
        self.names = list(names)
        self.set_class(not names, "-empty")

    def set_values(self, values: dict[str, str]) -> None:
        self.memory.update(values)
        for field in self.query(VarField):
            if field.name in values:
                with field.prevent(TextArea.Changed):
                    field.value = values[field.name]

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()  # the form hears the prompt's edits; a value is told as Changed
        name = event.text_area.name
        text: Any = event.text_area.text
        if name and self.memory.get(name, "") != text:  # not a field being mounted
            self.memory[name] = text
            self._show_error(name, "")  # said again, if still true, at the next estimate
            self.post_message(self.Changed())
