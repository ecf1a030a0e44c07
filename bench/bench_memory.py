"""Benchmark: peak memory of a real `playground run` of 24 cells with 4k-token answers.

The loopback server (tests/loopback) runs in its own process; `playground run --json`
runs as a child process against it (6 models over the four wire protocols × 4 temperatures),
each cell streaming an answer of about 4,000 tokens in 400 chunks. The figure is the child's
peak resident set size (``ru_maxrss`` from ``os.wait4``), which counts the interpreter, the
imports, the runner, the store and the JSON printed at the end. Target: < 150 MB.

    python bench/bench_memory.py [--rounds 3] [--words 4000] [--chunks 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_runner import MODELS  # noqa: E402  (the same matrix as the runner's benchmark)
from bench_runner import TEMPERATURES as BENCH_TEMPERATURES  # noqa: E402
from figures import report  # noqa: E402
from loopback import KEY_ENV, KINDS  # noqa: E402

TEMPERATURES = [str(t) for t in BENCH_TEMPERATURES]
TARGET_MB = 150.0
# plain words of about one token each, so N words make an answer of about N tokens
ANSWER_WORDS = ("the model answers with plain words so that one word is about one token "
                "and the whole answer is near the size asked for")


def start_server(words: int, chunks: int) -> tuple[subprocess.Popen[str], int]:
    """tests/loopback in its own process, answering every request with the same long text."""
    vocabulary = ANSWER_WORDS.split()
    text = " ".join(vocabulary[i % len(vocabulary)] for i in range(words))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "loopback"), "--chunks", str(chunks),
         "--duration", "1", "--text", text],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(line.split()[1])


def write_config(folder: Path, port: int) -> Path:
    lines: list[str] = []
    for name, kind in KINDS.items():
        suffix = "/v1" if kind == "openai" else ""
        lines += [f"[providers.{name}]", f'kind = "{kind}"',
                  f'base_url = "http://127.0.0.1:{port}{suffix}"']
        if name in KEY_ENV:
            lines.append(f'api_key_env = "{KEY_ENV[name]}"')
        lines += ["max_concurrency = 8", ""]
    lines += ["[defaults]", "concurrency = 24", ""]
    path = folder / "playground.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def one_run(folder: Path, config: Path, round_no: int) -> tuple[float, int]:
    """Peak RSS in MB of one `playground run`, and how many cells came back ok."""
    env = dict(os.environ)
    env.update({var: f"test-{name[3:]}-key" for name, var in KEY_ENV.items()})
    args = [sys.executable, "-m", "playground", "run", "-p", f"Write at length (round {round_no})",
            "--config", str(config), "--db", str(folder / "bench.db"), "--no-cache",
            "--max-tokens", "8000", "--json"]
    for model in MODELS:
        args += ["-m", model]
    for t in TEMPERATURES:
        args += ["-t", t]
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err_file, env=env,
                                cwd=folder)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak, not the server's
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read()
    peak_kb = usage.ru_maxrss
    try:
        cells = json.loads(out)["cells"]
    except (ValueError, KeyError):
        sys.stderr.write(err.decode(errors="replace"))
        raise
    return peak_kb / 1024, sum(c["status"] == "ok" for c in cells)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--words", type=int, default=4000)
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    server, port = start_server(args.words, args.chunks)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = write_config(folder, port)
            peaks: list[float] = []
            for i in range(rounds):
                peak, ok = one_run(folder, config, i)
                print(f"round {i + 1}: peak RSS {peak:.1f} MB, {ok} of 24 cells ok")
                peaks.append(peak)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    worst = max(peaks)
    print(f"peak RSS of `playground run`, 24 cells × ~{args.words} tokens: "
          f"median {statistics.median(peaks):.1f} MB, worst {worst:.1f} MB (target < {TARGET_MB:.0f})")
    report("memory: 24-cell run, 4k-token answers (peak RSS)", f"< {TARGET_MB:.0f} MB",
           f"{worst:.0f} MB", worst < TARGET_MB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
