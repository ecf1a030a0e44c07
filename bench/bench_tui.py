"""TUI benchmarks, run in a real pseudo-terminal (not headless), side by side in one run.

1. Start to first frame: ``playground`` as its command starts it (``cli.main``, no arguments)
   against a minimal Textual app (Header, Static, Footer) started the same way: a fresh
   ``python`` in a 160×48 pty, timed from spawn to the first frame the app writes to the
   terminal. Median of N runs, alternating. The children import only what they need.
2. Streaming: 8 cells (4 providers × 2 temperatures) streaming 50 chunks/s each from a loopback
   server in its own process. While they stream, a key is sent to the editor every 100 ms; its
   echo latency is the time from the key event to the first frame written after the editor
   holds the new character. CPU is this process's user+system time over the window.

    python bench/bench_tui.py [--runs 7] [--seconds 4] [--quick]

``--quick`` (bench/run --quick): 3 runs, 2 s of typing. FIGURE lines (bench/figures.py): first
frame ÷ the minimal app (≤ 1.2×), key echo p95 ÷ the bare TextArea's p95 (≤ 3×), CPU.
"""

from __future__ import annotations

# only what the children need: a start-up child runs this file, and what it imports before
# the app is built is counted in its first frame (the parent's modules load in its functions)
import os
import resource
import sys
import time
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[1]
COLS, ROWS = 160, 48


# -- the child side: runs inside the pty --------------------------------------------------------
def _hook_first_frame(app, out: Path, exit_after: bool) -> list[float]:
    """Wrap App._display to time-stamp every frame written to the terminal."""
    frames: list[float] = []
    original = app._display

    def display(screen, renderable):  # type: ignore[no-untyped-def]
        written = renderable is not None and not app._batch_count  # Textual skips in a batch
        original(screen, renderable)
        if not written:
            return
        frames.append(time.perf_counter())
        if len(frames) == 1:
            wall, used = time.time(), resource.getrusage(resource.RUSAGE_SELF)  # since start
            import json  # after the figures: a Textual app's first frame does without json

            out.write_text(
                json.dumps(
                    {"first_frame_wall": wall, "first_frame_cpu": used.ru_utime + used.ru_stime}
                )
            )
            if os.environ.get("BENCH_EXIT_AT_FIRST_FRAME"):  # --instructions: stop counting
                os._exit(0)
            if exit_after:
                app.exit()

    app._display = display
    return frames


def _same_widgets_app():  # type: ignore[no-untyped-def]
    """For comparison, not a target: what the main screen's first frame shows (two text
    areas, the temperatures input, labels, six footer keys; the model list and the parameter
    fields mount just after it) in a plain Textual app, with none of playground's code: what
    Textual itself needs for such a first frame."""
    from textual.app import App
    from textual.containers import Horizontal, Vertical
    from textual.widgets import Footer, Header, Input, Label, Static, TextArea

    class SameWidgets(App[None]):
        BINDINGS: ClassVar = [
            ("ctrl+r", "bell", "Run"),
            ("escape", "bell", "Cancel"),
            ("ctrl+o", "bell", "History"),
            ("ctrl+g", "bell", "Grid"),
            ("ctrl+n", "bell", "Cache"),
            ("f3", "bell", "Results"),
        ]

        def compose(self):  # type: ignore[no-untyped-def]
            yield Header()
            with Horizontal(id="top"):
                with Vertical():
                    yield Label("System")
                    yield TextArea()
                    yield Label("User")
                    yield TextArea()
                with Vertical(id="side"):
                    yield Label("Models")
                    yield Label("Temperatures")
                    yield Input("0.7")
            yield Static("estimate")
            yield Static("results")
            yield Footer()

    return SameWidgets()


