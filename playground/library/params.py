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


# each provider's own temperature range (what its API accepts); the playground's rule for a
# run is 0..2 everywhere, Anthropic being sent at most 1
PROVIDER_TEMPERATURES = {"anthropic": "0..1"}


def provider_temperature_range(kind: str) -> str:
    return PROVIDER_TEMPERATURES.get(kind, "0..2")


def run_problem(field: str, value: Any, key: str, models: list[str], settings: Any) -> str | None:
    """Why a prompt file's ``config.KEY`` cannot be run (a file with it still loads, with a
    warning): its range problem, naming the range each model's provider takes."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    problem = range_problem(field, value)
    if problem is None:
        return None
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if field != "temperature" or not models:
        return f"config.{key} {shown} {problem}"
    ranges: dict[str, str] = {}
    for model in models:
        provider = model.partition(":")[0]
        cfg = settings.providers.get(provider) if settings is not None else None
        ranges.setdefault(provider, provider_temperature_range(getattr(cfg, "kind", provider)))
    named = "; ".join(f"{p} takes {r}" for p, r in ranges.items())
    return f"config.{key} {shown} is out of range: {named}"


def check_params(params: dict[str, Any], where: Any = None) -> None:
    """Raise LibraryError (one line) on the first parameter of the wrong type."""
    for field_name, value in params.items():
        problem = param_problem(field_name, value)
        if problem:
            raise LibraryError(f"{field_name} {problem}", where)
