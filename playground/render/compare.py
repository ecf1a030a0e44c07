"""Text for a comparison of two runs, shared by `playground compare` and the TUI's compare view."""

from __future__ import annotations

from typing import Any


def model_verdict(m: dict[str, Any]) -> str:
    """One model's paired pass rates, p-value and verdict; an undecided one says how many more
    samples would settle it and what they would cost."""
    line = (
        f"{m['model']}: {m['passed_a']}/{m['pairs']} → {m['passed_b']}/{m['pairs']}, "
        f"p={m['p_value']:.3g}: {m['verdict']}"
    )
    if m["verdict"] == "undecided" and m["more_samples"]:
        cost = f" (≈${m['more_cost_usd']:.4f})" if m["more_cost_usd"] is not None else ""
        line += f"; needs ~{m['more_samples']} more samples{cost}"
    return line
