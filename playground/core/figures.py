"""How a cell's figures read, in every front end and export: one wording everywhere."""

from __future__ import annotations

TYPE_CHECKING = False  # importing nothing at run time keeps `playground history` quick
if TYPE_CHECKING:
    from collections.abc import Iterable

    from playground.core.plan import CellResult


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


def cell_title(r: CellResult) -> str:
    t = "default" if r.cell.temperature is None else f"{r.cell.temperature:g}"
    sample = f" #{r.cell.sample}" if r.cell.sample > 1 else ""
    return f"{r.cell.model} · t={t}{sample}"


def figures(r: CellResult) -> str:
    """The one-line stats a cell closes with."""
    est = "≈" if r.usage_source == "estimate" else ""
    parts = []
    if r.ttft_ms is not None and not r.cached:  # a cached answer took no time worth showing
        parts.append(f"ttft {r.ttft_ms:.0f} ms")
    if r.latency_ms is not None and not r.cached:
        parts.append(f"{r.latency_ms / 1000:.2f} s")
    if r.input_tokens is not None or r.output_tokens is not None:
        parts.append(f"{est}{r.input_tokens or 0} in / {est}{r.output_tokens or 0} out")
    if r.tokens_per_s:
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
