"""`playground history`, `show` and `export`: the session store, read from the command line.

`history` is kept lean (no rich, no engine imports) so a search starts about as fast as
`playground --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from playground.commands.common import command_parser, fail, whole_number

TYPE_CHECKING = False  # no typing at run time: bench_store part 2 (history ≤ 1.5× --help)
if TYPE_CHECKING:
    from typing import Any

HELP = {
    "history": "list past runs, newest first; QUERY searches prompts and outputs",
    "show": "show one run's cells",
    "export": "export a run as markdown, json or jsonl",
}


def add_parser(sub: Any, name: str) -> None:
    parser = command_parser(sub, name, HELP[name])
    if name == "history":
        parser.add_argument("query", nargs="*", metavar="QUERY", help="words to search for")
        parser.add_argument("--limit", type=str, default="20", metavar="N", help="at most N runs")
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.set_defaults(func=history_command)
    elif name == "show":
        parser.add_argument("run_id", metavar="RUN_ID")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.set_defaults(func=show_command)
    else:
        parser.add_argument("run_id", metavar="RUN_ID")
        parser.add_argument(
            "--format", choices=("md", "json", "jsonl"), default="md", help="default: md"
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
        parser.set_defaults(func=export_command)


def db_path(args: argparse.Namespace) -> str:
    """Settings.db_path() without loading the config (its contents never move the database):
    the same rules, from playground.paths, which imports nothing heavy."""
    from playground import paths

    return paths.db_file(paths.find_workspace(), args.db)


def _open(args: argparse.Namespace, *, must_exist: bool) -> Any:
    """The store, or None when there is no database yet (nothing was ever recorded)."""
    path = db_path(args)
    if not os.path.exists(path):
        if must_exist:
            fail(f"{path}: no session database yet (run something first, or pass --db)")
        return None
    from playground.store import Store, StoreError

    try:
        return Store.open(path)
    except StoreError as exc:
        fail(str(exc))


def _utf8_arg(text: str, what: str) -> str:
    from playground.commands.common import not_utf8_arg

    problem = not_utf8_arg(text)
    if problem:
        fail(f"{what}: {problem}")
    return text


def history_command(args: argparse.Namespace) -> int:
    limit = whole_number(args.limit, "--limit")
    query = " ".join(_utf8_arg(q, "QUERY") for q in args.query).strip() or None
    store = _open(args, must_exist=False)
    runs: list[dict[str, Any]] = []
    if store is not None:
        import sqlite3

        try:
            runs = store.list_runs(query, limit)
        except sqlite3.Error as exc:
            fail(f"{store.path}: search failed: {' '.join(str(exc).split())}")
        finally:
            store.close()
    if args.json:
        print(json.dumps(runs, ensure_ascii=False, indent=2))
        return 0
    if not runs:
        print(f"no runs match {query!r}" if query else "no runs yet", file=sys.stderr)
        return 0
    _print_table(runs)
    return 0


def _print_table(runs: list[dict[str, Any]]) -> None:
    from playground.render.figures import format_total

    try:
        width = int(os.environ.get("COLUMNS") or os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError):
        width = 100
    rows = []
    for run in runs:
        when = (run["created_at"] or "")[:16].replace("T", " ")
        models = ", ".join(run["models"])
        if len(models) > 28:
            models = models[:27] + "…"
        cells = str(run["cell_count"])
        if run.get("failed_count"):
            cells += f" ({run['failed_count']}✗)"
        rows.append(
            (
                str(run["id"]),
                when,
                models,
                cells,
                format_total(run["cost_usd"], run["unpriced_count"]),
                run["snippet"],
            )
        )
    heads = ("run", "when (UTC)", "models", "cells", "cost", "snippet")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads[:-1])]
    fixed = sum(widths) + 2 * len(widths)
    snip_w = max(20, width - fixed)

    def line(cols: tuple[str, ...]) -> str:
        left = "  ".join(
            c.rjust(w) if i in (0, 3, 4) else c.ljust(w)
            for i, (c, w) in enumerate(zip(cols, widths, strict=False))
        )
        # the search marks matches **so**; plain text has no bold, so the marks go
        snippet = " ".join(cols[-1].replace("**", "").split())
        if len(snippet) > snip_w:
            snippet = snippet[: snip_w - 1] + "…"
        return f"{left}  {snippet}".rstrip()

    out = [line(heads)] + [line(r) for r in rows]
    sys.stdout.write("\n".join(out) + "\n")


def _load(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run_id = whole_number(args.run_id, "RUN_ID")
    store = _open(args, must_exist=True)
    from playground.store.export import recorded

    try:
        found = recorded(store, run_id)
    finally:
        store.close()
    if found is None:
        fail(f"{store.path}: no run {run_id} (see `playground history`)")
    return found


def show_command(args: argparse.Namespace) -> int:
    from playground.store.export import run_json

    run, rows = _load(args)
    if args.json:
        print(json.dumps(run_json(run, rows), ensure_ascii=False, indent=2))
        return 0
    _print_run(run, rows)
    return 0


def _print_run(run: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.text import Text

    from playground.render.grid import cell_panel
    from playground.store.export import recorded_cell, rows_total

    console = Console()
    plan = run.get("plan") or {}
    total = rows_total(rows)
    head = Text()
    head.append(f"run {run['id']}", style="bold")
    head.append(
        f" · {run.get('created_at')} · session {run.get('session_id')} · {run.get('status')}"
    )
    head.append(f" · {len(rows)} cell{'' if len(rows) == 1 else 's'} · total {total}")
    console.print(head)
    for m in run.get("messages") or []:
        console.print(Text(f"{m['role']}: ", style="bold cyan") + Text(m["content"]))
    if plan.get("variables"):
        console.print(
            Text("variables: ", style="bold")
            + Text(json.dumps(plan["variables"], ensure_ascii=False))
        )
    from playground.store.evals import verdict_line

    for row in rows:
        result, label, line = recorded_cell(row)
        console.print(cell_panel(result, f"#{row['id']} {label}", line))
        if row.get("eval"):
            console.print(Text(verdict_line(row["eval"])))


def export_command(args: argparse.Namespace) -> int:
    from playground.store.export import formatted

    run, rows = _load(args)
    text = formatted(run, rows, args.format)
    if not args.output:
        sys.stdout.write(text)
        return 0
    import contextlib
    import tempfile
    from pathlib import Path

    target = Path(args.output)
    if target.is_dir():
        fail(f"{target}: is a folder; -o takes a file name (e.g. {target / 'run.md'})")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:  # no half-written temporary file left beside the target
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        fail(f"{target}: cannot write: {exc.strerror or exc}")
    print(f"wrote {target}", file=sys.stderr)
    return 0
