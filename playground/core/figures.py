"""Moved to ``playground.render.figures`` (the core never renders). Kept only while the TUI's
main screen still imports ``format_cost`` from here; delete once nothing does."""

from playground.render.figures import (  # noqa: F401
    cost_summary,
    format_cost,
    format_total,
    rating_label,
)
