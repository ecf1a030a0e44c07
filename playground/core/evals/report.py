"""What an eval says: the summary rows, the fragility rows, and text, Markdown and JUnit.

``Tally`` takes each finished case as it comes and keeps only counts (per model ×
temperature, and per case while its samples are graded), so it is the same size for 10
cases or 10,000. The results themselves are read back from the store for the report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from playground.core.evals.engine import CaseResult, CaseRun
from playground.core.evals.grouping import same_group
from playground.core.evals.stats import wilson

Key = tuple[str, float | None]


@dataclass
class Row:
    passed: int = 0
    total: int = 0
    errors: int = 0
    cases: int = 0
    cases_all_passed: int = 0
    cost_usd: float | None = None


@dataclass
class FragilityRow:
    variations: int = 0  # variation results compared with their original
    flips: int = 0
    by_variation: dict[str, list[Any]] = field(default_factory=dict)  # label -> [kind, flips]


class Tally:
    """Counts as cases finish: pass rates, pass^k, errors, cost, flips."""

    def __init__(self, keys: list[Key], repeats: int = 1) -> None:
        self.order = list(keys)
        self.repeats = repeats
        self.rows: dict[Key, Row] = {k: Row() for k in keys}
        self.fragility: dict[Key, FragilityRow] = {k: FragilityRow() for k in keys}
        self.errors = 0
        self.first_error: str | None = None
        self.cases = 0

    def add(self, run: CaseRun) -> None:
        self.cases += 1
        per_case: dict[Key, list[bool]] = defaultdict(list)
        for r in run.original:
            row = self.rows.setdefault(r.key, Row())
            row.total += 1
            row.passed += r.passed
            per_case[r.key].append(r.passed)
            if r.error is not None:
                row.errors += 1
                self.errors += 1
                self.first_error = self.first_error or r.error
            cost = r.result.cost_usd if r.result is not None else None
            if cost is not None:
                row.cost_usd = (row.cost_usd or 0.0) + cost
        for key, samples in per_case.items():
            row = self.rows[key]
            row.cases += 1
            row.cases_all_passed += all(samples)
        for variation, results in run.varied:
            for original, varied in zip(run.original, results, strict=True):
                frag = self.fragility.setdefault(original.key, FragilityRow())
                frag.variations += 1
                flipped = flips(original, varied)
                frag.flips += flipped
                entry = frag.by_variation.setdefault(variation.label, [variation.kind, 0])
                entry[1] += flipped

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for key in self.order + [k for k in self.rows if k not in self.order]:
            row = self.rows[key]
            low, high = wilson(row.passed, row.total)
            out.append(
                {
                    "model": key[0],
                    "temperature": key[1],
                    "passed": row.passed,
                    "total": row.total,
                    "pass_rate": round(row.passed / row.total, 4) if row.total else None,
                    "ci_low": round(low, 4),
                    "ci_high": round(high, 4),
                    "pass_k": (
                        round(row.cases_all_passed / row.cases, 4)
                        if self.repeats > 1 and row.cases
                        else None
                    ),
                    "k": self.repeats,
                    "errors": row.errors,
                    "cost_usd": None if row.cost_usd is None else round(row.cost_usd, 8),
                }
            )
        return out

    def fragility_rows(self, worst: int = 3) -> list[dict[str, Any]]:
        out = []
        for key in self.order:
            frag = self.fragility[key]
            ranked = sorted(frag.by_variation.items(), key=lambda kv: (-kv[1][1], kv[0]))
            out.append(
                {
                    "model": key[0],
                    "temperature": key[1],
                    "variations": len(frag.by_variation),
                    "flip_rate": round(frag.flips / frag.variations, 4) if frag.variations else 0.0,
                    "worst": [
                        {"variation": label, "kind": kind, "flips": n}
                        for label, (kind, n) in ranked[:worst]
                        if n
                    ],
                }
            )
        return out


def flips(original: CaseResult, varied: CaseResult) -> bool:
    """Did the variation change the verdict, or the answer's group, against the original?"""
    if original.passed != varied.passed:
        return True
    a = original.result.output if original.result is not None else ""
    b = varied.result.output if varied.result is not None else ""
    return not same_group(a, b)


def rows_meet(summary: list[dict[str, Any]], threshold: float | None) -> bool:
    """Every row passes everything, or (with a threshold) its pass rate reaches it."""
    for row in summary:
        if not row["total"]:
            continue
        if threshold is None:
            if row["passed"] < row["total"]:
                return False
        elif row["passed"] / row["total"] < threshold - 1e-12:
            return False
    return True


