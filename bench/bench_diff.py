"""How long the diff view's word and line diffs take on answers of typical and large sizes.

    python bench/bench_diff.py [--quick]

No figure here has a target (bench/README.md records the times), so it prints no FIGURE line;
``--quick`` (for ``bench/run --quick``) times each case once instead of 5 times.

Two answers that differ like two temperatures of one model do: same structure, about one word
in ten changed. Also the worst case for difflib (a tiny vocabulary, one long line).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from playground.core.diff import line_diff, stats, word_diff

VOCAB = [f"w{i}" for i in range(600)] + ["the"] * 60 + ["a"] * 40 + [","] * 40 + ["."] * 20


def answer(rng: random.Random, words: int) -> list[str]:
    return [rng.choice(VOCAB) for _ in range(words)]


def vary(rng: random.Random, words: list[str], rate: float = 0.1) -> list[str]:
    return [rng.choice(VOCAB) if rng.random() < rate else w for w in words]


def lines(words: list[str], per_line: int) -> str:
    return "\n".join(" ".join(words[i : i + per_line]) for i in range(0, len(words), per_line))


REPEAT = 5


def timed(fn: Callable[..., object], *args: str, repeat: int | None = None) -> float:
    runs = []
    for _ in range(min(repeat or REPEAT, REPEAT)):
        t0 = time.perf_counter()
        fn(*args)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each case once")
    if parser.parse_args().quick:
        REPEAT = 1
    rng = random.Random(7)
    print(f"{'case':44} {'word ms':>8} {'line ms':>8} {'changed words':>14}")
    for n in (200, 1000, 4000):
        left = answer(rng, n)
        right = vary(rng, left)
        a, b = lines(left, 18), lines(right, 18)
        spans = word_diff(a, b)
        st = stats(spans)
        print(
            f"{f'{n} words, 18 per line, 10% changed':44} {timed(word_diff, a, b):8.1f} "
            f"{timed(line_diff, a, b):8.1f} {st.inserted:>14}"
        )
    for n in (1000, 4000):
        left = answer(rng, n)
        a, b = " ".join(left), " ".join(vary(rng, left))
        print(f"{f'{n} words on one line, 10% changed':44} {timed(word_diff, a, b):8.1f}")
    tiny = ["the", "a", "otter", "is", "of"]
    left = [rng.choice(tiny) for _ in range(3000)]
    a, b = " ".join(left), " ".join([*left[:1500], "x", *left[1500:]])
    print(
        f"{'3000 words, 5-word vocabulary (worst case)':44} {timed(word_diff, a, b, repeat=3):8.1f}"
    )


if __name__ == "__main__":
    main()
