"""How many tests of the official Dotprompt spec the playground renders byte for byte as the
installed dotpromptz does (issue 17). The spec is not vendored: point this at the `spec`
folder of a google/dotprompt checkout.

Run: python bench/bench_dotprompt_spec.py [PATH/TO/dotprompt/spec] [-v] [--quick]

The path may also come from ``$DOTPROMPT_SPEC``. Without a checkout (as under ``bench/run``
on a machine that has none) it prints a note and no figure, and exits 0. ``--quick`` changes
nothing: the whole spec takes seconds.

Each test's template is loaded with ``parse_prompt_text`` and rendered with its input and
history; dotpromptz renders the same text with the same data; whole message lists are
compared (role and text, trailing whitespace included). Left out, by design: partials
supplied from outside the file, media parts, empty bodies (metadata-only tests), per-call
options, and run-time ``context`` data (``@state``, ``@auth``), which a playground run has no
way to pass.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from dotpromptz import Dotprompt
from dotpromptz.typing import DataArgument
from figures import report

from playground.core.template import Message
from playground.library import parse_prompt_text


def _left_out(path: Path, suite: dict[str, Any], test: dict[str, Any]) -> str | None:
    data = [suite.get("data") or {}, test.get("data") or {}]
    if suite.get("partials") or suite.get("resolverPartials"):
        return "partials from outside the file"
    if "media" in path.name or "{{media" in suite["template"]:
        return "media parts"
    if not suite["template"].split("---")[-1].strip():
        return "empty body"
    if test.get("options"):
        return "per-call options"
    if any(d.get("context") for d in data):
        return "run-time context data"
    return None


def _text(message: Any) -> str:
    return "".join(getattr(p, "text", None) or "" for p in message.content)


def _reference(template: str, data: DataArgument[Any]) -> list[tuple[str, str]]:
    rendered = asyncio.run(Dotprompt().render(template, data))
    return [(str(getattr(m.role, "value", m.role)), _text(m)) for m in rendered.messages]


def _ours(template: str, data: DataArgument[Any]) -> list[tuple[str, str]] | str:
    history = [
        Message("assistant" if str(m.role.value) == "model" else str(m.role.value), _text(m))
        for m in data.messages or []
    ]
    try:
        pf = parse_prompt_text(template)
        messages = pf.template.render({**pf.variables, **(data.input or {})}, history=history)
    except Exception as exc:  # a refusal is a mismatch, shown with -v
        return f"{type(exc).__name__}: {exc}"
    return [("model" if m.role == "assistant" else m.role, m.content) for m in messages]


def main(spec: Path, verbose: bool) -> None:
    reasons: Counter[str] = Counter()
    total = same = 0
    for path in sorted(spec.rglob("*.yaml")):
        for suite in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for test in suite.get("tests") or []:
                total += 1
                why = _left_out(path, suite, test)
                if why:
                    reasons[why] += 1
                    continue
                d1, d2 = suite.get("data") or {}, test.get("data") or {}
                data = DataArgument(
                    input=d1.get("input") or d2.get("input"),
                    messages=(d1.get("messages") or []) + (d2.get("messages") or []),
                )
                expected, got = _reference(suite["template"], data), _ours(suite["template"], data)
                if got == expected:
                    same += 1
                elif verbose:
                    print(f"{path.name} / {suite['name']} / {test.get('desc')}")
                    print(f"  dotpromptz: {expected!r}\n  playground: {got!r}")
    renderable = total - sum(reasons.values())
    print(f"spec tests: {total}")
    for why, n in reasons.most_common():
        print(f"  left out ({why}): {n}")
    print(f"renderable: {renderable}; byte-identical: {same} ({same / renderable:.0%})")
    report("dotprompt spec: renderable tests byte-identical", f"{renderable} of {renderable}",
           f"{same} of {renderable}", same == renderable)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=os.environ.get("DOTPROMPT_SPEC"))
    parser.add_argument("-v", "--verbose", action="store_true", help="show each mismatch")
    parser.add_argument("--quick", action="store_true", help="the same (bench/run --quick)")
    args = parser.parse_args()
    if not args.spec or not Path(args.spec).is_dir():
        print("no google/dotprompt spec checkout given (PATH or $DOTPROMPT_SPEC): no figure")
    else:
        main(Path(args.spec), args.verbose)
