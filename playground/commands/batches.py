"""`playground batches`: the jobs `run --batch` sent, followed from any terminal, any day.

playground batches [list] [ID]     provider, id, state, counts, age, estimated cost
playground batches wait [ID]       poll (every --poll S, the first at once) until done
playground batches collect [ID]    results into the store, as ordinary cells
playground batches cancel ID
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from playground.commands.common import command_parser, fail, load_settings_or_fail

ACTIONS = ("list", "wait", "collect", "cancel")


def add_parser(sub: Any, name: str) -> None:
    parser = command_parser(sub, name, "list, wait for, collect and cancel batch jobs")
    parser.add_argument("action", nargs="?", default="list", choices=ACTIONS)
    parser.add_argument("job_id", nargs="?", metavar="ID", help="one job (default: all)")
    parser.add_argument(
        "--poll", type=float, default=30.0, metavar="S", help="seconds between polls (wait)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=batches_command)


def batches_command(args: argparse.Namespace) -> int:
    from playground.core.batch.collect import Batches

    settings = load_settings_or_fail(args)
    if args.action == "cancel" and not args.job_id:
        fail("batches cancel: give the job's ID (playground batches lists them)")
    if not args.poll > 0:
        fail(f"--poll {args.poll:g}: seconds between polls, more than 0")
    store = _open_store(settings)
    try:
        manager = Batches(settings, store)
        jobs = manager.jobs(args.job_id)
        if args.job_id and not jobs:
            fail(f"no batch job {args.job_id!r} (playground batches lists them)")
        action = {"list": _list, "wait": _wait, "collect": _collect, "cancel": _cancel}
        return action[args.action](manager, jobs, args)
    finally:
        store.close()


def _open_store(settings: Any) -> Any:
    from playground.store import Store, StoreError

    try:
        store = Store.open(settings.db_path())
        store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
    except StoreError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"{settings.db_path()}: {' '.join(str(exc).split())}")
    return store


async def _each(manager: Any, jobs: list[Any], step: Any) -> list[tuple[Any, Any]]:
    """``step(job)`` for each job; a job whose provider cannot be reached gets its error."""
    from playground.core.providers.base import ProviderError

    out: list[tuple[Any, Any]] = []
    try:
        for job in jobs:
            try:
                out.append((job, await step(job)))
            except ProviderError as exc:
                out.append((job, exc))
    finally:
        await manager.aclose()
    return out


def _warn(job: Any, exc: Exception) -> None:
    print(f"playground: {job.provider} {job.job_id}: {exc}", file=sys.stderr)


# -- list ---------------------------------------------------------------------------------------
def _list(manager: Any, jobs: list[Any], args: argparse.Namespace) -> int:
    live = [j for j in jobs if not j.collected and not j.ended]
    for job, outcome in asyncio.run(_each(manager, live, manager.refresh)):
        if isinstance(outcome, Exception):  # shown as last known
            _warn(job, outcome)
    if args.json:
        print(json.dumps([j.to_json() for j in jobs], ensure_ascii=False, indent=2))
        return 0
    if not jobs:
        print("no batch jobs (playground run ... --batch sends some)")
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from playground.render.figures import format_cost

    table = Table(box=None, pad_edge=False)
    for title in ("provider", "id", "state", "done", "age", "est. cost", "run"):
        table.add_column(
            title, justify="right" if title in ("done", "age", "est. cost") else "left"
        )
    for job in jobs:
        done, total = job.done_total()
        table.add_row(
            Text(job.provider),
            Text(job.job_id),
            Text(job.state, style="green" if job.collected else ""),
            f"{done}/{total}",
            _age(job.age_s()),
            format_cost(job.estimated_cost_usd),
            str(job.run_id or ""),
        )
    Console().print(table)
    return 0


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


# -- wait ---------------------------------------------------------------------------------------
def _wait(manager: Any, jobs: list[Any], args: argparse.Namespace) -> int:
    todo = [j for j in jobs if not j.collected]
    if not todo:
        print("nothing to wait for: every job is collected", file=sys.stderr)
        return 0
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("waiting for {task.fields[jobs]} batch job(s)"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[states]}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    bar = progress.add_task("wait", total=None, jobs=len(todo), states="")

    def show(states: list[tuple[Any, Any]]) -> None:
        done = sum(s.finished for _, s in states)
        total = sum(s.total or j.request_count for j, s in states)
        names = sorted({s.state for _, s in states})
        progress.update(bar, completed=done, total=total, states=", ".join(names))

    async def run() -> list[tuple[Any, Any]]:
        try:
            return await manager.wait(todo, args.poll, show)
        finally:
            await manager.aclose()

    from playground.core.providers.base import ProviderError

    try:
        with progress:
            states = asyncio.run(run())
    except KeyboardInterrupt:
        print(
            "playground: stopped waiting; the jobs keep running at the provider "
            "(playground batches wait, or collect later)",
            file=sys.stderr,
        )
        return 130
    except ProviderError as exc:
        fail(str(exc), code=1)
    if args.json:
        print(json.dumps([j.to_json() for j, _ in states], ensure_ascii=False, indent=2))
    else:
        for job, status in states:
            print(f"{job.provider} {job.job_id}: {status.state} ({status.finished}/{status.total})")
        print("collect the results: playground batches collect")
    return 0


# -- collect ------------------------------------------------------------------------------------
def _collect(manager: Any, jobs: list[Any], args: argparse.Namespace) -> int:
    async def all_of_them() -> list[tuple[Any, Any]]:
        try:
            return await manager.collect_all()  # what is not in yet
        finally:
            await manager.aclose()

    # one named job may be asked again (it says "collected before")
    reports = asyncio.run(_each(manager, jobs, manager.collect) if args.job_id else all_of_them())
    code = 0
    docs = []
    for job, report in reports:
        if isinstance(report, Exception):
            _warn(job, report)
            docs.append({"provider": job.provider, "id": job.job_id, "error": str(report)})
            code = 1
            continue
        docs.append(report.to_json())
        if report.problem:
            code = 1
        if not args.json:
            print(_collect_line(report))
    if args.json:
        print(json.dumps({"jobs": docs}, ensure_ascii=False, indent=2))
    elif not reports:
        print("no batch jobs to collect (playground batches lists them)")
    return code


def _collect_line(report: Any) -> str:
    job = report.job
    head = f"{job.provider} {job.job_id}: "
    if report.already:
        return head + f"collected before (run {job.run_id})"
    if not report.ready:
        done, total = job.done_total()
        return head + f"still {job.state} ({done}/{total}): collect later"
    parts = [f"{report.ok} ok", f"{report.errors + report.missing} error(s)"]
    if report.unknown:
        parts.append(f"{len(report.unknown)} unknown result(s) ignored")
    if report.bad_lines:
        parts.append(f"{report.bad_lines} unreadable line(s)")
    line = head + ", ".join(parts) + f" → run {job.run_id} (playground show {job.run_id})"
    if report.problem:
        line += f"; {report.problem}"
    return line


# -- cancel -------------------------------------------------------------------------------------
def _cancel(manager: Any, jobs: list[Any], args: argparse.Namespace) -> int:
    ((job, status),) = asyncio.run(_each(manager, jobs[:1], manager.cancel))
    if isinstance(status, Exception):
        fail(f"{job.provider} {job.job_id}: {status}", code=1)
    if args.json:
        print(json.dumps(job.to_json(), ensure_ascii=False, indent=2))
    else:
        print(
            f"{job.provider} {job.job_id}: {status.state} (collect what ran: playground batches collect)"
        )
    return 0


# -- run --batch --------------------------------------------------------------------------------
def warn_if_nothing_batches(settings: Any, models: list[str]) -> None:
    """One line on stderr when `--batch` can send none of these models to a batch API."""
    from playground.config import split_model_id

    def batches(model: str) -> bool:
        cfg = settings.providers.get(split_model_id(model)[0])
        return cfg is not None and cfg.can_batch()

    if not any(batches(m) for m in models):
        print(
            "playground: warning: --batch: none of these models' providers has a batch API "
            "(kind openai or anthropic, without batch = false): every cell runs live",
            file=sys.stderr,
        )


def print_submitted(handle: Any, results: list[Any] | None = None) -> None:
    """What `run --batch` did: the jobs made, and the live cells' results (if any), as
    ``results`` has them (default: the handle's)."""
    from types import SimpleNamespace

    from rich.console import Console
    from rich.text import Text

    from playground.render.figures import format_cost

    console = Console()
    live = [r for r in (handle.results if results is None else results) if not r.batch_id]
    if live:
        from playground.render.grid import print_results

        print_results(SimpleNamespace(results=live, run_id=handle.run_id), console)
    jobs = handle.batch.jobs
    waiting = sum(1 for r in handle.results if r.batch_id)
    if jobs:
        console.print(
            f"run {handle.run_id}: {waiting} cell(s) sent as {len(jobs)} batch job(s)",
            style="bold",
            highlight=False,
        )
    for job in jobs:
        console.print(
            Text(
                f"  {job.provider}  {job.job_id}  {job.request_count} request(s)"
                + (f"  {job.model}" if job.model else "")
                + f"  worst case {format_cost(job.estimated_cost_usd)}"
            )
        )
    failed = [r for r in handle.results if r.status == "error" and r.batch_id is None]
    for r in failed:
        if r.error and r.error.startswith(("batch", "too large")):
            console.print(Text(f"  ✗ {r.cell.model}: {r.error}", style="red"))
    if jobs:
        console.print(
            "follow: playground batches wait · then: playground batches collect",
            style="dim",
            highlight=False,
        )


# -- eval --batch -------------------------------------------------------------------------------
def submit_eval(settings: Any, store: Any, args: argparse.Namespace, plan: Any, suite: Any) -> int:
    """`eval --batch`: every case's cells as batch jobs (one run). Grading waits for the
    answers: once `playground batches collect` has them, `eval` again answers each cell from
    the store (the cache) and grades it at no further cost."""
    from playground.core.batch.submit import BatchSink
    from playground.core.evals.engine import EvalEngine
    from playground.core.runner import Runner
    from playground.core.template import TemplateError
    from playground.library import coerce_variables
    from playground.store.eval_recording import EvalRecorder

    recorder = EvalRecorder(store)

    def coerce(values: dict[str, Any]) -> dict[str, Any]:
        return coerce_variables(values, plan.variable_types) if plan.variable_types else values

    async def main() -> tuple[list[Any], Any]:
        runner = Runner(settings, recorder=recorder)
        sink = BatchSink(settings, store, runs=None)
        engine = EvalEngine(
            runner, plan, folder=suite.folder, workspace=settings.workspace, coerce=coerce
        )
        handles = []
        try:
            for case in suite.cases():
                if case.problem:
                    continue
                try:
                    handles.append(runner.start(engine.case_plan(case, plan, None), batch=sink))
                except TemplateError:
                    continue
            sink.seal()
            for handle in handles:
                await handle.wait()
        finally:
            await runner.aclose()
            await sink.aclose()
        return handles, sink

    handles, sink = asyncio.run(main())
    recorder.finish()
    results = [r for handle in handles for r in handle.results]
    waiting = sum(1 for r in results if r.batch_id)
    if args.json:
        doc = {
            "run_id": recorder.run_id,
            "cells": [r.to_json() for r in results],
            "batches": [job.to_json() for job in sink.jobs],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(
            f"eval run {recorder.run_id}: {waiting} cell(s) of {len(handles)} case(s) sent as "
            f"{len(sink.jobs)} batch job(s)"
        )
        for job in sink.jobs:
            print(f"  {job.provider}  {job.job_id}  {job.request_count} request(s)")
        for r in results:
            if r.status == "error":
                print(f"  ✗ {r.cell.model}: {r.error}")
        print(
            "then: playground batches wait; playground batches collect; and eval again without "
            "--batch: the collected answers are graded from the store"
        )
    return 0 if all(r.status == "ok" or r.batch_id for r in results) else 1
