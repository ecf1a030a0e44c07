"""One line per measured figure, for `bench/run` to gather into its table.

Each benchmark prints its own human-readable report and, for every figure that has a target,
one machine-readable line through `report()`: ``FIGURE<TAB>name<TAB>target<TAB>measured<TAB>
ratio<TAB>met``. A figure that depends on the machine is a ratio to a floor measured in the
same run; ``ratio`` is then that ratio (else empty).
"""

from __future__ import annotations

PREFIX = "FIGURE\t"


def report(name: str, target: str, measured: str, met: bool, ratio: float | None = None) -> None:
    """Print the figure's line (flushed, so a parent process sees it as it happens)."""
    shown = "" if ratio is None else f"{ratio:.2f}×"
    print(f"{PREFIX}{name}\t{target}\t{measured}\t{shown}\t{'yes' if met else 'NO'}", flush=True)


def parse(line: str) -> tuple[str, str, str, str, str] | None:
    """The five fields of a FIGURE line, or None for any other line."""
    if not line.startswith(PREFIX):
        return None
    parts = line.rstrip("\n").split("\t")[1:]
    if len(parts) != 5:
        return None
    return parts[0], parts[1], parts[2], parts[3], parts[4]
