"""Benchmark: the eval engine.

1. Deterministic assertions: every cheap type (contains … json-schema, similar) on 2,000
   outputs of ~1,500 characters; time per cell × assertion (target < 0.2 ms).
2. Stability grouping: 100 outputs of ~4k tokens (3,000 words), all different (the worst
   case: every pair is considered), and a realistic mix; target < 1 s.
3. A dataset through `playground eval`: N rows × 1 model on the loopback server in its own
   process, every cell about 100 ms, concurrency 8. Wall against the ideal (rows ÷ 8 × the
   median cell's measured latency, target ≤ 1.10), engine CPU per cell (the whole process: runner, store, grading, report),
   and memory: RSS sampled while it runs, growth from the first quarter to the end (flat:
   < 25 MB).

    python bench/bench_eval.py [--rows 10000] [--quick]   (--quick: 800 rows)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_runner import ServerProcess  # noqa: E402
from figures import report  # noqa: E402
from loopback import LoopbackServer  # noqa: E402

from playground.core.evals.assertions import Context, grade  # noqa: E402
from playground.core.evals.cases import parse_assertion  # noqa: E402
from playground.core.evals.grouping import group_outputs  # noqa: E402

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "facts": {"type": "array"}},
    "required": ["name", "facts"],
}
ASSERTIONS = [
    {"type": "equals", "value": "nothing like it"},
    {"type": "contains", "value": "otter"},
    {"type": "icontains", "value": "RIVER"},
    {"type": "contains-any", "value": ["seal", "otter", "whale"]},
    {"type": "icontains-all", "value": ["otter", "river", "fur"]},
    {"type": "starts-with", "value": "{"},
    {"type": "regex", "value": r"\b\d{4}\b"},
    {"type": "not-regex", "value": "(?i)as an ai"},
    {"type": "is-json"},
    {"type": "json-schema", "value": SCHEMA},
    {"type": "max-length", "value": 4000},
    {"type": "similar", "value": "Otters live in rivers and have thick fur.", "threshold": 0.1},
]


def outputs(n: int, rng: random.Random) -> list[str]:
    words = [
        "otter",
        "river",
        "fur",
        "swims",
        "holds",
        "hands",
        "sleeps",
        "eats",
        "fish",
        "clam",
        "stone",
        "coast",
        "kelp",
    ]
    out = []
    for i in range(n):
        facts = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(10)]
        out.append(json.dumps({"name": f"otter {i}", "year": 1990 + i % 30, "facts": facts}))
    return out


def bench_assertions(cells: int) -> float:
    rng = random.Random(1)
    specs = [parse_assertion(a, i) for i, a in enumerate(ASSERTIONS, 1)]
    texts = outputs(cells, rng)
    for spec in specs:  # warm caches (compiled regexes, validators, rapidfuzz import)
        grade(spec, Context(output=texts[0], model="openai:gpt-4.1-mini"))
    t0 = time.perf_counter()
    failed = 0
    for text in texts:
        ctx = Context(output=text, model="openai:gpt-4.1-mini")
        for spec in specs:
            out = grade(spec, ctx)
            failed += out.error is not None
    elapsed = time.perf_counter() - t0
    if failed:
        raise SystemExit(f"{failed} assertions could not be evaluated")
    per = elapsed / (cells * len(specs)) * 1000
    print(f"assertions: {cells} outputs × {len(specs)} types: {elapsed * 1000:.0f} ms, "
          f"{per * 1000:.1f} µs per cell × assertion (target < 200 µs)")  # fmt: skip
    report("eval: deterministic assertion per cell×assertion", "< 0.2 ms", f"{per:.4f} ms",
           per < 0.2)  # fmt: skip
    return per


def bench_grouping() -> float:
    rng = random.Random(2)
    vocab = [f"w{i}" for i in range(3000)] + ["the", "a", "of", "and", "to", "in"] * 200
    base = [rng.choice(vocab) for _ in range(3000)]
    distinct = [" ".join(rng.choice(vocab) for _ in range(3000)) for _ in range(100)]
    mixed = []
    for k in range(100):
        if k % 4 == 0:
            mixed.append(" ".join(base))
        elif k % 4 == 1:
            edited = list(base)
            for j in range(0, 3000, 300):
                edited[(j + k) % 3000] = "changed"
            mixed.append(" ".join(edited))
        else:
            mixed.append(" ".join(rng.choice(vocab) for _ in range(3000)))
    times = {}
    for name, outs in (("all different", distinct), ("mixed", mixed)):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            stability = group_outputs(outs)
            runs.append(time.perf_counter() - t0)
        times[name] = statistics.median(runs)
        print(f"grouping 100 × 3,000 words ({name}): {times[name] * 1000:.0f} ms, "
              f"{stability.label()}, {len(stability.groups)} groups")  # fmt: skip
    worst = max(times.values())
    report("eval: group 100 outputs of 4k tokens", "< 1 s", f"{worst:.2f} s", worst < 1.0)
    return worst


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_dataset(rows: int, cell_s: float, concurrency: int) -> dict[str, float]:
    from playground.cli import main as playground

    server = ServerProcess(chunks=5, duration=cell_s)
    tmp = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    try:
        LoopbackServer(port=server.port).write_config(
            tmp, max_concurrency=concurrency, concurrency=concurrency, read_timeout=30
        )
        os.environ.update(LoopbackServer.env())
        os.environ["PLAYGROUND_DB"] = str(tmp / "bench.db")
        (tmp / "prompts").mkdir()
        (tmp / "prompts" / "about.prompt").write_text(
            "---\nmodel: lo-openai:lo-model-a\nconfig:\n  temperature: 0\n---\n"
            "Write one sentence about {{topic}} number {{n}}.\n",
            encoding="utf-8",
        )
        (tmp / "prompts" / "about.tests.yaml").write_text(
            "defaults:\n  assert:\n    - {type: icontains, value: loopback}\n"
            "    - {type: max-length, value: 400}\n    - {type: not-regex, value: '(?i)as an ai'}\n",
            encoding="utf-8",
        )
        with open(tmp / "rows.csv", "w", encoding="utf-8") as fh:
            fh.write("topic,n\n")
            for i in range(rows):
                fh.write(f"otters,{i}\n")
        os.chdir(tmp)
        # warm-up in this process: imports, token tables, the first connections
        with open(tmp / "warm.csv", "w", encoding="utf-8") as fh:
            fh.write("topic,n\n" + "".join(f"otters,w{i}\n" for i in range(16)))
        with contextlib.redirect_stdout(io.StringIO()):
            playground(["eval", "about", "--cases", "warm.csv", "--db", str(tmp / "warm.db")])
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            t0 = time.perf_counter()
            while not stop.wait(0.25):
                samples.append((time.perf_counter() - t0, rss_mb()))

        watcher = threading.Thread(target=sample, daemon=True)
        cpu0, t0 = time.process_time(), time.perf_counter()
        watcher.start()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = playground(["eval", "about", "--cases", "rows.csv"])
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        stop.set()
        watcher.join()
    finally:
        stats = server.close()
    if code != 0:
        raise SystemExit(f"eval exited {code}: {out.getvalue()[-500:]}")
    import sqlite3

    with contextlib.closing(sqlite3.connect(tmp / "bench.db")) as db:
        latencies = [r[0] for r in db.execute("SELECT latency_ms FROM responses") if r[0]]
    cell = statistics.median(latencies) / 1000  # what a cell really took, end to end
    ideal = rows / concurrency * cell
    quarter = [m for t, m in samples if t >= wall / 4] or [rss_mb()]
    growth = max(m for _, m in samples) - quarter[0] if samples else 0.0
    print(f"dataset: {rows} rows × 1 model, {cell_s * 1000:.0f} ms cells (median measured "
          f"{cell * 1000:.0f} ms), concurrency {concurrency}: wall {wall:.2f} s, ideal "
          f"{ideal:.2f} s (rows ÷ concurrency × median cell), ratio {wall / ideal:.3f} "
          f"(target ≤ 1.10)")  # fmt: skip
    print(f"engine CPU {cpu:.2f} s = {cpu / rows * 1000:.2f} ms per cell (runner, store, "
          f"grading, report; the server is another process)")  # fmt: skip
    print(f"memory: RSS {quarter[0]:.0f} MB at a quarter, peak {max(m for _, m in samples):.0f} "
          f"MB, growth {growth:.1f} MB (target < 25 MB: flat)")  # fmt: skip
    print(f"server: {stats}")
    report(f"eval: {rows}-row dataset wall / ideal", "≤ 1.10", f"{wall / ideal:.3f}",
           wall / ideal <= 1.10)  # fmt: skip
    report("eval: engine CPU per cell", "< 5 ms", f"{cpu / rows * 1000:.2f} ms",
           cpu / rows * 1000 < 5)  # fmt: skip
    report("eval: memory growth over the run", "< 25 MB", f"{growth:.1f} MB", growth < 25)
    return {"ratio": wall / ideal, "cpu_ms": cpu / rows * 1000, "growth": growth}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="800 rows")
    parser.add_argument("--cell", type=float, default=0.1, help="seconds per cell")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    rows = 800 if args.quick else args.rows
    per = bench_assertions(2000)
    worst = bench_grouping()
    figures = bench_dataset(rows, args.cell, args.concurrency)
    ok = per < 0.2 and worst < 1.0 and figures["ratio"] <= 1.10 and figures["growth"] < 25
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
