"""One input per ``{{variable}}`` the template reads, rebuilt as the template changes."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label


def _widget_id(name: str) -> str:
    return "var-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


class VariablesPanel(Vertical):
    """Fields follow the template; values typed once are kept while the name comes and goes."""

    DEFAULT_CSS = """
    VariablesPanel { height: auto; max-height: 8; overflow-y: auto; }
    VariablesPanel.-empty { display: none; }
    VariablesPanel > .var-row { height: 1; margin: 0 1; }
    VariablesPanel .var-name { width: 14; color: $secondary; text-overflow: ellipsis; }
    VariablesPanel Input { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    VariablesPanel Input:focus { border: none; background: $primary 20%; }
    """

    class Changed(Message):
        """A variable's value changed."""

    def __init__(self, values: dict[str, str] | None = None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.names: list[str] = []
        self.memory: dict[str, str] = dict(values or {})

    def compose(self) -> ComposeResult:
        return []

    def on_mount(self) -> None:
        self.set_class(not self.names, "-empty")

    def values(self) -> dict[str, str]:
        """The current value of every variable in the template (empty string when unset)."""
        return {name: self.memory.get(name, "") for name in self.names}

    def set_names(self, names: list[str]) -> None:
        """Show exactly these fields, in this order; keep other widgets (and focus) as they are."""
        if names == self.names:
            return
        existing = {row.name: row for row in self.query(".var-row").results(Horizontal)}
        for name, row in existing.items():
            if name not in names:
                row.remove()
        for name in names:
            if name in existing:
                continue
            row = Horizontal(
                Label(name, classes="var-name"),
                Input(
                    self.memory.get(name, ""),
                    placeholder=f"value of {name}",
                    id=_widget_id(name),
                    name=name,
                ),
                classes="var-row",
                name=name,
            )
            self.mount(row)
        self.names = list(names)
        self.set_class(not names, "-empty")

    def set_values(self, values: dict[str, str]) -> None:
        self.memory.update(values)
        for inp in self.query(Input):
            if inp.name in values:
                with inp.prevent(Input.Changed):
                    inp.value = values[inp.name]

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = event.input.name
        if name and self.memory.get(name, "") != event.value:  # not a field being mounted
            self.memory[name] = event.value
            self.post_message(self.Changed())
