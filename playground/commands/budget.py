"""The budget guard for `run`: refuse a plan whose worst case costs more than the budget."""

from __future__ import annotations

import sys
from typing import Any

from playground.commands.common import UsageError


def budget_guard(
    settings: Any, plan: Any, budget: float | None, yes: bool, *, batch: bool = False
) -> None:
    """Raise UsageError (printing the estimate) when the plan's worst case exceeds the budget.

    The budget is ``--budget USD``, else ``[defaults] budget_usd``; none means no guard.
    Unpriced models cannot be judged and are left out of the worst case: a run that goes
    ahead says so in one warning line, a refused one prints the estimate that names them.
    ``--yes`` runs anyway. With ``batch`` (``run --batch``) the worst case is at the batch
    price for the cells a batch API takes, and the messages name both prices.
    """
    limit = budget if budget is not None else settings.defaults.budget_usd
    if limit is None:
        return
    if not limit >= 0:  # negative or NaN
        raise UsageError(f"--budget {limit:g}: a budget is a cost in USD, 0 or more")
    from playground.commands.estimate import open_stats, print_estimate
    from playground.core.estimate import estimate_plan
    from playground.core.tokens import EncodingFileError
    from playground.render.figures import format_cost

    stats, close = open_stats(settings)
    try:
        estimate = estimate_plan(settings, plan, stats)
    except EncodingFileError as exc:
        raise UsageError(f"cannot estimate the cost (broken installation): {exc}") from None
    finally:
        close()
    worst = estimate.max_cost_usd
    priced_as = ""
    if batch and estimate.any_batched and worst is not None:
        priced_as = f" at the batch price (live {format_cost(worst)})"
        worst = estimate.batch_max_cost_usd
    if worst is None or worst <= limit:
        warn_unpriced(estimate.unpriced)
        return
    if yes:
        warn_unpriced(estimate.unpriced)
        print(
            f"playground: worst case {format_cost(worst)}{priced_as} is over the budget of "
            f"{format_cost(limit)}; running anyway (--yes)",
            file=sys.stderr,
        )
        return
    from rich.console import Console

    print_estimate(estimate, Console(stderr=True))
    raise UsageError(
        f"worst case {format_cost(worst)}{priced_as} is over the budget of {format_cost(limit)}: "
        "add --yes to run anyway, or lower --max-tokens, models or temperatures"
    )


def warn_unpriced(models: list[str]) -> None:
    """One line on stderr: the budget cannot count these models' cost."""
    if not models:
        return
    names = ", ".join(models)
    verb, its = ("has", "its") if len(models) == 1 else ("have", "their")
    print(
        f"playground: warning: budget: {names} {verb} no known price; {its} cost is not counted",
        file=sys.stderr,
    )
