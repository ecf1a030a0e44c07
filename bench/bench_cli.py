"""`playground run -p hi -m echo --json`: the whole process, against the bare imports it needs.

    python bench/bench_cli.py [--rounds 15] [--quick]

Like hyperfine: bytecode compiled and one warm-up of each first, then the two commands
alternate (so load on the machine hits both alike) and the medians are compared. The floor is
`python -c "import httpx, sqlite3, json"` (an HTTP client, a database, JSON: what any such tool
loads). Two cases of our command: as typed, repeated (the second run on is answered from the
store's cache), and with --no-cache (the echo model streams, its simulated delay counted as it
is). Target: ≤ 1.5× the floor's wall time, for the command as typed. CPU time (user + system)
is printed beside it: on a loaded machine it is the steadier of the two.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import report  # noqa: E402

FLOOR = [sys.executable, "-c", "import httpx, sqlite3, json"]
RUN = [sys.executable, "-m", "playground", "run", "-p", "hi", "-m", "echo", "--json"]
TARGET = 1.5


def timed(cmd: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one whole process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    args = parser.parse_args()
    rounds = 5 if args.quick else args.rounds
    compileall.compile_dir(str(HERE.parent / "playground"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(  # the tree this script sits in, whatever is installed
            os.environ, PLAYGROUND_DB=str(Path(tmp) / "bench.db"), PYTHONPATH=str(HERE.parent)
        )
        env.pop("PLAYGROUND_CONFIG", None)
        cases = {"floor": FLOOR, "run": RUN, "run --no-cache": [*RUN, "--no-cache"]}
        walls: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for cmd in cases.values():  # warm-up: disk cache, bytecode, the database created
            timed(cmd, tmp, env)
        for _ in range(rounds):
            for name, cmd in cases.items():
                w, c = timed(cmd, tmp, env)
                walls[name].append(w)
                cpus[name].append(c)
    med = {name: statistics.median(v) for name, v in walls.items()}
    cpu = {name: statistics.median(v) for name, v in cpus.items()}
    print(f"median of {rounds}, alternating; load {os.getloadavg()[0]:.1f}")
    print(f"{'case':<36} {'wall':>8} {'ratio':>6} {'CPU':>8} {'ratio':>6}")
    for name in cases:
        label = "import httpx, sqlite3, json" if name == "floor" else f"playground {name}"
        print(
            f"{label:<36} {med[name] * 1000:5.0f} ms {med[name] / med['floor']:5.2f}× "
            f"{cpu[name] * 1000:5.0f} ms {cpu[name] / cpu['floor']:5.2f}×"
        )
    ratio = med["run"] / med["floor"]
    report(
        "run -m echo --json, whole process ÷ bare imports (wall)",
        f"≤ {TARGET}×",
        f"{med['run'] * 1000:.0f} ms vs {med['floor'] * 1000:.0f} ms",
        ratio <= TARGET,
        ratio,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
