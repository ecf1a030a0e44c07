"""Benchmark: the session store with 100,000 responses, and the cost of recording a stream.

Prints:

1. ``list_runs(QUERY)`` inside the process (target < 50 ms) for a rare, a medium, a very
   common and a two-word query, and the plain newest-first listing; median of 20.
2. ``playground history QUERY`` as a whole command vs bare ``playground --help`` (target
   < 1.5×); median of 15, interleaved.
3. CPU of streaming 24 cells at full speed (4 models × 2 temperatures × 3 samples, each
   ``--chunks`` pieces) from a loopback server in its own process, with the store as recorder
   vs without (target < 5% more). The store is set up as ``playground run`` sets it up (each
   provider's key known). Each round runs without and with the store back to back (which goes
   first alternates); the figure is the median of each round's own with ÷ without of the whole
   process's CPU time (every thread), printed with its quartiles, so a change of load between
   rounds cancels out, pooled over ``--processes`` fresh processes (8) of ``--rounds`` rounds
   each (25; one process of 15 with ``--quick``). Also printed: each process's own median,
   the ratio of the medians; beside the pair in each process's first 6 rounds, a null
   recorder and a store that knows 3 keys shaped like real ones (the loopback's look-alikes
   are the slow case of the key search); where the difference is (the event loop's thread, the writer thread,
   other threads); and the CPU spent inside the store's calls (timed directly, less exposed
   to other load on the machine).

The 100k database is built once (about a minute) and kept in the temp folder. Usage:

    python bench/bench_store.py [--responses 100000] [--rounds 25] [--processes 8] [--only 1,2,3]
    python bench/bench_store.py --only 3 --profile   # part 3's recorded runs under cProfile

``--profile`` times part 3's runs with the store under cProfile, on the event loop's thread and
the store's writer thread (thread CPU time, so the waits do not count), and prints the top 15.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from figures import report  # noqa: E402

from playground.store import Store  # noqa: E402

CELLS_PER_RUN = 20
# Part 3's figure is the median of the rounds' own with ÷ without ratios; one pair's ratio
# moves ±5% with the machine (quartiles ±3–7%), so 25 rounds could not tell +4% from +6%; and
# a process's own median moved 2–5 points from one process to the next (the same code; two
# identical stores alternating in one process differed as much), so the full mode pools 8 fresh
# processes of 25 rounds each (4 gave +2.5% to +6.3% on the same code, Dec 3). The comparisons
# printed beside it take fewer rounds.
ROUNDS = 25  # a process's rounds
PROCESSES = 8
EXTRA_ROUNDS = 6
RARE, MEDIUM = "quixotic", "otters"


def vocabulary(n: int = 5000) -> list[str]:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n * 2)}
    return sorted(words)[:n]


def build(path: Path, responses: int) -> None:
    """Runs of 20 cells with ~80-word outputs drawn Zipf-like from 5,000 words; "otters" in
    ~1% of outputs, "quixotic" in 10."""
    if path.exists():
        return
    tmp = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    store = Store.open(tmp)
    store.new_session("bench")
    words = vocabulary()
    weights = [1 / (i + 1) for i in range(len(words))]
    rng = random.Random(11)
    conn = store.conn
    runs = responses // CELLS_PER_RUN
    rare_at = set(rng.sample(range(responses), 10))
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    rid = 0
    for run in range(1, runs + 1):
        prompt = " ".join(rng.choices(words, weights, k=25))
        conn.execute(
            "INSERT INTO runs (id, session_id, created_at, status, template, variables, models,"
            " temperatures, params, repeats, use_cache, system, prompt, messages) VALUES "
            "(?, ?, ?, 'done', '{}', '{}', ?, '[0.0, 0.7]', '{}', 5, 1, '', ?, '[]')",
            (run, store.session_id, f"2026-11-{1 + run * 25 // runs:02d}T12:00:00.000Z",
             '["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5"]', prompt),
        )  # fmt: skip
        rows = []
        for cell in range(CELLS_PER_RUN):
            rid += 1
            text = rng.choices(words, weights, k=80)
            if rng.random() < 0.01:
                text[rng.randrange(80)] = MEDIUM
            if rid - 1 in rare_at:
                text[rng.randrange(80)] = RARE
            rows.append((rid, run, cell, "openai:gpt-4.1-mini", 0.7, 1 + cell % 5, "openai",
                         "ok", " ".join(text), 0.0004, 120, 80))  # fmt: skip
        conn.executemany(
            "INSERT INTO responses (id, run_id, cell_index, model, temperature, sample, "
            "provider, status, output, cost_usd, input_tokens, output_tokens) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    os.replace(tmp, path)
    print(f"built {responses:,} responses in {time.perf_counter() - t0:.0f} s: {path}")


def median_ms(fn, n: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_search(db: Path) -> None:
    store = Store.open(db)
    common = vocabulary()[0]
    count = store.conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    print(f"\n1. list_runs in-process, {count:,} responses (median of 20, target < 50 ms)")
    worst = 0.0
    for label, query in (
        (f"rare word ({RARE!r}, 10 outputs)", RARE),
        (f"medium word ({MEDIUM!r}, ~1% of outputs)", MEDIUM),
        (f"very common word ({common!r}, most outputs)", common),
        (f"two words ({MEDIUM} {common})", f"{MEDIUM} {common}"),
        ("no match ('zzzzqq')", "zzzzqq"),
        ("no query (newest 20)", None),
    ):
        ms = median_ms(lambda q=query: store.list_runs(q, 20), 20)
        print(f"   {label:<48} {ms:6.1f} ms")
        worst = max(worst, ms)
    report(
        f"store: list_runs, {count:,} responses, slowest query",
        "< 50 ms",
        f"{worst:.1f} ms",
        worst < 50,
    )
    store.close()


def bench_cli(db: Path, reps: int = 21) -> None:
    exe = [sys.executable, "-m", "playground"]
    # as installed: bytecode cached (kept out of the tree), whatever this shell says
    env = {**os.environ, "PLAYGROUND_DB": str(db)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "playground-bench-pycache")

    def wall(args: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(exe + args, env=env, stdout=subprocess.DEVNULL, check=True)
        return (time.perf_counter() - t) * 1000

    cases = {"--help": ["--help"], "history": ["history"], f"history {MEDIUM}": ["history", MEDIUM]}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for args in cases.values():
        wall(args)
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(reps):
        for label, args in cases.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[label].append(wall(args))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            cpu[label].append(used * 1000)
    base = statistics.median(times["--help"])
    base_cpu = statistics.median(cpu["--help"])
    print(f"\n2. whole command, median of {reps} (target: history QUERY < 1.5× --help)")
    for label, values in times.items():
        m, c = statistics.median(values), statistics.median(cpu[label])
        print(
            f"   playground {label:<18} wall {m:6.1f} ms ({m / base:.2f}×)"
            f"   CPU {c:6.1f} ms ({c / base_cpu:.2f}×)"
        )
    m = statistics.median(times[f"history {MEDIUM}"])
    report(
        "store: `history QUERY` ÷ `--help`, whole command",
        "< 1.5×",
        f"{m:.0f} ms",
        m / base < 1.5,
        m / base,
    )


def profile_stream(rounds: int, chunks: int) -> None:
    """Part 3's runs with the store, under cProfile on both threads that do its work."""
    import cProfile
    import pstats

    from bench_runner import ServerProcess, make_settings

    from playground.core.plan import RunPlan
    from playground.core.runner import Runner
    from playground.core.template import PromptTemplate
    from playground.store.writer import Writer

    profiles: list[cProfile.Profile] = []
    writer_main = Writer._main

    def profiled_main(self: Writer) -> None:
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.runcall(writer_main, self)

    Writer._main = profiled_main  # type: ignore[method-assign]
    server = ServerProcess(chunks, 0.0)
    settings = make_settings(server.port)
    store = Store.open(Path(tempfile.mkdtemp(prefix="bench-store-")) / "profile.db")
    store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
    store.new_session("bench")
    loop_profile = cProfile.Profile(time.thread_time)

    async def one(take: int) -> None:
        plan = RunPlan(
            PromptTemplate.from_parts("", f"Tell me a story, take {take}"),
            models=["lo-openai:a", "lo-anthropic:b", "lo-gemini:c", "lo-ollama:d"],
            temperatures=[0.0, 0.8],
            repeats=3,
        )
        runner = Runner(settings, recorder=store)
        handle = runner.start(plan)
        async for _ in handle.events():
            pass
        await runner.aclose()

    async def main() -> None:
        await one(-1)  # warm-up: imports, first connections, token tables
        loop_profile.enable()
        for take in range(rounds):
            await one(take)
        loop_profile.disable()

    try:
        asyncio.run(main())
    finally:
        store.close()  # the writer thread ends: its profile is complete
        server.close()
        shutil.rmtree(Path(store.path).parent, ignore_errors=True)
        Writer._main = writer_main  # type: ignore[method-assign]
    stats = pstats.Stats(loop_profile)
    for profile in profiles:
        stats.add(profile)
    print(f"\n3. profile: {rounds} runs of 24 cells × {chunks} chunks with the store")
    print("   (thread CPU time; the event loop's thread and the store's writer thread)")
    stats.sort_stats("tottime").print_stats(15)
    print("   the store's own entries (its modules, SQLite, redaction, compression):")
    stats.print_stats(r"playground/store/|sqlite3|secrets|zstandard|stamps", 12)


