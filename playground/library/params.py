"""Sampling parameters checked before they reach a file: a value of the wrong type would be
written as is and only fail later, when the prompt file is loaded or run."""

from __future__ import annotations

from typing import Any

from playground.library.errors import LibraryError

NUMBERS = ("temperature", "top_p")
INTEGERS = ("max_tokens", "seed")


def param_problem(field: str, value: Any) -> str | None:
    """What is wrong with ``value`` for our parameter ``field`` ("must be a number"), or None."""
    if value is None:
        return None
    if field in NUMBERS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        return range_problem(field, value)
    elif field in INTEGERS:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        return range_problem(field, value)
    elif field == "stop":
        if isinstance(value, str):
            return None
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            return "must be a string or a list of strings"
    return None


def range_problem(field: str, value: float) -> str | None:
    """The bounds the command line, the config and the TUI hold a value to (RunPlan's rules)."""
    from playground.core.plan import param_problem as plan_rule

    return plan_rule(field, value)


def check_params(params: dict[str, Any], where: Any = None) -> None:
    """Raise LibraryError (one line) on the first parameter of the wrong type."""
    for field_name, value in params.items():
        problem = param_problem(field_name, value)
        if problem:
            raise LibraryError(f"{field_name} {problem}", where)
