"""Benchmark: a 24-cell matrix (6 models × 4 temperatures) streaming from a loopback server.

Each cell streams 100 chunks over 1 s. The server runs in its own process (tests/loopback.py)
so only the engine's CPU is counted here. Prints:

- wall time of the run vs its slowest cell (target ≤ 1.10×): cells really run side by side;
- engine CPU per streamed chunk (target < 50 µs): parsing, events, bookkeeping, HTTP reads.

A small warm-up run comes first (imports, first connections). Usage:

    python bench/bench_runner.py [--rounds 3] [--chunks 100] [--duration 1.0] [--profile]
                                 [--httpx] [--watchdog 120]

``--watchdog``: if the whole benchmark takes longer (a hang, or a loop spinning without
yielding, which no asyncio timeout can catch), every thread's stack is dumped and it exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from loopback import LoopbackServer  # noqa: E402

from playground.config import load_settings  # noqa: E402
from playground.core.events import CellDelta  # noqa: E402
from playground.core.plan import RunPlan  # noqa: E402
from playground.core.runner import Runner  # noqa: E402
from playground.core.template import PromptTemplate  # noqa: E402

MODELS = [
    "lo-openai:model-a",
    "lo-openai:model-b",
    "lo-anthropic:model-c",
    "lo-gemini:model-d",
    "lo-ollama:model-e",
    "lo-anthropic:model-f",
]
TEMPERATURES = [0.0, 0.4, 0.8, 1.2]


class ServerProcess:
    """tests/loopback.py in a child process; its address, and its own counts at the end."""

    def __init__(self, chunks: int, duration: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "loopback.py"), "--chunks", str(chunks),
             "--duration", str(duration)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise SystemExit(f"loopback server did not start: {line!r}")
        self.port = int(line.split()[1])

    def close(self) -> str:
        out, _ = self.proc.communicate(timeout=10)
        return out.strip()


def make_settings(port: int) -> object:
    server = LoopbackServer(port=port)  # only for its config helpers; not started here
    os.environ.update(server.env())
    with tempfile.TemporaryDirectory() as tmp:
        path = server.write_config(
            Path(tmp) / "playground.toml", max_concurrency=24, concurrency=24, read_timeout=30
        )
        return load_settings(path, cwd=Path(tmp))


async def one_run(
    settings: object, models: list[str], temps: list[float], plain_httpx: bool = False
) -> dict[str, float]:
    plan = RunPlan(
        PromptTemplate.from_parts("You are terse.", "Count to a hundred, slowly."),
        models=models,
        temperatures=list(temps),
        max_tokens=256,
    )
    runner = Runner(settings)  # type: ignore[arg-type]
    if plain_httpx:  # for comparison: httpx's own transport (httpcore, h11, anyio)
        import httpx

        runner._client = httpx.AsyncClient(
            timeout=httpx.Timeout(5.0, read=30.0), limits=httpx.Limits(max_connections=None)
        )
    chunks = 0
    times0 = os.times()
    cpu0, t0 = time.process_time(), time.perf_counter()
    handle = runner.start(plan)
    async for event in handle.events():  # consumed as a front end would
        if type(event) is CellDelta:
            chunks += 1
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    times1 = os.times()
    user, system = times1.user - times0.user, times1.system - times0.system
    await runner.aclose()
    bad = [r for r in handle.results if r.status != "ok"]
    if bad:
        raise SystemExit(f"{len(bad)} cells failed, e.g. {bad[0].error}")
    slowest = max(r.latency_ms for r in handle.results) / 1000  # type: ignore[type-var]
    return {
        "wall": wall,
        "slowest": slowest,
        "cpu": cpu,
        "chunks": chunks,
        "user": user,
        "system": system,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--profile", action="store_true", help="cProfile one round")
    parser.add_argument(
        "--httpx", action="store_true", help="use httpx's default transport (for comparison)"
    )
    parser.add_argument(
        "--watchdog", type=float, default=120.0, help="seconds before dumping stacks and exiting"
    )
    args = parser.parse_args()
    faulthandler.dump_traceback_later(args.watchdog, exit=True)

    server = ServerProcess(args.chunks, args.duration)
    try:
        settings = make_settings(server.port)
        asyncio.run(one_run(settings, MODELS[:2], [0.0]))  # warm-up
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            asyncio.run(one_run(settings, MODELS, TEMPERATURES, args.httpx))
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        rounds = [
            asyncio.run(one_run(settings, MODELS, TEMPERATURES, args.httpx))
            for _ in range(args.rounds)
        ]
    finally:
        faulthandler.cancel_dump_traceback_later()
        stats = server.close()
    cells = len(MODELS) * len(TEMPERATURES)
    print(f"matrix: {len(MODELS)} models × {len(TEMPERATURES)} temperatures = {cells} cells, "
          f"{args.chunks} chunks over {args.duration:g} s each; server in a separate process")  # fmt: skip
    for i, r in enumerate(rounds, 1):
        print(
            f"round {i}: wall {r['wall']:.3f} s, slowest cell {r['slowest']:.3f} s, "
            f"ratio {r['wall'] / r['slowest']:.3f}, chunks {r['chunks']:.0f}, "
            f"engine CPU {r['cpu'] * 1000:.0f} ms = {r['cpu'] / r['chunks'] * 1e6:.1f} µs/chunk "
            f"(user {r['user'] * 1000:.0f} ms, system {r['system'] * 1000:.0f} ms)"
        )
    ratio = statistics.median(r["wall"] / r["slowest"] for r in rounds)
    per_chunk = statistics.median(r["cpu"] / r["chunks"] for r in rounds) * 1e6
    print(f"median wall/slowest: {ratio:.3f} (target ≤ 1.10)")
    print(f"median engine CPU per chunk: {per_chunk:.1f} µs (target < 50)")
    print(f"server: {stats}")
    return 0 if ratio <= 1.10 and per_chunk < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
