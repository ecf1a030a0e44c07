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


def change_place(key: dict[str, Any]) -> str:
    """Where a compared cell sits: 'case 2 · gpt-a t=0 #1' (no case part for a plain run)."""
    from playground.core.evals.report import fmt_temp

    return (f"case {key['case']} · " if "case" in key else "") + (
        f"{key['model']} t={fmt_temp(key['temperature'])} #{key['sample']}"
    )


def change_figures(change: Any) -> str:
    """What changed in a cell: '+3/-5 words · tokens +2 · cost – · latency -40 ms'."""
    j = change.to_json(spans=False)
    return (
        f"+{change.inserted}/-{change.deleted} words · "
        f"tokens {_delta(j['delta_output_tokens'])} · cost {_delta(j['delta_cost_usd'], money=True)}"
        f" · latency {_delta(j['delta_latency_ms'], ' ms')}"
    )


def _delta(value: Any, unit: str = "", money: bool = False) -> str:
    if value is None:
        return "–"
    if money:
        return f"{value:+.6f} $".replace("+-", "-")
    return f"{value:+.0f}{unit}"
