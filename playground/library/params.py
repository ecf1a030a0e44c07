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
        if field == "max_tokens" and value < 1:
            return "must be a positive integer"
    elif field == "stop":
        if isinstance(value, str):
            return None
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            return "must be a string or a list of strings"
    return None


def range_problem(field: str, value: float) -> str | None:
    """The same bounds the command-line flags hold a value to (-t, --top-p, --max-tokens)."""
    if field == "temperature" and not 0 <= value <= 2:
        return "must be within 0..2"
    if field == "top_p" and not 0 < value <= 1:
        return "must be more than 0 and at most 1"
    if field == "max_tokens" and value < 1:
        return "must be a positive integer"
    return None


def check_params(params: dict[str, Any], where: Any = None) -> None:
    """Raise LibraryError (one line) on the first parameter of the wrong type."""
    for field_name, value in params.items():
        problem = param_problem(field_name, value)
        if problem:
            raise LibraryError(f"{field_name} {problem}", where)
