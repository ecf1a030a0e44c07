"""Two runs (or two evals) side by side: per matching cell, what changed, and whether a
change in pass rate is beyond chance.

Cells match by case, model, temperature and sample when both runs are evals; by model,
temperature, sample (and order) otherwise. Works on plain dicts (store rows), so the CLI's
``compare`` and the TUI's "compare with the last run" share it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from playground.core.diff import stats, word_diff
from playground.core.evals.stats import mcnemar, samples_needed

Key = tuple[Any, ...]


@dataclass
class CellChange:
    key: dict[str, Any]
    a: dict[str, Any]
    b: dict[str, Any]
    inserted: int = 0
    deleted: int = 0
    equal: int = 0
    spans: list[Any] = field(default_factory=list)

    @property
    def verdict(self) -> str | None:
        """fixed | broke | same, when both sides were graded."""
        pa, pb = self.a.get("passed"), self.b.get("passed")
        if pa is None or pb is None:
            return None
        if pa == pb:
            return "same"
        return "fixed" if pb else "broke"

    def to_json(self, spans: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            **self.key,
            "response_a": self.a.get("id"),
            "response_b": self.b.get("id"),
            "passed_a": self.a.get("passed"),
            "passed_b": self.b.get("passed"),
            "change": self.verdict,
            "diff": {"inserted": self.inserted, "deleted": self.deleted, "equal": self.equal},
        }
        for name in ("output_tokens", "cost_usd", "latency_ms"):
            va, vb = self.a.get(name), self.b.get(name)
            out[f"{name}_a"] = va
            out[f"{name}_b"] = vb
            out[f"delta_{name}"] = None if va is None or vb is None else _r(vb - va)
        if spans:
            out["spans"] = [{"op": s.op, "text": s.text} for s in self.spans]
        return out


def _r(x: float) -> float:
    return round(x, 8) if isinstance(x, float) else x


def match_cells(
    rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]], evals: bool
) -> tuple[list[CellChange], int, int]:
    """(matched changes, cells only in A, cells only in B)."""

    def keyed(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
        out: dict[Key, dict[str, Any]] = {}
        seen: dict[Key, int] = defaultdict(int)
        for row in rows:
            base: Key = (row["model"], row["temperature"], row["sample"])
            if evals:
                base = (row["case"], *base)
            nth = seen[base]
            seen[base] += 1
            out[(*base, nth)] = row
        return out

    a, b = keyed(rows_a), keyed(rows_b)
    changes = []
    for key, rb in b.items():
        ra = a.get(key)
        if ra is None:
            continue
        names = (
            ("case", "model", "temperature", "sample")
            if evals
            else ("model", "temperature", "sample")
        )
        spans = word_diff(ra.get("output") or "", rb.get("output") or "")
        st = stats(spans)
        changes.append(
            CellChange(
                dict(zip(names, key, strict=False)),
                ra,
                rb,
                st.inserted,
                st.deleted,
                st.equal,
                spans,
            )
        )
    return changes, len(set(a) - set(b)), len(set(b) - set(a))


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    costs = [r["cost_usd"] for r in rows if r.get("cost_usd") is not None]
    lat = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    graded = [r for r in rows if r.get("passed") is not None]
    return {
        "cells": len(rows),
        "passed": sum(bool(r["passed"]) for r in graded) if graded else None,
        "graded": len(graded),
        "output_tokens": sum(r.get("output_tokens") or 0 for r in rows),
        "cost_usd": round(sum(costs), 8) if costs else None,
        "mean_latency_ms": round(sum(lat) / len(lat), 1) if lat else None,
    }


def paired_by_model(
    changes: list[CellChange], cost_per_cell: dict[str, float | None] | None = None
) -> list[dict[str, Any]]:
    """Per model: the exact McNemar test of A against B on the cells both graded, and when
    it is undecided, how many more paired samples would decide it and roughly what they
    would cost (both sides, at ``cost_per_cell``)."""
    pairs: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for c in changes:
        pa, pb = c.a.get("passed"), c.b.get("passed")
        if pa is not None and pb is not None:
            pairs[c.key["model"]].append((bool(pa), bool(pb)))
    out = []
    for model, items in pairs.items():
        test = mcnemar(items)
        more = samples_needed(test)
        unit = (cost_per_cell or {}).get(model)
        verdict = (
            ("better" if test.direction > 0 else "worse")
            if test.significant
            else "no difference"
            if test.discordant == 0
            else "undecided"
        )
        out.append(
            {
                "model": model,
                "pairs": test.pairs,
                "passed_a": sum(a for a, _ in items),
                "passed_b": sum(b for _, b in items),
                "only_a": test.only_a,
                "only_b": test.only_b,
                "p_value": round(test.p_value, 6),
                "verdict": verdict,
                "more_samples": more if more else None,
                "more_cost_usd": (round(2 * more * unit, 6) if more and unit is not None else None),
            }
        )
    return out