def child_startup(kind: str, out: Path) -> None:
    if kind == "minimal":
        from textual.app import App
        from textual.widgets import Footer, Header, Static

        class Minimal(App[None]):
            def compose(self):  # type: ignore[no-untyped-def]
                yield Header()
                yield Static("Hello")
                yield Footer()

        app = Minimal()
    elif kind == "widgets":
        app = _same_widgets_app()
    else:
        # as the `playground` command starts it (cli.main: its arguments, the settings,
        # open_tui), so what the command does before and around building the app counts
        _on_make_app(lambda app: _hook_first_frame(app, out, exit_after=True))
        from playground.cli import main as cli_main

        cli_main([])
        return
    _hook_first_frame(app, out, exit_after=True)
    app.run()


def _on_make_app(hook) -> None:  # type: ignore[no-untyped-def]
    """Call ``hook(app)`` on the app ``playground.tui.app.make_app`` returns, without
    importing that module (and Textual) before the command itself does: a finder that wraps
    ``make_app`` when the module loads."""
    import importlib.abc
    import importlib.util

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            if name != "playground.tui.app":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.loader is not None
            exec_module = spec.loader.exec_module

            def exec_and_wrap(module):  # type: ignore[no-untyped-def]
                exec_module(module)
                make_app = module.make_app

                def hooked(*args, **kwargs):  # type: ignore[no-untyped-def]
                    app = make_app(*args, **kwargs)
                    hook(app)
                    return app

                module.make_app = hooked

            spec.loader.exec_module = exec_and_wrap  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Finder())


PER_LINE = 20  # typed Qs on one line before it is cleared (fits the narrowest editor)


async def measure_echo(app, area, seconds: float) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Type "Q" every 100 ms; the echo is the first write to the terminal holding all the Qs.

    (The prompt and the streamed text hold no Q, and the editor repaints its whole line, so
    n Qs in a row in the output means the n-th key is on screen.) The Qs go on a line of their
    own, cleared every ``PER_LINE`` keys (outside the timing), so they never wrap: an editor
    narrower than the run's Qs (the form beside the results) would split the needle.
    """
    import asyncio

    from textual import events

    writes: list[tuple[float, str]] = []
    driver = app._driver
    original = driver.write

    def write(data: str) -> None:
        writes.append((time.perf_counter(), data))
        original(data)

    driver.write = write
    latencies: list[float] = []
    processing: list[float] = []

    async def fresh_line() -> None:
        area.load_text(area.text.replace("Q", "").rstrip("\n") + "\n")
        area.move_cursor(area.document.end)
        await asyncio.sleep(0.15)  # the cleared line drawn before the next key

    typed = 0
    await fresh_line()
    end = time.perf_counter() + seconds
    try:
        while time.perf_counter() < end:
            if typed == PER_LINE:
                typed = 0
                await fresh_line()
            typed += 1
            needle = "Q" * typed
            writes.clear()
            t0 = time.perf_counter()
            app.post_message(events.Key("Q", "Q"))
            while area.text.count("Q") < typed:
                await asyncio.sleep(0.0005)
            processing.append((time.perf_counter() - t0) * 1000)
            seen = None
            while seen is None:
                seen = next((t for t, data in writes if needle in data), None)
                if seen is None:
                    await asyncio.sleep(0.0005)
            latencies.append((seen - t0) * 1000)
            await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - t0)))
    finally:
        driver.write = original
    return latencies, processing


def child_bare(out: Path, seconds: float) -> None:
    """The floor: a Textual app with only a TextArea, typed into the same way."""
    import json
    import statistics

    from textual.app import App
    from textual.widgets import TextArea

    class Bare(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield TextArea()

    app = Bare()
    _hook_first_frame(app, Path(str(out) + ".first"), exit_after=False)
    report: dict[str, object] = {}

    async def drive(pilot) -> None:  # type: ignore[no-untyped-def]
        area = app.query_one(TextArea)
        area.focus()
        await pilot.pause(0.3)
        latencies, _ = await measure_echo(app, area, seconds)
        report["echo_ms_median"] = statistics.median(latencies)
        report["echo_ms_p95"] = p95(latencies)
        app.exit()

    app.run(auto_pilot=drive)
    out.write_text(json.dumps(report))


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def cpu() -> float:
    """This process's CPU seconds (user + system)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def probe() -> None:
    """BENCH_PROBE=FILE: run a file of timing hooks in the child before the app is built."""
    if os.environ.get("BENCH_PROBE"):
        exec(Path(os.environ["BENCH_PROBE"]).read_text(), {"__name__": "probe"})