# -- text for people -----------------------------------------------------------------------


def fmt_temp(t: float | None) -> str:
    return "default" if t is None else f"{t:g}"


def fmt_pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.0f}%"


def summary_lines(summary: list[dict[str, Any]], markdown: bool = False) -> list[str]:
    k = max((row.get("k") or 1 for row in summary), default=1)
    head = ["model", "temp", "passed", "rate", "95% CI"] + ([f"pass^{k}"] if k > 1 else [])
    body = []
    for row in summary:
        cells = [
            row["model"],
            fmt_temp(row["temperature"]),
            f"{row['passed']}/{row['total']}",
            fmt_pct(row["pass_rate"]),
            f"{fmt_pct(row['ci_low'])}–{fmt_pct(row['ci_high'])}",
        ]
        if k > 1:
            cells.append(fmt_pct(row["pass_k"]))
        if row.get("errors"):
            cells[2] += f" ({row['errors']} errors)"
        body.append(cells)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
        return lines
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        for cells in [head, *body]
    ]


def failure_lines(result: dict[str, Any], markdown: bool = False, width: int = 400) -> list[str]:
    """One failed result: where, each failed assertion and why, then the output."""
    where = f"case {result['case']}"
    if result.get("description"):
        where += f" ({result['description']})"
    where += f" · {result['model']} t={fmt_temp(result['temperature'])} #{result['sample']}"
    if result.get("variation"):
        where += f" · variation {result['variation']}"
    if result.get("response_id") is not None:
        where += f" · response {result['response_id']}"
    lines = [f"{'- **' if markdown else '✗ '}{where}{'**' if markdown else ''}"]
    pad = "  " if markdown else "    "
    if result.get("error"):
        lines.append(f"{pad}error: {result['error']}")
    for a in result.get("assertions") or []:
        if not a["passed"] and not a.get("error"):
            lines.append(f"{pad}{a['type']}: {a['reason']}")
    output = result.get("output") or ""
    if output or result.get("status") == "ok":
        shown = " ".join(output.split())
        if len(shown) > width:
            shown = shown[: width - 1] + "…"
        lines.append(f"{pad}output: {shown!s}" if not markdown else f"{pad}output: `{shown}`")
    return lines


def fragility_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        worst = ", ".join(f"{w['variation']} ({w['flips']})" for w in row["worst"]) or "none"
        lines.append(
            f"{row['model']} t={fmt_temp(row['temperature'])}: flip rate "
            f"{fmt_pct(row['flip_rate'])} over {row['variations']} variations; worst: {worst}"
        )
    return lines


def junit_xml(name: str, results: Any, summary: list[dict[str, Any]]) -> str:
    """JUnit XML: a testsuite per model × temperature, a testcase per case × sample."""
    from xml.etree import ElementTree as ET

    root = ET.Element("testsuites", name=f"playground eval {name}")
    suites: dict[Key, Any] = {}
    counts: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in summary:
        key = (row["model"], row["temperature"])
        suites[key] = ET.SubElement(
            root, "testsuite", name=f"{name} · {row['model']} t={fmt_temp(row['temperature'])}"
        )
    for r in results:
        if r.get("variation"):
            continue
        key = (r["model"], r["temperature"])
        suite = suites.get(key)
        if suite is None:
            suite = suites[key] = ET.SubElement(root, "testsuite", name=f"{name} · {key[0]}")
        title = f"case {r['case']}" + (f": {r['description']}" if r.get("description") else "")
        if any(row.get("k", 1) > 1 for row in summary):
            title += f" [sample {r['sample']}]"
        case = ET.SubElement(
            suite, "testcase", name=title, classname=f"{name}.{key[0]}.t{fmt_temp(key[1])}"
        )
        c = counts[key]
        c[0] += 1
        if r.get("error"):
            c[2] += 1
            ET.SubElement(case, "error", message=r["error"][:500]).text = r["error"]
        elif not r["passed"]:
            c[1] += 1
            failed = [a for a in r["assertions"] if not a["passed"]]
            message = "; ".join(f"{a['type']}: {a['reason']}" for a in failed)[:500]
            text = "\n".join(failure_lines(r))
            ET.SubElement(case, "failure", message=message or "failed").text = text
    for key, suite in suites.items():
        tests, failures, errors = counts[key]
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
