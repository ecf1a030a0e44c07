"""`playground estimate`: tokens and cost of a run before running it (same flags as `run`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from playground.commands.common import UsageError, command_parser, fail, load_settings_or_fail


def add_parser(sub: Any, name: str) -> None:
    from playground.commands.planargs import add_prompt_args

    parser = command_parser(sub, name, "tokens and worst-case cost of a run, before running it")
    add_prompt_args(parser)
    parser.add_argument(
        "--exact",
        action="store_true",
        help="ask Anthropic and Gemini for exact counts where their key is set (network)",
    )
    parser.set_defaults(func=estimate_command)


def estimate_command(args: argparse.Namespace) -> int:
    from playground.commands.planargs import plan_from_args, rendered
    from playground.core.estimate import Estimator
    from playground.core.template import TemplateError

    settings = load_settings_or_fail(args)
    try:
        plan = plan_from_args(args, settings)
        messages = rendered(plan)  # a missing variable is exit 2, as for `run`
    except (UsageError, TemplateError) as exc:
        fail(str(exc))
    from playground.core.tokens import EncodingFileError

    budget = args.budget if args.budget is not None else settings.defaults.budget_usd
    if budget is not None and not budget >= 0:
        fail(f"--budget {budget:g}: a budget is a cost in USD, 0 or more")
    stats, close = open_stats(settings)
    try:
        exact = None
        if args.exact:
            exact = fetch_exact_counts(settings, plan.models, messages)
        estimate = Estimator(settings, stats, exact=exact).estimate(plan)
    except EncodingFileError as exc:
        fail(f"broken installation: {exc}")
    finally:
        close()
    worst = estimate.max_cost_usd
    over = budget is not None and worst is not None and worst > budget
    if args.json:
        doc = estimate.to_json()
        # added to the contract's shape: whether the total input count is exact
        doc["total"]["method"] = "exact" if all(c.exact for c in estimate.cells) else "estimate"
        if budget is not None:
            doc["total"]["budget_usd"] = budget
            doc["total"]["over_budget"] = over
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        from playground.render.figures import format_cost

        console = Console()
        print_estimate(estimate, console)
        if budget is not None:
            verdict = "over" if over else "within"
            console.print(
                f"budget {format_cost(budget)}: worst case is {verdict} it",
                style="bold red" if over else "green",
                highlight=False,
            )
    if exact is not None:
        import sys

        for model, why in exact.errors.items():
            print(f"playground: warning: no exact count for {model}: {why}", file=sys.stderr)
    return 0


def open_stats(settings: Any) -> tuple[Any, Any]:
    """The session store as a source of run history, when a database already exists.

    Opened directly (no session is recorded for an estimate); any store problem just means
    no history, never a failed command.
    """
    try:
        path = settings.db_path()
        if not path.exists():
            return None, lambda: None
        from playground.store import Store

        store = Store.open(path)
    except Exception:
        return None, lambda: None
    return (store if hasattr(store, "usage_stats") else None), store.close


def fetch_exact_counts(settings: Any, models: list[str], messages: list[Any]) -> Any:
    """An ExactCounter primed with the providers' counts for this prompt."""
    import asyncio

    from playground.core.exact_counts import ExactCounter

    counter = ExactCounter(settings)

    async def fetch() -> None:
        try:
            await counter.count_many(models, messages)
        finally:
            await counter.aclose()

    asyncio.run(fetch())
    return counter


def total(values: list[float | None]) -> float | None:
    """Sum, or None when any part is unknown."""
    return None if any(v is None for v in values) else sum(v or 0.0 for v in values)


def print_estimate(estimate: Any, console: Any) -> None:
    """A row per model (its cells share one input), then the matrix total."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from playground.render.figures import format_cost

    per_model: dict[str, list[Any]] = {}
    for cell in estimate.cells:
        per_model.setdefault(cell.model, []).append(cell)
    table = Table(box=None, pad_edge=False)
    for title in ("model", "cells", "input tokens", "input", "max output", "worst case"):
        table.add_column(title, justify="left" if title == "model" else "right")
    show_expected = any(c.expected_cost_usd is not None for c in estimate.cells)
    if show_expected:
        table.add_column("expected", justify="right")
    for model, cells in per_model.items():
        first = cells[0]
        n = len(cells)
        row: list[Any] = [
            Text(model),  # a model id may hold [brackets]: never markup
            str(n),
            first.tokens_label,
            format_cost(total([c.input_cost_usd for c in cells])),
            format_cost(total([c.max_output_cost_usd for c in cells])),
            format_cost(total([c.max_cost_usd for c in cells])),
        ]
        if show_expected:
            exp = total([c.expected_cost_usd for c in cells])
            row.append("" if exp is None else format_cost(exp))
        table.add_row(*row)
    console.print(table)
    max_tokens = estimate.cells[0].max_output_tokens if estimate.cells else None
    # ≈ wherever a figure rests on an estimated count: tokens when any cell is one, costs
    # when any priced cell is one (an unpriced cell is left out of the costs)
    tokens_est = "≈" if any(not c.exact for c in estimate.cells) else ""
    cost_est = "" if all(c.exact or c.input_cost_usd is None for c in estimate.cells) else "≈"

    def cost(value: float | None) -> str:
        return (cost_est if value else "") + format_cost(value)

    parts = [
        f"{len(estimate.cells)} cell{'s' if len(estimate.cells) != 1 else ''}",
        f"{tokens_est}{estimate.total_input_tokens:,} input tokens",
        f"input {cost(estimate.input_cost_usd)}",
        f"worst case {cost(estimate.max_cost_usd)}"
        + (f" (max {max_tokens:,} output tokens a cell)" if max_tokens else ""),
    ]
    if estimate.any_batched and estimate.batch_max_cost_usd is not None:
        parts.append(f"with --batch {cost(estimate.batch_max_cost_usd)}")
    if estimate.expected_cost_usd is not None:
        parts.append(f"expected {cost(estimate.expected_cost_usd)}")
    console.print("total: " + " · ".join(parts), style="bold", highlight=False)
    if estimate.unpriced:
        console.print(
            'unpriced (left out of the totals; set [models."ID"] price in the config): '
            + ", ".join(estimate.unpriced),
            highlight=False,
            markup=False,
        )
    if any(not c.exact for c in estimate.cells):
        console.print(
            "≈ estimated: no offline tokenizer for these models (corrected by past runs when "
            "there are any; --exact asks Anthropic/Gemini)",
            style="dim",
            highlight=False,
        )
    if estimate.missing_variables:
        console.print(
            "missing variables counted as empty: " + escape(", ".join(estimate.missing_variables)),
            style="dim",
            highlight=False,
        )