def run_app(app, drive) -> None:  # type: ignore[no-untyped-def]
    """Run the app with its pilot; BENCH_PROFILE=FILE: under cProfile, the stats there."""
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.runcall(app.run, auto_pilot=drive)
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    else:
        app.run(auto_pilot=drive)


def child_stream(out: Path, seconds: float) -> None:
    import asyncio
    import itertools
    import json
    import statistics

    from playground.config import load_settings
    from playground.tui.app import make_app

    probe()
    app = make_app(load_settings())
    frames = _hook_first_frame(app, Path(str(out) + ".first"), exit_after=False)
    report: dict[str, object] = {}

    async def type_keys(seconds: float) -> tuple[list[float], list[float]]:
        return await measure_echo(app, app.screen.editor.user_area, seconds)

    async def drive(pilot) -> None:  # type: ignore[no-untyped-def]
        from playground.tui.widgets.cell import ResultCell

        screen = app.screen
        await pilot.pause(0.3)
        screen.picker.set_selected(
            ["lo-openai:m1", "lo-anthropic:m2", "lo-gemini:m3", "lo-ollama:m4"]
        )
        screen.query_one("#temperatures").value = "0, 1"
        screen.editor.user_area.load_text("Write a long story about otters.")
        screen.editor.user_area.focus()
        await pilot.pause(0.3)
        idle = await type_keys(1.5)
        report["idle_echo_ms_median"] = statistics.median(idle[0])
        report["idle_echo_ms_p95"] = p95(idle[0])
        await pilot.press("ctrl+r")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cells = list(screen.query(ResultCell))
            if len(cells) == 8 and all(c.result and c.result.output for c in cells):
                break
            await asyncio.sleep(0.05)
        t_wall, t_cpu = time.perf_counter(), cpu()
        latencies, processing = await type_keys(seconds)
        wall, used = time.perf_counter() - t_wall, cpu() - t_cpu
        streaming = [
            c for c in screen.query(ResultCell) if c.result and c.result.status == "running"
        ]
        gaps = [b - a for a, b in itertools.pairwise(frames) if a > t_wall]
        report["frame_gap_ms"] = {
            "median": statistics.median(gaps) * 1000 if gaps else None,
            "max": max(gaps) * 1000 if gaps else None,
            "frames": len(gaps),
        }
        report["processing_p95"] = p95(processing)
        report.update(
            keys=len(latencies),
            echo_ms_median=statistics.median(latencies),
            echo_ms_p95=p95(latencies),
            echo_ms_max=max(latencies),
            key_processing_ms_median=statistics.median(processing),
            cpu_percent=100 * used / wall,
            cells_still_streaming_at_end=len(streaming),
            chars=sum(len(c.result.output) for c in screen.query(ResultCell) if c.result),
        )
        await pilot.press("escape")
        await pilot.pause(0.2)
        app.exit()

    run_app(app, drive)
    out.write_text(json.dumps(report))


