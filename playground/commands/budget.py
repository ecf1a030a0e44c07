"""The budget guard for `run`. (Filled in by the tokens-and-cost issue.)"""

from __future__ import annotations

from typing import Any


def budget_guard(settings: Any, plan: Any, budget: float | None, yes: bool) -> None:
    """Raise UsageError (printing the estimate) when the plan's worst case exceeds the budget."""
    return None
