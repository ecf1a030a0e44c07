"""A run plan (what the user asked for), the one set of rules its parameters follow, and the
cells it expands into.

The rules live here so the command line, the config file, prompt files and the TUI hold a value
to the same bounds and say the same words about it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the template engine is heavy; rules and plans do not need it to load
    from playground.core.model import Cell
    from playground.core.template import Message, PromptTemplate

MAX_REPEATS = 100
MAX_OUTPUT_TOKENS = 1_000_000  # no model writes more in one answer; a typo costs nothing
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1  # what every provider's JSON integer can carry

# name -> what a good value is, in the words every front end prints after the field's name
PARAM_RULES = {
    "temperature": "must be between 0 and 2",
    "top_p": "must be more than 0 and at most 1",
    "max_tokens": f"must be a positive integer, at most {MAX_OUTPUT_TOKENS}",
    "seed": f"must be an integer from {SEED_MIN} to {SEED_MAX}",
    "repeats": f"must be between 1 and {MAX_REPEATS}",
}


class PlanError(ValueError):
    """A plan that cannot be run as asked; the message is one line naming the field."""


def param_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the sampling parameter ``name`` (None when it can).

    One rule set for every front end (CLI flags, config ``[defaults]``, prompt files, TUI
    fields): the caller names the field its own way and appends this.
    """
    if name not in PARAM_RULES:
        raise KeyError(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return PARAM_RULES[name]
    if name in ("max_tokens", "seed", "repeats") and not isinstance(value, int):
        return PARAM_RULES[name]
    ok = {
        "temperature": lambda v: math.isfinite(v) and 0 <= v <= 2,
        "top_p": lambda v: math.isfinite(v) and 0 < v <= 1,
        "max_tokens": lambda v: 1 <= v <= MAX_OUTPUT_TOKENS,
        "seed": lambda v: SEED_MIN <= v <= SEED_MAX,
        "repeats": lambda v: 1 <= v <= MAX_REPEATS,
    }[name](value)
    return None if ok else PARAM_RULES[name]


@dataclass
class RunPlan:
    """One prompt across models × temperatures × repeats, with shared sampling params."""

    template: PromptTemplate
    variables: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=lambda: ["echo"])
    temperatures: list[float | None] = field(default_factory=lambda: [None])
    max_tokens: int | None = 512
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    repeats: int = 1
    use_cache: bool = True
    prompt_name: str | None = None  # the prompt file this came from, if any
    prompt_version: int | None = None
    # a prompt file's declared variable types (name -> Picoschema type): text values from
    # --var or the TUI are read as these (see library.coerce_variables)
    variable_types: dict[str, str] = field(default_factory=dict)
    # run-time conversation history (never part of a prompt file), placed as Dotprompt
    # places it: where {{history}} stands, else before the last user message
    history: list[Message] = field(default_factory=list)

    def validate(self) -> None:
        """Raise PlanError on the first value outside the rules (``param_problem``)."""
        if not self.models:
            raise PlanError("no model to run")
        if not self.temperatures:
            raise PlanError("no temperature to run at")
        checks: list[tuple[str, Any]] = [
            ("temperature", t) for t in self.temperatures if t is not None
        ]
        checks += [(n, getattr(self, n)) for n in ("max_tokens", "top_p", "seed")]
        checks.append(("repeats", self.repeats))
        for name, value in checks:
            if value is None and name != "repeats":
                continue
            problem = param_problem(name, value)
            if problem:
                raise PlanError(f"{name} {value!r}: {problem}")

    def render(self) -> list[Message]:
        """Rendered messages; raises MissingVariable/TemplateError on bad input."""
        return self.template.render(self.variables, history=self.history)

    def cells(self) -> list[Cell]:
        from playground.core.model import Cell  # its events' dataclasses: ~5 ms, not for the rules

        out: list[Cell] = []
        for model in self.models:
            for temperature in self.temperatures:
                for sample in range(1, self.repeats + 1):
                    out.append(Cell(len(out), model, temperature, sample))
        return out

    def params(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }

    def to_dict(self) -> dict[str, Any]:
        out = {
            "template": self.template.to_dict(),
            "variables": self.variables,
            "models": self.models,
            "temperatures": self.temperatures,
            "params": self.params(),
            "repeats": self.repeats,
            "prompt_name": self.prompt_name,
            "prompt_version": self.prompt_version,
        }
        if self.history:  # only then: a plan without history keeps its stored shape
            out["history"] = [{"role": m.role, "content": m.content} for m in self.history]
        return out