# -- the parent side --------------------------------------------------------------------------------
def run_in_pty(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> None:
    """Run a command with a COLS×ROWS pty as its terminal, draining what it writes."""
    import fcntl
    import struct
    import subprocess
    import termios
    import threading

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def base_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"):
        env.pop(var, None)
    env.update(
        TERM="xterm-256color",
        COLUMNS=str(COLS),
        LINES=str(ROWS),
        PLAYGROUND_DB=str(workdir / "bench.db"),
        OLLAMA_HOST="http://127.0.0.1:9",
        PYTHONPATH=str(ROOT),
        # the user's own config and state (last selection, theme) are neither read nor
        # written: a child started outside a workspace keeps them under the run's folder
        XDG_CONFIG_HOME=str(workdir / "xdg-config"),
        XDG_STATE_HOME=str(workdir / "xdg-state"),
        XDG_DATA_HOME=str(workdir / "xdg-data"),
    )
    return env


def startup(runs: int) -> dict[str, tuple[float, float]]:
    """kind -> (median wall seconds to the first frame, median CPU seconds by then)."""
    import compileall
    import json
    import statistics
    import tempfile

    # Bytecode as an installed wheel has it (pip compiles on install; Textual's is compiled):
    # with PYTHONDONTWRITEBYTECODE set, an editable checkout recompiles ~30 modules per start.
    compileall.compile_dir(ROOT / "playground", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = base_env(workdir)
        kinds = ("minimal", "widgets", "playground")
        walls: dict[str, list[float]] = {k: [] for k in kinds}
        cpus: dict[str, list[float]] = {k: [] for k in kinds}
        for round_ in range(runs + 1):  # the first round warms the disk cache: not counted
            for kind in kinds:
                out = workdir / f"{kind}.json"
                out.unlink(missing_ok=True)
                t0 = time.time()
                run_in_pty(
                    [sys.executable, __file__, "--child-startup", kind, str(out)], env, workdir
                )
                if round_:
                    done = json.loads(out.read_text())
                    walls[kind].append(done["first_frame_wall"] - t0)
                    cpus[kind].append(done["first_frame_cpu"])
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in kinds}


def instructions() -> dict[str, float]:
    """kind -> instructions (millions) from spawn to the first frame, counted by valgrind
    (cachegrind, no cache simulation): slow (~15 s a child) but the same from run to run
    whatever the machine's load, where timings on this shared machine move by ±10%."""
    import compileall
    import re
    import tempfile

    compileall.compile_dir(ROOT / "playground", quiet=1)
    counts: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = base_env(workdir) | {"BENCH_EXIT_AT_FIRST_FRAME": "1"}
        for kind in ("minimal", "widgets", "playground"):
            counted = workdir / f"{kind}.cachegrind"
            args = ["valgrind", "--tool=cachegrind", "--cache-sim=no"]
            args += [f"--cachegrind-out-file={counted}", sys.executable, __file__]
            args += ["--child-startup", kind, str(workdir / f"{kind}.json")]
            run_in_pty(args, env, workdir, timeout=600)
            summary = re.search(r"^summary:\s+(\d+)", counted.read_text(), re.MULTILINE)
            assert summary is not None, f"no count for {kind}"
            counts[kind] = int(summary.group(1)) / 1e6
    return counts


def side_by_side(
    script: str,
    child: str,
    seconds: float,
    *,
    chunks: int,
    duration: float,
    files: dict[str, str] | None = None,
    timeout: float = 60,
) -> dict[str, object]:
    """The floor and the app typed the same way in one run: a loopback server in its own
    process (``chunks`` per answer over ``duration`` s), the workspace's playground.toml (and
    ``files``), then ``script --child-bare`` and ``script CHILD`` each in its own pty. Returns
    the child's report with the floor's under "bare"."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "loopback"),
                "--chunks",
                str(chunks),
                "--duration",
                str(duration),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(server.stdout.readline().split()[1])  # type: ignore[union-attr]
            sys.path.insert(0, str(ROOT / "tests"))
            from loopback import LoopbackServer

            srv = LoopbackServer("127.0.0.1", port)  # not started: only its config helpers
            (workdir / "playground.toml").write_text(
                srv.config_toml(max_concurrency=8), encoding="utf-8"
            )
            for name, text in (files or {}).items():
                (workdir / name).parent.mkdir(parents=True, exist_ok=True)
                (workdir / name).write_text(text, encoding="utf-8")
            env = base_env(workdir) | LoopbackServer.env()
            reports = {}
            for flag in ("--child-bare", child):
                out = reports[flag] = workdir / f"{flag.strip('-')}.json"
                run_in_pty(
                    [sys.executable, script, flag, str(out), str(seconds)],
                    env,
                    workdir,
                    timeout=seconds + timeout,
                )
            report = json.loads(reports[child].read_text())
            return report | {"bare": json.loads(reports["--child-bare"].read_text())}
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=10)


def streaming(seconds: float) -> dict[str, object]:
    return side_by_side(__file__, "--child-stream", seconds, chunks=1000, duration=20)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-startup":
        child_startup(sys.argv[2], Path(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-bare":
        child_bare(Path(sys.argv[2]), float(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-stream":
        child_stream(Path(sys.argv[2]), float(sys.argv[3]))
        return 0
    import argparse  # here, not at the top: the children do without it

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--only", choices=("startup", "streaming"), default=None)
    parser.add_argument("--quick", action="store_true", help="3 runs, 2 s (bench/run --quick)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="start-up as instructions to the first frame (valgrind), once each: no timing",
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds = 3, 2.0
    sys.path.insert(0, str(ROOT / "bench"))
    from figures import report

    if args.instructions:
        counts = instructions()
        print(f"instructions from spawn to the first frame ({COLS}x{ROWS} pty, valgrind):")
        for kind, count in counts.items():
            print(f"  {kind:<12} {count:8.1f} M  {count / counts['minimal']:.3f}x")
        return 0
    if args.only != "streaming":
        start = startup(args.runs)
        (wall0, cpu0), (wall, _) = start["minimal"], start["playground"]
        ratio = wall / wall0
        print(
            f"start to first frame ({COLS}x{ROWS} pty, median of {args.runs}, alternating; "
            f"load {os.getloadavg()[0]:.1f}):   wall, ratio   CPU, ratio"
        )
        labels = {
            "minimal": "minimal Textual app (Header, Static, Footer)",
            "widgets": "the same visible widgets, plain Textual",
            "playground": "playground (target <= 1.2x the minimal app)",
        }
        for kind, (w, c) in start.items():
            print(
                f"  {labels[kind]:<46} {w * 1000:5.0f} ms {w / wall0:5.2f}x"
                f"  {c * 1000:5.0f} ms {c / cpu0:5.2f}x"
            )
        report(
            "tui: first frame ÷ minimal Textual app",
            "≤ 1.2×",
            f"{wall * 1000:.0f} ms",
            ratio <= 1.2,
            ratio,
        )
    if args.only == "startup":
        return 0
    s = streaming(args.seconds)
    print("8 cells streaming 50 chunks/s each, a key every 100 ms in the editor:")
    print(
        f"  key echo: median {s['echo_ms_median']:.1f} ms, p95 {s['echo_ms_p95']:.1f} ms, "
        f"max {s['echo_ms_max']:.1f} ms over {s['keys']} keys (target < 50 ms)"
    )
    print(f"  key handled (text changed): median {s['key_processing_ms_median']:.1f} ms")
    print(
        f"  for comparison, before the run (nothing streaming): echo median "
        f"{s['idle_echo_ms_median']:.1f} ms, p95 {s['idle_echo_ms_p95']:.1f} ms"
    )
    b = s["bare"]
    print(
        f"  the floor, a Textual app with only a TextArea typed the same way: echo median "
        f"{b['echo_ms_median']:.1f} ms, p95 {b['echo_ms_p95']:.1f} ms"
    )
    print(f"  CPU: {s['cpu_percent']:.0f}% of one core (target < 60%)")
    if os.environ.get("BENCH_PROBE"):
        print(f"  frames: {s['frame_gap_ms']}; key handled p95 {s['processing_p95']:.1f} ms")
    print(f"  cells still streaming at the end: {s['cells_still_streaming_at_end']}/8")
    echo = s["echo_ms_p95"] / b["echo_ms_p95"]
    report(
        "tui: key echo p95 while 8 cells stream ÷ bare TextArea",
        "≤ 3×",
        f"{s['echo_ms_p95']:.1f} ms",
        echo <= 3,
        echo,
    )
    report(
        "tui: CPU while 8 cells stream",
        "< 60% of a core",
        f"{s['cpu_percent']:.0f}%",
        s["cpu_percent"] < 60,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
