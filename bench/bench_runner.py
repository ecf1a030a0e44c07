"""Benchmark: a 24-cell matrix (6 models × 4 temperatures) streaming from a loopback server.

Each cell streams 100 chunks over 1 s. The server runs in its own process (tests/loopback)
so only this process's CPU is counted. Each round measures, one after the other:

- the engine with the chosen transport (`[defaults] transport = "aiohttp"`: httpx over
  httpx-aiohttp), and with httpx's own (`"httpx"`): CPU per streamed chunk, and the run's wall
  time ÷ its slowest cell (target ≤ 1.10: cells really run side by side);
- the floor: the same 24 streams from the same server read through the same library (httpx
  with the httpx-aiohttp transport) with SSE/NDJSON line splitting and ``json.loads``, nothing
  else. Our overhead is the engine's CPU per chunk ÷ the floor's (target ≤ 1.5×), a ratio
  measured in one run, so it holds on a loaded machine as well as an idle one.

A small warm-up run comes first (imports, first connections). Usage:

    python bench/bench_runner.py [--rounds 3] [--quick] [--chunks 100] [--duration 1.0]
                                 [--profile] [--watchdog 120]

``--profile`` (needs ``pip install pyinstrument``) prints where one engine round spends its time.
``--watchdog``: if the whole benchmark takes longer (a hang, or a loop spinning without
yielding, which no asyncio timeout can catch), every thread's stack is dumped and it exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from figures import report  # noqa: E402
from loopback import LoopbackServer  # noqa: E402

from playground.config import load_settings  # noqa: E402
from playground.core.model import CellDelta  # noqa: E402
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
    """tests/loopback in a child process; its address, and its own counts at the end."""

    def __init__(self, chunks: int, duration: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "loopback"), "--chunks", str(chunks),
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


def make_plan() -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts("You are terse.", "Count to a hundred, slowly."),
        models=MODELS,
        temperatures=list(TEMPERATURES),
        max_tokens=256,
    )


async def one_run(settings: Any, plan: RunPlan, transport: str) -> dict[str, float]:
    """The engine: a Runner over the whole plan, its events consumed as a front end would."""
    settings.defaults.transport = transport
    runner = Runner(settings)
    chunks = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    handle = runner.start(plan)
    async for event in handle.events():
        if type(event) is CellDelta:
            chunks += 1
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    await runner.aclose()
    bad = [r for r in handle.results if r.status != "ok"]
    if bad:
        raise SystemExit(f"{len(bad)} cells failed, e.g. {bad[0].error}")
    slowest = max(r.latency_ms or 0.0 for r in handle.results) / 1000
    return {"wall": wall, "slowest": slowest, "cpu": cpu, "chunks": chunks}


async def floor_run(settings: Any, plan: RunPlan) -> dict[str, float]:
    """The floor: the same requests, read with httpx + httpx-aiohttp, lines split and parsed
    with json.loads. No events, no providers, no bookkeeping."""
    import httpx
    from httpx_aiohttp import AiohttpTransport

    from playground.core.providers import build_providers, resolve
    from playground.core.providers.base import ChatRequest

    providers = build_providers(settings)
    messages = tuple(plan.render())
    calls = []
    for cell in plan.cells():
        provider, model = resolve(providers, cell.model)
        request = ChatRequest(model, messages, cell.temperature, plan.max_tokens)
        calls.append((provider.endpoint(request), provider.body(request), provider.headers()))
    loads = json.loads

    async def one(client: httpx.AsyncClient, url: str, body: Any, headers: Any) -> int:
        frames = 0
        rest = b""
        async with client.stream("POST", url, json=body, headers=headers) as response:
            async for data in response.aiter_bytes():
                lines = (rest + data).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if line.startswith(b"data: "):
                        line = line[6:]
                    elif not line.startswith(b"{"):
                        continue
                    if line != b"[DONE]":
                        loads(line)
                        frames += 1
        return frames

    timeout = httpx.Timeout(5.0, read=30.0)
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=timeout) as client:
        cpu0, t0 = time.process_time(), time.perf_counter()
        frames = await asyncio.gather(*(one(client, *call) for call in calls))
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - t0
    return {"wall": wall, "cpu": cpu, "frames": sum(frames)}


def median(rows: list[dict[str, float]], key: Any) -> float:
    return statistics.median(key(r) for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round (for bench/run --quick)")
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--profile", action="store_true", help="pyinstrument one engine round")
    parser.add_argument(
        "--watchdog", type=float, default=120.0, help="seconds before dumping stacks and exiting"
    )
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    faulthandler.dump_traceback_later(args.watchdog, exit=True)

    server = ServerProcess(args.chunks, args.duration)
    results: dict[str, list[dict[str, float]]] = {"aiohttp": [], "httpx": [], "floor": []}
    try:
        settings: Any = make_settings(server.port)
        plan = make_plan()
        for transport in ("aiohttp", "httpx"):  # warm-up: imports, first connections
            asyncio.run(one_run(settings, make_small_plan(), transport))
        asyncio.run(floor_run(settings, make_small_plan()))
        if args.profile:
            from pyinstrument import Profiler

            with Profiler(async_mode="disabled") as profiler:
                asyncio.run(one_run(settings, plan, "aiohttp"))
            profiler.print(show_all=False)
        for _ in range(rounds):
            results["aiohttp"].append(asyncio.run(one_run(settings, plan, "aiohttp")))
            results["httpx"].append(asyncio.run(one_run(settings, plan, "httpx")))
            results["floor"].append(asyncio.run(floor_run(settings, plan)))
    finally:
        faulthandler.cancel_dump_traceback_later()
        stats = server.close()
    cells = len(MODELS) * len(TEMPERATURES)
    chunks = cells * args.chunks  # text pieces sent; every engine run counts them as deltas
    print(f"matrix: {len(MODELS)} models × {len(TEMPERATURES)} temperatures = {cells} cells, "
          f"{args.chunks} chunks over {args.duration:g} s each; server in a separate process; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for name in ("aiohttp", "httpx"):
        for i, r in enumerate(results[name], 1):
            assert r["chunks"] == chunks, (name, r["chunks"], chunks)
            print(f"{name:8} round {i}: wall {r['wall']:.3f} s, slowest cell {r['slowest']:.3f} s "
                  f"({r['wall'] / r['slowest']:.3f}), CPU {r['cpu'] * 1000:.0f} ms = "
                  f"{r['cpu'] / chunks * 1e6:.1f} µs/chunk")  # fmt: skip
    for i, r in enumerate(results["floor"], 1):
        print(f"floor    round {i}: wall {r['wall']:.3f} s, CPU {r['cpu'] * 1000:.0f} ms = "
              f"{r['cpu'] / chunks * 1e6:.1f} µs/chunk ({r['frames']:.0f} frames parsed)")  # fmt: skip
    floor = median(results["floor"], lambda r: r["cpu"]) / chunks * 1e6
    ours = median(results["aiohttp"], lambda r: r["cpu"]) / chunks * 1e6
    own = median(results["httpx"], lambda r: r["cpu"]) / chunks * 1e6
    wall = median(results["aiohttp"], lambda r: r["wall"] / r["slowest"])
    print()
    print("| transport | wall / slowest cell | CPU per chunk | ÷ floor |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| httpx + httpx-aiohttp (default) | {wall:.3f} | {ours:.1f} µs | {ours / floor:.2f}× |")
    own_wall = median(results["httpx"], lambda r: r["wall"] / r["slowest"])
    print(f"| httpx's own | {own_wall:.3f} | {own:.1f} µs | {own / floor:.2f}× |")
    print(f"| floor: httpx-aiohttp + line split + json.loads | | {floor:.1f} µs | 1.00× |")
    print(f"server: {stats}")
    ratio = ours / floor
    report("runner CPU per chunk ÷ floor", "≤ 1.5×", f"{ours:.1f} µs", ratio <= 1.5, ratio)
    report("runner wall ÷ slowest cell", "≤ 1.10", f"{wall:.3f}", wall <= 1.10)
    return 0  # a missed target is a FIGURE line saying NO; exit 1 is kept for a broken run


def make_small_plan() -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts("You are terse.", "Count to a hundred, slowly."),
        models=MODELS[:2],
        temperatures=[0.0],
        max_tokens=256,
    )


if __name__ == "__main__":
    raise SystemExit(main())
