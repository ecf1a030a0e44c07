"""Sampling parameters shared by every cell: max tokens, top_p, seed, repeats."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label

from playground.core.plan import param_problem


class ParamsError(ValueError):
    """A parameter that does not parse; the message is one line."""


@dataclass
class Params:
    max_tokens: int | None = 512
    top_p: float | None = None
    seed: int | None = None
    repeats: int = 1


_FIELDS = (
    ("max_tokens", "max tok", "512"),
    ("top_p", "top_p", "-"),
    ("seed", "seed", "-"),
    ("repeats", "repeat", "1"),
)


def parse_params(raw: dict[str, str]) -> Params:
    """Field texts -> Params; empty means 'not set' (repeats: 1). Values are held to RunPlan's
    rules (core.plan.param_problem), the same as the command line's flags."""
    p = Params(max_tokens=None)
    for name, label, whole in (
        ("max_tokens", "max tokens", True),
        ("top_p", "top_p", False),
        ("seed", "seed", True),
        ("repeats", "repeats", True),
    ):
        text = raw.get(name, "").strip()
        if not text:
            continue
        try:
            value: int | float = int(text) if whole else float(text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise ParamsError(f"{label} {text!r} is not {kind}") from None
        problem = param_problem(name, value)
        if problem:
            raise ParamsError(f"{label} {text}: {problem}")
        setattr(p, name, value)
    return p


class ParamsPanel(Horizontal):
    """Four small fields on one or two lines."""

    DEFAULT_CSS = """
    ParamsPanel { height: 2; layout: grid; grid-size: 4 2; grid-gutter: 0 1; padding: 0 1; }
    ParamsPanel Label { color: $text-muted; height: 1; }
    ParamsPanel Input { border: none; height: 1; padding: 0; background: $boost; }
    ParamsPanel Input:focus { border: none; background: $primary 20%; }
    """

    def __init__(self, values: dict[str, str] | None = None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._initial = dict(values or {})
        self._filled = False

    def compose(self) -> ComposeResult:
        """The fields; until they are composed the values live in ``_initial`` (the form
        mounts this panel just after the first frame)."""
        self._filled = True
        for _key, label, _placeholder in _FIELDS:
            yield Label(label)
        for key, _label, placeholder in _FIELDS:
            yield Input(
                self._initial.get(key, ""),
                placeholder=placeholder,
                id=f"param-{key}",
                name=key,
                restrict=r"[0-9.\-]*",
            )

    def raw(self) -> dict[str, str]:
        if not self._filled:
            return {key: self._initial.get(key, "") for key, _label, _p in _FIELDS}
        return {inp.name or "": inp.value for inp in self.query(Input)}

    def params(self) -> Params:
        return parse_params(self.raw())

    def set_values(self, values: dict[str, str]) -> None:
        if not self._filled:
            self._initial.update(values)
            return
        for inp in self.query(Input):
            if inp.name in values:
                inp.value = values[inp.name]
