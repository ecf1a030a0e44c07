"""`run --batch` at scale: a 10,000-cell sweep submitted in one command.

    python bench/bench_batch.py [--cells 10000] [--quick]

The batch loopback server (tests/loopback/batch.py) runs in its own process; each size runs
in a fresh child process (so its peak RSS is its own): the engine as `run --batch` drives it
(store, runner, batch sink), 4 models (2 OpenAI-kind: a file each; 2 Anthropic-kind: one
Message Batch) × 25 temperatures × repeats. Prints, per size: wall time, the share of it spent
sending the jobs (upload + create), CPU per cell, and peak RSS; then the growth of RSS per
1,000 cells between the two sizes ("memory flat": the cells are held, the request files are
not).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

MODELS = ["lb-openai:gpt-a", "lb-openai:gpt-b", "lb-anthropic:claude-a", "lb-anthropic:claude-b"]
TEMPERATURES = [round(i * 0.08, 2) for i in range(25)]


def child(cells: int, port: int) -> dict[str, float]:
    """One `run --batch` of ``cells`` cells, measured from inside (this process only)."""
    from loopback.batch import BatchServer

    from playground.config import load_settings
    from playground.core.batch.submit import BatchSink
    from playground.core.plan import RunPlan
    from playground.core.runner import Runner
    from playground.core.template import PromptTemplate
    from playground.store import Store

    for var, value in BatchServer.env().items():
        os.environ[var] = value
    srv = BatchServer()
    srv.port = port
    with tempfile.TemporaryDirectory() as tmp:
        config = srv.write_config(Path(tmp))
        settings = load_settings(config, cwd=Path(tmp))
        store = Store.open(Path(tmp) / "bench.db")
        store.new_session(source="bench")
        repeats = max(1, cells // (len(MODELS) * len(TEMPERATURES)))
        plan = RunPlan(
            template=PromptTemplate.from_parts(
                "You are a careful assistant.", "Summarise the plot of {{book}} in two sentences."
            ),
            variables={"book": "Moby-Dick"},
            models=MODELS,
            temperatures=list(TEMPERATURES),
            repeats=repeats,
            max_tokens=256,
        )

        async def run() -> tuple[float, BatchSink, list[object]]:
            runner = Runner(settings, recorder=store)
            sink = BatchSink(settings, store)
            t0 = time.perf_counter()
            handle = runner.start(plan, batch=sink)
            results = await handle.wait()
            wall = time.perf_counter() - t0
            await runner.aclose()
            await sink.aclose()
            return wall, sink, results

        cpu0 = time.process_time()
        wall, sink, results = asyncio.run(run())
        cpu = time.process_time() - cpu0
        store.close()
    pending = sum(1 for r in results if getattr(r, "status", "") == "pending")
    return {
        "cells": len(results),
        "pending": pending,
        "jobs": len(sink.jobs),
        "wall_s": wall,
        "upload_s": sink.upload_s,
        "cpu_ms_per_cell": cpu * 1000 / max(1, len(results)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(cells: int, port: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(cells), "--port", str(port)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 and 3,000 cells")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.port)))
        return 0
    from figures import report

    big = 3_000 if args.quick else args.cells
    small = 1_000
    server = subprocess.Popen(
        [sys.executable, "-m", "loopback.batch"],  # a module: it imports its package's config
        cwd=ROOT / "tests",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline().split()[1])  # type: ignore[union-attr]
        rows = [measure(small, port), measure(big, port)]
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)
    print("| cells | jobs | wall | sending jobs | CPU per cell | peak RSS |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['cells']:,} | {r['jobs']} | {r['wall_s']:.2f} s | "
            f"{r['upload_s']:.2f} s ({r['upload_s'] / r['wall_s']:.0%}) | "
            f"{r['cpu_ms_per_cell']:.2f} ms | {r['peak_rss_mb']:.0f} MB |"
        )
    a, b = rows
    growth = (b["peak_rss_mb"] - a["peak_rss_mb"]) / ((b["cells"] - a["cells"]) / 1000)
    print(f"RSS growth: {growth:.1f} MB per 1,000 cells")
    assert b["pending"] == b["cells"], "every cell should be waiting in a job"
    report(
        f"batch submit {b['cells']:,} cells: wall",
        "< 30 s",
        f"{b['wall_s']:.1f} s",
        b["wall_s"] < 30,
    )
    report(
        f"batch submit {b['cells']:,} cells: CPU per cell",
        "< 2 ms",
        f"{b['cpu_ms_per_cell']:.2f} ms",
        b["cpu_ms_per_cell"] < 2,
    )
    report(
        "batch submit: RSS growth per 1,000 cells",
        "< 10 MB",
        f"{growth:.1f} MB",
        growth < 10,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
