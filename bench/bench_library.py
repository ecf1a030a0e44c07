"""Prompt library timings: writing a file (with the dotpromptz check), loading, listing,
promoting a version, and concurrent promotes. Run: python bench/bench_library.py [--quick]

The times have no target (bench/README.md records them); the one FIGURE line is that
concurrent promotes keep every version. ``--quick``: medians of 5, 50 files listed, 8 processes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import report

from playground.core.template import PromptTemplate
from playground.library import list_prompts, list_versions, load_prompt, promote
from playground.library.promptfile import render_prompt_file
from playground.library.reference import render_reference

SYSTEM = "You are a careful assistant.\n" * 20
USER = "Summarize {{text}} for {{audience}}.\n{{#each points}}- {{this}}\n{{/each}}"
VARS = {"text": "lorem " * 200, "audience": "engineers", "points": ["a", "b", "c"]}
TEMPLATE = PromptTemplate.from_parts(SYSTEM, USER)


ROUNDS = 20


def median_ms(fn: Callable[[], object], n: int | None = None) -> float:
    times = []
    for _ in range(min(n or ROUNDS, ROUNDS)):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _promote_one(folder: str, t: float) -> None:
    promote(Path(folder), "race", template=TEMPLATE, model="echo", temperature=t, variables=VARS)


def main() -> None:
    global ROUNDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, files and processes")
    quick = parser.parse_args().quick
    files, racers = (50, 8) if quick else (200, 32)
    if quick:
        ROUNDS = 5
    text = render_prompt_file(TEMPLATE, model="echo", temperature=0.7, variables=VARS)
    print(
        f"render_prompt_file        {median_ms(lambda: render_prompt_file(TEMPLATE, model='echo', variables=VARS)):7.2f} ms"
    )
    print(f"dotpromptz render (check) {median_ms(lambda: render_reference(text)):7.2f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counter = iter(range(10_000))
        print(
            "promote (new version)     "
            f"{median_ms(lambda: promote(folder, 'p', template=TEMPLATE, model='echo', temperature=next(counter) / 10_000, variables=VARS)):7.2f} ms"
        )
        print(
            "promote (identical)       "
            f"{median_ms(lambda: promote(folder, 'q', template=TEMPLATE, model='echo', variables=VARS)):7.2f} ms"
        )
        print(f"load_prompt               {median_ms(lambda: load_prompt('p', folder)):7.2f} ms")
        for i in range(files):
            promote(folder, f"many/p{i}", template=TEMPLATE, model="echo", variables=VARS)
        listed = f"list_prompts ({files + 2} files)"
        print(f"{listed:26}{median_ms(lambda: list_prompts(folder), n=5):7.2f} ms")

        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_promote_one, args=(tmp, i / 100)) for i in range(racers)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        elapsed = (time.perf_counter() - t0) * 1000
        kept = list_versions(folder, "race")
        label = f"{racers} concurrent promotes"
        print(f"{label:26}{elapsed:7.0f} ms, versions kept: {len(kept)} of {racers}")
        report("library: concurrent promotes, versions kept", f"{racers} of {racers}",
               f"{len(kept)} of {racers}", len(kept) == racers)


if __name__ == "__main__":
    main()
