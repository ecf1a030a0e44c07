"""The temperature list: ``0, 0.7, 1.2`` becomes one grid row each."""

from __future__ import annotations

from textual.widgets import Input

from playground.core.plan import param_problem


class TemperatureError(ValueError):
    """A temperature list that does not parse; the message is one line."""


def parse_temperatures(text: str) -> list[float | None]:
    """'0, 0.7 1.2' -> [0.0, 0.7, 1.2]; empty -> [None] (the provider's default)."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return [None]
    out: list[float | None] = []
    for part in parts:
        if part.lower() in ("default", "-"):
            value: float | None = None
        else:
            try:
                value = float(part)
            except ValueError:
                raise TemperatureError(f"temperature {part!r} is not a number") from None
            problem = param_problem("temperature", value)  # RunPlan's rule, as -t
            if problem:
                raise TemperatureError(f"temperature {part}: {problem}")
        if value not in out:
            out.append(value)
    return out


def format_temperatures(values: list[float | None]) -> str:
    return ", ".join("default" if v is None else f"{v:g}" for v in values)


class TemperatureInput(Input):
    """An Input whose value is a list of temperatures; shows -invalid on a bad list."""

    DEFAULT_CSS = """
    TemperatureInput { border: none; height: 1; padding: 0 1; background: $boost; }
    TemperatureInput:focus { border: none; background: $primary 20%; }
    TemperatureInput.-invalid, TemperatureInput.-invalid:focus { border: none; background: $error 25%; }
    """

    def temperatures(self) -> list[float | None]:
        """The parsed list; raises TemperatureError."""
        return parse_temperatures(self.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        try:
            parse_temperatures(event.value)
        except TemperatureError:
            self.add_class("-invalid")
        else:
            self.remove_class("-invalid")
