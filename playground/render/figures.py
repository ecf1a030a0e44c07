"""How a cell reads for people, in every front end and export: one wording everywhere.

The figures line (``figures``) and the cell label (``cell_label``) are written once, on the
engine's ``CellResult``/``Cell``; `run`, `show`, `export` and the TUI all print these.
"""

from __future__ import annotations

# `playground history` prints through this module; not importing typing keeps it within
# bench_store.py part 2's target (history ≤ 1.5× `playground --help`)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from playground.core.model import Cell, CellResult


def format_cost(cost: float | None) -> str:
    """USD for people: "unpriced" when unknown (never $0), enough digits for tiny calls."""
    if cost is None:
        return "unpriced"
    if cost == 0:
        return "$0"
    return f"${cost:.4f}" if cost >= 0.0001 else f"${cost:.6f}"


def cost_summary(cells: Iterable[tuple[float | None, bool]]) -> tuple[float | None, int]:
    """From (cost, counts as used) per cell: the known costs' sum (None when no cell has a
    price) and how many used cells have no price. One reckoning for run, show and export."""
    total: float | None = None
    unpriced = 0
    for cost, used in cells:
        if cost is not None:
            total = (total or 0.0) + cost
        elif used:
            unpriced += 1
    return total, unpriced


def format_total(total: float | None, unpriced: int = 0, *, estimated: bool = False) -> str:
    """A run's cost: "unpriced" when no cell has a price; otherwise the priced cells' sum,
    ≈ when some of it comes from estimated usage, and how many cells had no price."""
    if total is None:
        return "unpriced"
    label = ("≈" if estimated else "") + format_cost(total)
    return label + (f" ({unpriced} unpriced)" if unpriced else "")


def rating_label(score: int, scale: str | None) -> str:
    """Thumbs as 👍/👎, stars as ★3; an old 1 of unknown scale (good or one star) stays "1"."""
    if scale == "thumbs":
        return "👍" if score > 0 else "👎"
    if scale == "stars" or score > 1:
        return f"★{score}"
    return "👎" if score < 0 else str(score)


def cell_label(cell: Cell, repeats: int | None = None, *, width: int | None = None) -> str:
    """ "model · t=0.7 #2": which cell this is. The sample number shows when the plan repeats
    (``repeats`` > 1; unknown: when it is past the first). Within ``width`` the temperature and
    sample always stay (they tell the rows apart): the provider goes first, then the model is
    shortened."""
    t = "default" if cell.temperature is None else f"{cell.temperature:g}"
    show_sample = cell.sample > 1 if repeats is None else repeats > 1
    suffix = f" · t={t}{f' #{cell.sample}' if show_sample else ''}"
    model = cell.model
    if width is not None and len(model) + len(suffix) > width:
        model = model.split(":", 1)[-1]
        room = width - len(suffix)
        if len(model) > room:
            model = model[: max(1, room - 1)] + "…"
    return f"{model}{suffix}"


def result_label(result: CellResult) -> str:
    """A result's cell_label, and the fallback model that answered when one did."""
    label = cell_label(result.cell)
    if result.fallback_used:
        label += f" (answered by {result.fallback_used})"
    return label


def figures(r: CellResult, *, status: bool = False, rating: dict | None = None) -> str:
    """The one-line stats a cell closes with: timings, tokens, speed, cost, and what differs
    from what was asked (cache, the temperature sent, a fallback, an unusual finish).
    ``status`` starts it with the cell's status (for a recorded run, where no colour says it);
    ``rating`` ({score, scale}) ends it with the rating."""
    est = "≈" if r.usage_source == "estimate" else ""
    parts = [r.status] if status else []
    if r.ttft_ms is not None and not r.cached:  # a cached answer took no time worth showing
        parts.append(f"ttft {r.ttft_ms:.0f} ms")
    if r.latency_ms is not None and not r.cached:
        parts.append(f"{r.latency_ms / 1000:.2f} s")
    if r.input_tokens is not None or r.output_tokens is not None:
        parts.append(f"{est}{r.input_tokens or 0} in / {est}{r.output_tokens or 0} out")
    if r.tokens_per_s and not r.cached:
        parts.append(f"{r.tokens_per_s:.0f} tok/s")
    if r.input_tokens is not None or r.output_tokens is not None or r.cached:
        parts.append(f"{est}{format_cost(r.cost_usd)}" if r.cost_usd else format_cost(r.cost_usd))
    if r.cached:
        parts.append("cached")
    sent = sent_temperature(r.request)
    if sent is not None and r.cell.temperature is not None and sent != r.cell.temperature:
        parts.append(f"sent t={sent:g}")  # the provider's range is narrower (Anthropic: 0..1)
    if r.fallback_used:
        parts.append(f"fallback {r.fallback_used}")
    if r.finish_reason and r.finish_reason not in ("stop", "end_turn", "STOP"):
        parts.append(f"finish: {r.finish_reason}")
    if rating and rating.get("score"):
        parts.append(f"rated {rating_label(rating['score'], rating.get('scale'))}")
    return " · ".join(parts)


def sent_temperature(request: dict | None) -> float | None:
    """The temperature the request body carried, wherever its protocol puts it."""
    body = (request or {}).get("body")
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("generationConfig"), body.get("options")):
        if isinstance(holder, dict) and isinstance(holder.get("temperature"), int | float):
            return float(holder["temperature"])
    return None
