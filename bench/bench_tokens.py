"""Token estimates for a 100k-token prompt across six models, against tiktoken's own floor.

    python bench/bench_tokens.py [--reps 9] [--edits 40] [--quick]

The prompt is Python's own language reference (``pydoc_data.topics`` in the standard
library: English prose with code), cut at 100k o200k_base tokens, as the user message, plus
a one-line system message. Models: openai:gpt-4o, openai:gpt-4, openai:gpt-4.1-mini,
anthropic:claude-sonnet-4-5, gemini:gemini-2.5-flash, ollama:llama3.2, at two temperatures.
Those need two distinct encodings (cl100k_base for gpt-4, o200k_base for the rest).

Printed, measured side by side in one run (interleaved, medians; vocabularies and price data
loaded beforehand, as a running app has them):
  * floor: tiktoken encoding the text once per distinct encoding, one after the other;
  * per model: the naive way, one encode per model;
  * first estimate: a fresh Estimator, the whole plan (render, count, price every cell),
    as the app runs it (two threads when a core is spare), and forced onto one and two;
  * re-estimate after a one-character edit at a random place, with the same Estimator,
    checked exact against a full encode after every edit.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from figures import report

from playground.config import Settings
from playground.core import tokens
from playground.core.estimate import Estimator
from playground.core.plan import RunPlan
from playground.core.template import PromptTemplate

MODELS = [
    "openai:gpt-4o",
    "openai:gpt-4",
    "openai:gpt-4.1-mini",
    "anthropic:claude-sonnet-4-5",
    "gemini:gemini-2.5-flash",
    "ollama:llama3.2",
]
TARGET_TOKENS = 100_000
SYSTEM = "You are a careful technical editor."


def corpus() -> str:
    """About 100k o200k tokens of real English-and-code text, the same on every machine with
    this Python version."""
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    enc = tokens.get_encoding("o200k_base")
    ids = enc.encode_ordinary(text)
    while len(ids) < TARGET_TOKENS:
        text += "\n" + text
        ids = enc.encode_ordinary(text)
    return enc.decode(ids[:TARGET_TOKENS])


def plan_with(text: str) -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts(SYSTEM, text),
        models=list(MODELS),
        temperatures=[0.0, 0.7],
        max_tokens=1024,
    )


def ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="3 repetitions, 10 edits")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.edits = 3, 10

    settings = Settings()
    tokens.preload()
    warm = Estimator(settings)
    warm.estimate(plan_with("warm up the price data"))
    warm.close()

    text = corpus()
    plan = plan_with(text)
    encodings = sorted({tokens.encoding_for(m)[0] for m in MODELS})
    encoders = {name: tokens.get_encoding(name) for name in encodings}
    per_model = [encoders[tokens.encoding_for(m)[0]] for m in MODELS]

    floor: list[float] = []
    floor_encode: list[float] = []
    naive: list[float] = []
    first: list[float] = []
    one_thread: list[float] = []
    two_threads: list[float] = []
    estimators: list[Estimator] = []
    for _ in range(args.reps):  # interleaved, so background load hits all alike
        floor.append(ms(lambda: [e.encode_ordinary(text) for e in encoders.values()]))
        floor_encode.append(ms(lambda: [e.encode(text) for e in encoders.values()]))
        naive.append(ms(lambda: [e.encode_ordinary(text) for e in per_model]))
        est = Estimator(settings)
        first.append(ms(lambda est=est: est.estimate(plan)))
        estimators.append(est)
        for parallel, into in ((False, one_thread), (True, two_threads)):
            forced = Estimator(settings, parallel=parallel)
            into.append(ms(lambda forced=forced: forced.estimate(plan)))
            forced.close()
    for est in estimators[1:]:
        est.close()

    estimator = estimators[0]
    rnd = random.Random(3)
    again: list[float] = []
    current = text
    for _ in range(args.edits):
        pos = rnd.randrange(len(current))
        current = current[:pos] + rnd.choice("abc xyz.,\n") + current[pos:]
        edited = plan_with(current)
        result = None

        def run(edited: RunPlan = edited) -> None:
            nonlocal result
            result = estimator.estimate(edited)

        again.append(ms(run))
        assert result is not None
        cells = result.by_model()
        msgs = edited.render()
        for model in ("openai:gpt-4o", "openai:gpt-4"):
            want = tokens.count_messages(model, msgs).tokens
            if cells[model].input_tokens != want:
                print(f"NOT EXACT after an edit: {model} {cells[model].input_tokens} != {want}")
                return 1
    estimator.close()

    med = statistics.median
    est = estimators[0].estimate(plan)
    print(f"prompt: {len(text):,} characters; ", end="")
    print(
        ", ".join(f"{m} {c.tokens_label} tokens" for m, c in est.by_model().items()),
    )
    print(f"matrix: {len(est.cells)} cells, worst case ${est.max_cost_usd:.2f}")
    print(f"distinct encodings: {', '.join(encodings)}")
    print()
    print(f"{'':52} {'median':>9} {'min':>9}")
    rows = [
        ("floor: tiktoken encode_ordinary, once per encoding", floor),
        ("tiktoken encode (special-token check), per encoding", floor_encode),
        ("naive: encode_ordinary once per model (6)", naive),
        ("first estimate, whole plan (fresh Estimator)", first),
        ("  the same, forced onto one thread", one_thread),
        ("  the same, forced onto two threads", two_threads),
        ("re-estimate after a one-character edit", again),
    ]
    for label, values in rows:
        print(f"{label:52} {med(values):8.1f}  {min(values):8.1f}  ms")
    print()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"first estimate / floor: {med(first) / med(floor):.2f}x (target <= 1.2x)", end="")
    print(f"; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"re-estimate: {med(again):.2f} ms median, {max(again):.2f} ms worst (target < 10 ms)")
    print(f"exact after each of {args.edits} edits: yes")
    ratio = med(first) / med(floor)
    report("tokens: first estimate ÷ tiktoken floor", "≤ 1.2×", f"{med(first):.1f} ms",
           ratio <= 1.2, ratio)
    report("tokens: re-estimate after a one-character edit", "< 10 ms", f"{med(again):.2f} ms",
           med(again) < 10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
