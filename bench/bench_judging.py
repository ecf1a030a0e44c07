"""Judging in the TUI: key echo while 24 cells are graded, in a real pseudo-terminal.

A prompt file with a tests file of 40 cases runs on 4 models × 2 temperatures × 3 repeats
(24 cells per case) against a loopback server in its own process (each answer 20 chunks over
0.2 s, concurrency 8). While the cases are graded (badges, shown cases and the summary
refreshing), a key is sent to the editor every 100 ms; its echo is the time from the key
event to the first frame written holding it (bench_tui's measure). The floor is a Textual app
with only a TextArea typed the same way in the same run; the figure is the ratio.

    python bench/bench_judging.py [--seconds 4] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import child_bare, cpu, measure_echo, p95, probe, run_app, side_by_side

CASES = 40
MODELS = ["lo-openai:m1", "lo-anthropic:m2", "lo-gemini:m3", "lo-ollama:m4"]
PROMPT = """---
model: lo-openai:m1
input:
  schema:
    n: string
---
Write a short note number {{n}} about otters.
"""


def tests_yaml() -> str:
    lines = [
        "defaults:",
        "  assert:",
        "    - {type: icontains, value: loopback}",
        "    - {type: max-length, value: 2000}",
        "    - {type: not-regex, value: '(?i)as an ai'}",
        "    - {type: similar, value: 'Hello from the loopback server, streaming.', threshold: 0.5}",
        "cases:",
    ]
    lines += [f"  - vars: {{n: '{i}'}}" for i in range(1, CASES + 1)]
    return "\n".join(lines) + "\n"


def child_judging(out: Path, seconds: float) -> None:
    import asyncio

    from playground.config import load_settings
    from playground.tui.app import make_app

    probe()
    app = make_app(load_settings(), prompt_file=Path("prompts/bench.prompt"))
    report: dict[str, object] = {}

    async def drive(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = app.screen
        await pilot.pause(0.3)
        screen.picker.set_selected(MODELS)
        screen.query_one("#temperatures").value = "0, 1"
        screen.form.params.set_values({"repeats": "3"})
        screen.editor.user_area.focus()
        await pilot.pause(0.3)
        await pilot.press("ctrl+r")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            board = screen.evals.board
            if board is not None and board.cases_done >= 1:
                break
            await asyncio.sleep(0.02)
        board = screen.evals.board
        before = board.cases_done if board is not None else 0
        t_wall, t_cpu = time.perf_counter(), cpu()
        latencies, _ = await measure_echo(app, screen.editor.user_area, seconds)
        wall, used = time.perf_counter() - t_wall, cpu() - t_cpu
        board = screen.evals.board
        report.update(
            cells=len(screen.evals.widgets),
            keys=len(latencies),
            echo_ms_median=statistics.median(latencies),
            echo_ms_p95=p95(latencies),
            echo_ms_max=max(latencies),
            cases_graded_while_typing=(board.cases_done if board else 0) - before,
            still_grading=bool(board is not None and not board.finished),
            cpu_percent=100 * used / wall,
        )
        screen.evals.cancel()
        await pilot.pause(0.3)
        app.exit()

    run_app(app, drive)
    out.write_text(json.dumps(report))


def judging(seconds: float) -> dict[str, object]:
    return side_by_side(
        __file__,
        "--child-judging",
        seconds,
        chunks=20,
        duration=0.2,
        files={"prompts/bench.prompt": PROMPT, "prompts/bench.tests.yaml": tests_yaml()},
        timeout=90,
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-bare":
        child_bare(Path(sys.argv[2]), float(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-judging":
        child_judging(Path(sys.argv[2]), float(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="type for 2 s")
    args = parser.parse_args()
    s = judging(2.0 if args.quick else args.seconds)
    b = s["bare"]
    print(
        f"{s['cells']} cells graded ({CASES} cases, 4 deterministic assertions each), "
        "a key every 100 ms in the editor:"
    )
    print(
        f"  key echo: median {s['echo_ms_median']:.1f} ms, p95 {s['echo_ms_p95']:.1f} ms, "
        f"max {s['echo_ms_max']:.1f} ms over {s['keys']} keys"
    )
    print(
        f"  the floor, a bare TextArea app typed the same way: median "
        f"{b['echo_ms_median']:.1f} ms, p95 {b['echo_ms_p95']:.1f} ms; ratio of medians "
        f"{s['echo_ms_median'] / b['echo_ms_median']:.2f}x"
    )
    print(
        f"  {s['cases_graded_while_typing']} cases graded while typing "
        f"(still grading at the end: {s['still_grading']}); CPU {s['cpu_percent']:.0f}% of one "
        "core"
    )
    from figures import report

    ratio = s["echo_ms_p95"] / b["echo_ms_p95"]
    report(
        "judging: key echo p95 while 24 cells are graded / bare TextArea p95",
        "≤ 3×",
        f"{s['echo_ms_p95']:.1f} / {b['echo_ms_p95']:.1f} ms",
        ratio <= 3.0,
        ratio,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