def bench_stream(rounds: int, chunks: int, out: Path | None = None) -> None:
    from bench_runner import ServerProcess, make_settings

    from playground.core.plan import RunPlan
    from playground.core.runner import Runner
    from playground.core.template import PromptTemplate

    server = ServerProcess(chunks, 0.0)
    settings = make_settings(server.port)
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    store = Store.open(tmp / "stream.db")
    # set up as `playground run` sets it up (commands/common.py): each provider's key known
    store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
    store.new_session("bench")
    # The same store with keys shaped like real ones instead of the loopback's look-alikes
    # (`test-openai-key` …: short and made of the letters the frames are made of, the slow case
    # for str.find): what hiding keys costs a user; printed beside the figure, not in it.
    real_keys = Store.open(tmp / "real-keys.db")
    real_keys.new_session("bench")
    rng = random.Random(5)
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    shaped = {
        provider: prefix + "".join(rng.choice(chars) for _ in range(n))
        for provider, prefix, n in (
            ("lo-openai", "sk-proj-", 156),
            ("lo-anthropic", "sk-ant-api03-", 95),
            ("lo-gemini", "AIza", 35),
        )
    }
    real_keys.secrets = sorted(shaped.values(), key=len, reverse=True)
    real_keys.sent_keys = {n: [shaped[n]] if n in shaped else [] for n in settings.providers}
    models = ["lo-openai:a", "lo-anthropic:b", "lo-gemini:c", "lo-ollama:d"]
    counter = iter(range(10**6))

    class NullRecorder:
        """Records nothing but takes every event: what dispatching each one to a recorder
        costs."""

        def start_run(self, plan: object, cells: list, messages: list) -> tuple:
            return None, None, list(range(1, len(cells) + 1))

        def on_event(self, event: object, cache_key: str | None = None) -> None:
            return None

        def stream_to(self, response_id: object) -> None:
            return None

        async def settled(self) -> None:
            return None

    writer_cpu: list[float] = []  # the store's writer thread, seconds a recorded run

    def writer_ns() -> int | None:
        """CPU time of the store's writer thread so far (Linux's schedstat: ns on a CPU), not
        exposed to what the rest of a shared machine does to the whole-process figure."""
        recording = store._recording
        thread = recording.writer._thread if recording is not None else None
        if thread is None or thread.native_id is None:
            return None
        try:
            with open(f"/proc/self/task/{thread.native_id}/schedstat") as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    class Run(NamedTuple):
        cpu: float  # the whole process (every thread), seconds
        loop: float  # the event loop's thread alone
        writer: float  # the store's writer thread (0 without the store)
        wall: float
        chars: int

    async def one(recorder: object) -> Run:
        plan = RunPlan(
            PromptTemplate.from_parts("", f"Tell me a story, take {next(counter)}"),
            models=models,
            temperatures=[0.0, 0.8],
            repeats=3,
        )
        runner = Runner(settings, recorder=recorder)
        gc.collect()  # the previous round's garbage is not this round's cost
        thread_ns = writer_ns() if recorder is store else None
        cpu, loop, wall = time.process_time(), time.thread_time(), time.perf_counter()
        handle = runner.start(plan)

        async def drain() -> None:
            async for _ in handle.events():
                pass

        await asyncio.wait_for(drain(), 60)
        cpu, loop = time.process_time() - cpu, time.thread_time() - loop
        wall = time.perf_counter() - wall
        thread = 0.0
        if thread_ns is not None and (after := writer_ns()) is not None:
            thread = (after - thread_ns) / 1e9
            writer_cpu.append(thread)
        await runner.aclose()
        assert all(r.status == "ok" for r in handle.results), [r.error for r in handle.results]
        return Run(cpu, loop, thread, wall, sum(len(r.output) for r in handle.results))

    def instrument(target: Store) -> list[float]:
        """Sum the CPU of the store's own calls (outermost only; timer flushes included)."""
        spent = [0.0]
        depth = [0]

        def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                depth[0] += 1
                t = time.process_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    depth[0] -= 1
                    if not depth[0]:
                        spent[0] += time.process_time() - t

            return call

        for name in ("start_run", "lookup_cache_many", "on_event", "settled"):
            if hasattr(target, name):
                setattr(target, name, timed(getattr(target, name)))
        return spent

    async def main() -> None:
        null = NullRecorder()
        # warm-up: imports, first connections, token tables
        for recorder in (None, store, null, real_keys):
            await one(recorder)
        with_store: list[Run] = []
        without: list[Run] = []
        with_null: list[Run] = []
        with_real: list[Run] = []
        for i in range(rounds):
            # with and without back to back, in turn first (ABAB…: neither always runs first);
            # the pair shares the moment's load. The two comparisons beside the figure (the
            # null recorder, real key shapes) run in the first EXTRA_ROUNDS rounds only, before
            # or after the pair, in turn
            order: list[tuple[object, list[Run]]] = [(None, without), (store, with_store)]
            if i % 2:
                order.reverse()
            if i < EXTRA_ROUNDS:
                extras = [(null, with_null), (real_keys, with_real)]
                order = [extras[i % 2], *order, extras[1 - i % 2]]
            for recorder, results in order:
                results.append(await one(recorder))
        # less exposed to a shared machine: the CPU spent inside the store's own calls
        timed = Store.open(tmp / "timed.db")
        timed.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
        timed.new_session("bench")
        spent = instrument(timed)
        await one(timed)  # warm-up
        totals = []
        for _ in range(min(rounds, 9)):
            spent[0] = 0.0
            await one(timed)
            totals.append(spent[0])
        timed.close()
        pairs = list(zip(with_store, without, strict=True))
        data.update(
            chars=without[0].chars,
            without=[w.cpu for w in without],
            with_store=[s.cpu for s in with_store],
            ratios=[s.cpu / w.cpu for s, w in pairs],
            wall=[(w.wall, s.wall) for s, w in pairs],
            loop=[s.loop - w.loop for s, w in pairs],
            rest=[(s.cpu - s.loop - s.writer) - (w.cpu - w.loop) for s, w in pairs],
            writer=writer_cpu,
            null=[r.cpu / w.cpu for r, w in zip(with_null, without, strict=False)],
            real=[r.cpu / w.cpu for r, w in zip(with_real, without, strict=False)],
            own=[statistics.median(totals)],
        )

    data: dict[str, Any] = {}
    try:
        asyncio.run(main())
    finally:
        store.close()
        real_keys.close()
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)  # three databases of the rounds' runs
    if out is not None:  # a child of stream_in_processes: its rounds, for the parent to pool
        out.write_text(json.dumps(data))
    else:
        summarize([data], rounds, chunks)


