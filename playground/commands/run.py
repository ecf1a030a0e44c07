"""`playground run`: the matrix, headless. JSON for scripts, side-by-side panels for people."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from typing import Any

from playground.commands.common import UsageError, command_parser, fail, load_settings_or_fail


def add_parser(sub: Any, name: str) -> None:
    from playground.commands.planargs import add_prompt_args

    parser = command_parser(sub, name, "run a prompt across models and temperatures")
    add_prompt_args(parser)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="always call the models, never answer from the store",
    )
    parser.add_argument(
        "--batch",
        action="store_true",
        help="send the cells of providers with a batch API (openai, anthropic) as batch jobs: "
        "half price, results within 24 h (see `playground batches`); others run live",
    )
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from playground.commands.budget import budget_guard
    from playground.commands.common import open_recorder
    from playground.commands.planargs import plan_from_args, rendered
    from playground.core.template import TemplateError

    settings = load_settings_or_fail(args)
    try:
        plan = plan_from_args(args, settings)
        plan.use_cache = not args.no_cache
        rendered(plan)  # a missing variable or a blank prompt is exit 2 before anything is sent
        budget_guard(settings, plan, args.budget, args.yes, batch=args.batch)
        if args.batch:
            from playground.commands.batches import warn_if_nothing_batches

            warn_if_nothing_batches(settings, plan.models)
    except (UsageError, TemplateError) as exc:
        fail(str(exc))
    recorder = open_recorder(settings)
    try:
        handle = asyncio.run(
            _execute(settings, plan, recorder, show_progress=sys.stderr.isatty(), batch=args.batch)
        )
    finally:
        close = getattr(recorder, "close", None)
        if close:
            close()
    results = printable(handle.results, settings)
    if args.json:
        doc = {
            "session_id": handle.session_id,
            "run_id": handle.run_id,
            "cells": [r.to_json() for r in results],
            "total": run_total(results),
        }
        if args.batch:
            doc["batches"] = [job.to_json() for job in handle.batch.jobs]
        if handle.store_error:
            doc["store_error"] = handle.store_error
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    elif args.batch:
        from playground.commands.batches import print_submitted

        print_submitted(handle, results)
    else:
        from playground.render.grid import print_results

        print_results(handle, results=results)
    if handle.store_error:
        print(
            f"playground: warning: the run was not fully recorded: {handle.store_error}",
            file=sys.stderr,
        )
    if getattr(handle, "interrupted", False):
        print("playground: interrupted", file=sys.stderr)
        return 130
    # a cell waiting in a batch job is as good as submitted
    return 0 if all(r.status == "ok" or r.batch_id for r in results) else 1


def printable(results: list[Any], settings: Any) -> list[Any]:
    """The results as printed: a known key in an answer (or its reasoning) hidden as the store,
    `show` and `export` hide it (core.secrets.redact_output, the one rule for model text)."""
    from dataclasses import replace

    from playground.core.secrets import redact_output, secret_values

    secrets = secret_values(p.api_key_env for p in settings.providers.values())
    return [
        replace(
            r,
            output=redact_output(r.output, secrets),
            reasoning=redact_output(r.reasoning, secrets),
        )
        for r in results
    ]


async def _execute(
    settings: Any, plan: Any, recorder: Any, *, show_progress: bool, batch: bool = False
) -> Any:
    from playground.core.runner import Runner

    runner = Runner(settings, recorder=recorder)
    sink = None
    if batch:
        from playground.core.batch.submit import BatchSink

        sink = BatchSink(settings, recorder)
    try:
        handle = runner.start(plan, batch=sink)
        _cancel_on_ctrl_c(handle)
        if show_progress:
            from playground.render.grid import LiveProgress

            with LiveProgress(handle) as progress:
                async for event in handle.events():
                    progress.update(event)
        else:
            async for _ in handle.events():
                pass
        return handle
    finally:
        await runner.aclose()
        if sink is not None:
            await sink.aclose()


def _cancel_on_ctrl_c(handle: Any) -> None:
    """The first Ctrl-C cancels every cell (they keep their text, and are printed); a second one
    interrupts outright."""
    import signal

    loop = asyncio.get_running_loop()

    def cancel() -> None:
        handle.interrupted = True
        handle.cancel()
        loop.remove_signal_handler(signal.SIGINT)

    # not available off the main thread or on Windows: Ctrl-C then interrupts outright
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, cancel)


def run_total(results: list[Any]) -> dict[str, Any]:
    """The run's actual cost: the priced cells' sum (null when none has a price), how many
    cells had usage but no price, and whether any of it came from estimated usage."""
    from playground.render.figures import cost_summary

    used = [r for r in results if r.input_tokens is not None or r.output_tokens is not None]
    total, unpriced = cost_summary((r.cost_usd, True) for r in used)
    estimated = any(r.usage_source == "estimate" for r in used)
    return {
        "cost_usd": None if total is None else round(total, 8),
        "unpriced_cells": unpriced,
        "input_tokens": sum(r.input_tokens or 0 for r in used),
        "output_tokens": sum(r.output_tokens or 0 for r in used),
        "method": "estimate" if estimated else "provider",
    }