def stream_in_processes(processes: int, rounds: int, chunks: int) -> None:
    """Part 3 in ``processes`` fresh interpreters of ``rounds`` rounds each, one after another,
    their pairs pooled: a process's own median moved by 2–5 points from one process to the next
    on the same code (two identical stores alternating in one process differed as much), a
    spread the pairs within one process cannot cancel."""
    runs = []
    for i in range(processes):
        out = Path(tempfile.mkdtemp(prefix="bench-store-")) / "part3.json"
        args = [sys.executable, __file__, "--only", "3", "--rounds", str(rounds)]
        args += ["--chunks", str(chunks), "--child-out", str(out)]
        subprocess.run(args, check=True)
        runs.append(json.loads(out.read_text()))
        shutil.rmtree(out.parent, ignore_errors=True)
        print(f"   process {i + 1}: {100 * (statistics.median(runs[-1]['ratios']) - 1):+.1f}%")
    summarize(runs, rounds, chunks)


def summarize(runs: list[dict[str, Any]], rounds: int, chunks: int) -> None:
    """Print part 3 and its figure from one or more processes' rounds, pooled."""
    med = statistics.median

    def pooled(key: str) -> list[Any]:
        return [value for run in runs for value in run[key]]

    # the figure: the median of each round's own ratio (CPU of the whole process, every
    # thread), each pair measured back to back, so a change of load between rounds cancels
    ratios = sorted(pooled("ratios"))
    ratio = med(ratios)
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratio] * 3
    a, b = med(pooled("without")), med(pooled("with_store"))
    walls = pooled("wall")
    wa, wb = med(w for w, _ in walls), med(s for _, s in walls)
    n = med(pooled("null")) * a
    where = f"{len(runs)} processes × {rounds} rounds" if len(runs) > 1 else f"{rounds} rounds"
    print(f"\n3. streaming 24 cells × {chunks} chunks ({runs[0]['chars']:,} chars), {where}")
    print(f"   without store     CPU {a * 1000:7.1f} ms   wall {wa * 1000:7.1f} ms  (medians)")
    print(f"   with store        CPU {b * 1000:7.1f} ms   wall {wb * 1000:7.1f} ms")
    print(f"   null recorder     CPU {n * 1000:7.1f} ms   (the runner's dispatch alone)")
    print(
        f"   recording costs {100 * (ratio - 1):+.1f}% CPU (target < 5%): the median of the"
        f" rounds' own with ÷ without; quartiles {100 * (q1 - 1):+.1f}%, {100 * (q3 - 1):+.1f}%"
    )
    report(
        f"store: recording 24 cells × {chunks} chunks, CPU ÷ without",
        "< 1.05×",
        f"{100 * (ratio - 1):+.1f}%",
        ratio < 1.05,
        ratio,
    )
    if len(runs) > 1:
        each = ", ".join(f"{100 * (med(run['ratios']) - 1):+.1f}%" for run in runs)
        print(f"   each process's own median: {each}")
    print(f"   ratio of the medians: {100 * (b - a) / a:+.1f}%")
    real = med(pooled("real"))
    print(f"   with the store and real key shapes (3 keys): {100 * (real - 1):+.1f}%, as above")
    # where the difference is: the loop's thread, the writer's thread, the rest (executor)
    print(
        f"   with − without, medians of the rounds' pairs: the event loop's thread"
        f" {med(pooled('loop')) * 1000:+.1f} ms, the writer thread"
        f" {med(pooled('writer')) * 1000:.1f} ms, other threads {med(pooled('rest')) * 1000:+.1f} ms"
    )
    own = med(pooled("own"))
    print(
        f"   inside the store's calls: {own * 1000:.1f} ms a run, {100 * own / a:.1f}% of"
        " the run without it"
    )
    lo_a, lo_b = min(pooled("without")), min(pooled("with_store"))
    print(
        f"   fastest rounds: {lo_a * 1000:.1f} vs {lo_b * 1000:.1f} ms: {100 * (lo_b - lo_a) / lo_a:+.1f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--only", default="1,2,3")
    parser.add_argument("--processes", type=int, default=PROCESSES, help="part 3's, pooled")
    parser.add_argument("--quick", action="store_true", help="20k responses; part 3: 15 rounds")
    parser.add_argument("--profile", action="store_true", help="part 3 under cProfile instead")
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)  # one pooled process
    args = parser.parse_args()
    if args.quick:
        args.responses, args.rounds, args.processes = 20_000, 15, 1
    only = set(args.only.split(","))
    db = Path(tempfile.gettempdir()) / f"playground-bench-store-{args.responses}.db"
    if only & {"1", "2"}:
        build(db, args.responses)
    if "1" in only:
        bench_search(db)
    if "2" in only:
        bench_cli(db, 5 if args.quick else 21)
    if "3" in only and args.profile:
        profile_stream(args.rounds, args.chunks)
    elif "3" in only and args.processes > 1 and args.child_out is None:
        stream_in_processes(args.processes, args.rounds, args.chunks)
    elif "3" in only:
        bench_stream(args.rounds, args.chunks, args.child_out)


if __name__ == "__main__":
    main()
