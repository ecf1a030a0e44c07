"""`playground promote` and `playground prompts list|show|diff|import|export`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from playground.commands.common import command_parser, fail, load_settings_or_fail, whole_number


def _common_suppressed(parser: argparse.ArgumentParser) -> None:
    """The shared options again after the sub-command, without clobbering earlier values."""
    for flag in ("--config", "--db", "--prompts-dir"):
        parser.add_argument(flag, metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def add_parser(sub: Any, name: str) -> None:
    if name == "promote":
        parser = command_parser(
            sub, name, "promote a recorded response into a versioned prompt file"
        )
        parser.add_argument(
            "response_id", metavar="RESPONSE_ID", help="a response id (see run --json)"
        )
        parser.add_argument(
            "--name", required=True, help="the prompt's name (a slug; / for folders)"
        )
        parser.add_argument("--note", metavar="TEXT", help="why this version (kept in the file)")
        parser.add_argument(
            "--commit", action="store_true", help="git commit the new version's files"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.set_defaults(func=promote_command)
        return

    parser = command_parser(sub, name, "list, show, diff, import and export prompt files")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="prompts: name, current version, model, last promoted")
    _common_suppressed(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=list_command)

    p = actions.add_parser("show", help="print a prompt file (current, or --version N)")
    _common_suppressed(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="N")
    p.set_defaults(func=show_command)

    p = actions.add_parser(
        "diff",
        help="unified diff of two versions (default: previous vs current)",
        description=(
            "Unified diff between versions of a prompt. 'Current' is always NAME.prompt, the "
            "file an application loads. With no A: the version before the current one vs "
            "NAME.prompt; if NAME.prompt was edited by hand since its version, the diff shows "
            "those edits (that version vs NAME.prompt). With A: vA vs NAME.prompt. With A B: "
            "vA vs vB."
        ),
    )
    _common_suppressed(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("a", nargs="?", metavar="A", help="a version (N or vN)")
    p.add_argument("b", nargs="?", metavar="B", help="a version (default: NAME.prompt)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=diff_command)

    p = actions.add_parser(
        "check",
        help="render each prompt's defaults and test cases here and with dotpromptz; "
        "report every byte that differs",
        description=(
            "Loads every prompt file (or each NAME), renders its defaults and every case of "
            "NAME.tests.yaml as a run here renders them and as dotpromptz renders them for an "
            "application, and reports each difference: file, case, message and first "
            "differing byte. Exit 0 when all match, 1 when any differs, 2 for bad input."
        ),
    )
    _common_suppressed(p)
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=check_command)

    p = actions.add_parser("import", help="import a Prompty file or an llm YAML template")
    _common_suppressed(p)
    p.add_argument("file", metavar="FILE", help="a .prompty file or an llm template (.yaml)")
    p.add_argument("--name", required=True)
    p.add_argument("--note", metavar="TEXT")
    p.set_defaults(func=import_command)

    p = actions.add_parser(
        "label", help="point a label (prod, staging) at a version: NAME.labels.yaml"
    )
    _common_suppressed(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("label", metavar="LABEL")
    p.add_argument("version", nargs="?", metavar="vN", help="a version (default: the newest)")
    p.set_defaults(func=label_command)

    p = actions.add_parser("export", help="export a prompt for another tool")
    _common_suppressed(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--format", choices=("promptfoo",), required=True)
    p.add_argument(
        "--out", metavar="DIR", default=".", help="where to write promptfooconfig.yaml (default .)"
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite an existing promptfooconfig.yaml"
    )
    p.set_defaults(func=export_command)


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"playground: warning: {line}", file=sys.stderr)


def _rel(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- label


def label_command(args: argparse.Namespace) -> int:
    """`prompts label NAME LABEL [vN]`: writes prompts/NAME.labels.yaml ({prod: 3})."""
    from playground.library import LibraryError
    from playground.library.labels import labels_path, set_label

    settings = load_settings_or_fail(args)
    version = None
    if args.version is not None:
        text = args.version.removeprefix("v")
        if not text.isdigit() or int(text) < 1:
            fail(f"prompts label: {args.version!r}: a version is vN or N, like v3")
        version = int(text)
    try:
        version = set_label(settings.prompts_dir(), args.name, args.label, version)
        path = labels_path(settings.prompts_dir(), args.name)
    except LibraryError as exc:
        fail(str(exc))
    print(f"{args.label} → {args.name} v{version} ({_rel(path)})")
    return 0


# ---------------------------------------------------------------- promote


def _open_store(settings: Any) -> Any:
    from playground.store import Store, StoreError

    path = settings.db_path()
    if not Path(path).exists():
        fail(f"no session database at {path} (run something first, or pass --db)")
    try:
        return Store.open(path)
    except StoreError as exc:  # its message already names the path
        fail(str(exc))


def _refuse_bytes(args: argparse.Namespace, *flags: str) -> None:
    """--note and --name go into files (and commit messages): they must be text."""
    from playground.commands.common import not_utf8_arg

    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        problem = None if value is None else not_utf8_arg(value)
        if problem:
            fail(f"{flag}: {problem}")


def _refuse_unreadable(folder: Path, name: str) -> None:
    """Fail (one line) when NAME.prompt or one of its versions is not UTF-8 text, before the
    library reads them: it would stop half-way (an "internal error", an empty NAME/ folder)."""
    from playground.library import LibraryError, current_path, list_versions, version_path
    from playground.library.loading import read_utf8

    try:
        paths = [current_path(folder, name)]
        paths += [version_path(folder, name, v) for v in list_versions(folder, name)]
    except LibraryError:
        return  # a bad name: the command's own call says so
    for path in paths:
        try:
            read_utf8(path)
        except OSError:
            pass  # no such file yet (or unreadable: the library says so)
        except LibraryError as exc:
            fail(str(exc))


def promote_command(args: argparse.Namespace) -> int:
    from playground.library import LibraryError, promote_response
    from playground.library.gitcommit import commit_files

    _refuse_bytes(args, "--name", "--note")
    response_id: Any = args.response_id
    if response_id.isascii() and response_id.isdigit():
        response_id = whole_number(response_id, "RESPONSE_ID")
    settings = load_settings_or_fail(args)
    _refuse_unreadable(Path(settings.prompts_dir()), args.name)
    store = _open_store(settings)
    try:
        promotion = promote_response(settings, store, response_id, args.name, args.note)
    except LibraryError as exc:
        fail(str(exc))
    finally:
        close = getattr(store, "close", None)
        if close:
            close()
    _warn([w for w in promotion.warnings if w != promotion.kept_message])
    sha = None
    commit_error = None
    changed = [p for p in (promotion.kept_path, promotion.version_path) if p is not None]
    if args.commit and changed:
        message = f"prompt {promotion.name} v{promotion.version}"
        if args.note:
            message += f": {args.note}"
        try:
            sha = commit_files([*changed, promotion.path], message)
        except LibraryError as exc:
            commit_error = str(exc)
    if args.json:
        doc = {
            "name": promotion.name,
            "version": promotion.version,
            "created": promotion.created,
            "identical": promotion.identical,
            "path": str(promotion.path),
            "version_path": str(promotion.version_path) if promotion.version_path else None,
            "kept_path": str(promotion.kept_path) if promotion.kept_path else None,
            "commit": sha,
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return _commit_failed(commit_error)
    if promotion.kept_message:
        print(promotion.kept_message)
    if promotion.created:
        print(
            f"promoted response {response_id} as {promotion.label}: "
            f"{_rel(promotion.path)} (kept as {_rel(promotion.version_path)})"
        )
    else:
        print(f"{promotion.label} already has this content; no new version")
    if sha:
        print(f"committed {sha[:10]}")
    return _commit_failed(commit_error)


def _commit_failed(commit_error: str | None) -> int:
    if commit_error:
        fail(f"the files are written but not committed: {commit_error}", 1)
    return 0


# ---------------------------------------------------------------- prompts


def _prompts_dir(args: argparse.Namespace) -> tuple[Any, Path]:
    settings = load_settings_or_fail(args)
    return settings, Path(settings.prompts_dir())


def list_command(args: argparse.Namespace) -> int:
    from playground.library import list_problems, list_prompts

    _, folder = _prompts_dir(args)
    prompts = list_prompts(folder)
    _warn(list_problems(folder))
    _warn([w for pf in prompts for w in pf.warnings])  # loaded, but e.g. refused when run
    if args.json:
        doc = [
            {
                "name": pf.name,
                "version": pf.version,
                "model": pf.model,
                "promoted_at": pf.provenance.get("promoted_at"),
                "path": str(pf.path),
                **{k: v for k, v in pf.params().items() if v not in (None, [])},
                "variables": pf.variables,
            }
            for pf in prompts
        ]
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    if not prompts:
        print(
            f"no prompts in {folder} (promote a response with `playground promote ID --name NAME`)"
        )
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("name", "version", "model", "last promoted"):
        table.add_column(col)
    for pf in prompts:
        table.add_row(
            pf.name,
            f"v{pf.version}" if pf.version else "-",
            pf.model or "-",
            str(pf.provenance.get("promoted_at") or "-"),
        )
    Console().print(table)
    return 0


def show_command(args: argparse.Namespace) -> int:
    from playground.library import LibraryError, load_prompt

    _, folder = _prompts_dir(args)
    try:
        pf = load_prompt(args.name, folder, version=args.version)
    except LibraryError as exc:
        fail(str(exc))
    _warn(pf.warnings)
    sys.stdout.write(pf.raw if pf.raw.endswith("\n") else pf.raw + "\n")
    return 0


def _version_arg(text: str) -> int:
    value = text[1:] if text[:1] in ("v", "V") else text
    if not value.isdigit() or int(value) < 1:
        fail(f"{text!r} is not a version (use N or vN)")
    return int(value)


def diff_command(args: argparse.Namespace) -> int:
    from playground.library import LibraryError, current_path, list_versions, version_path
    from playground.library.current import current_label, current_state
    from playground.library.loading import read_utf8
    from playground.library.versions import unified_diff

    _, folder = _prompts_dir(args)
    name = args.name
    _refuse_unreadable(folder, name)
    try:
        current_file = current_path(folder, name)
        versions = list_versions(folder, name)
        state = current_state(folder, name)
    except LibraryError as exc:
        fail(str(exc))
    if state.text is None and not versions:
        fail(f"no prompt {name} in {folder}")

    def version(v: int) -> tuple[str, str]:
        try:
            return read_utf8(version_path(folder, name, v)), f"{name} v{v}"
        except LibraryError as exc:
            fail(str(exc))
        except FileNotFoundError:
            have = ", ".join(f"v{n}" for n in versions) or "none"
            fail(f"{name} has no version {v} (versions: {have})")

    def current() -> tuple[str, str]:
        """NAME.prompt, the file an application loads, named by what it is."""
        if state.text is None:
            fail(f"no {_rel(current_file)} (compare two versions: prompts diff {name} A B)")
        return state.text, current_label(name, state)

    none = ("", "/dev/null")
    if args.a is not None:
        old = version(_version_arg(args.a))
        new = version(_version_arg(args.b)) if args.b else current()
    elif state.text is None:  # no current file: the last two versions
        old = version(versions[-2]) if len(versions) >= 2 else none
        new = version(versions[-1])
    elif state.recorded:  # what the current version changed from the one before it
        earlier = [v for v in versions if v < (state.version or 0)]
        old = version(earlier[-1]) if earlier else none
        new = current()
    else:  # edited by hand: the edits, against the version it came from (or the newest)
        base = state.version if state.version in versions else (versions[-1] if versions else None)
        old = version(base) if base else none
        new = current()
    text = unified_diff(old[0], new[0], old[1], new[1])
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    sys.stdout.write(_coloured(text) if colour else text)
    return 0


def _coloured(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(f"\x1b[1m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("+"):
            out.append(f"\x1b[32m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("-"):
            out.append(f"\x1b[31m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("@@"):
            out.append(f"\x1b[36m{line.rstrip(chr(10))}\x1b[0m\n")
        else:
            out.append(line)
    return "".join(out)


def check_command(args: argparse.Namespace) -> int:
    from playground.library import LibraryError, list_problems, list_prompts, load_prompt
    from playground.library.check import CheckResult, check_prompt

    _, folder = _prompts_dir(args)
    results: list[CheckResult] = []
    if args.names:
        for name in args.names:
            try:
                pf = load_prompt(name, folder)
            except LibraryError as exc:
                results.append(CheckResult(name, problem=str(exc)))
                continue
            results.append(check_prompt(pf))
    else:
        for problem in list_problems(folder):
            results.append(CheckResult(problem.split(":", 1)[0], problem=problem))
        results += [check_prompt(pf) for pf in list_prompts(folder)]
        results.sort(key=lambda r: r.path)
    differences = sum(len(r.differences) for r in results)
    bad = any(r.problem for r in results)
    if args.json:
        doc = {
            "prompts": [
                {
                    "path": r.path,
                    "renders": r.renders,
                    "problem": r.problem,
                    "skipped": r.skipped,
                    "differences": [d.to_dict() for d in r.differences],
                }
                for r in results
            ],
            "differences": differences,
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.problem:
                print(f"playground: {r.problem}", file=sys.stderr)
            for d in r.differences:
                print(f"{r.path}: {d.describe()}")
            for note in r.skipped:
                print(f"{r.path}: {note} (not compared)")
            if r.renders and not r.differences:
                print(f"{r.path}: {r.renders} render(s) match dotpromptz")
        renders = sum(r.renders for r in results)
        summary = f"{differences} difference(s)" if differences else "no differences"
        print(f"checked {len(results)} prompt file(s), {renders} render(s): {summary}")
    return 2 if bad else 1 if differences else 0


def import_command(args: argparse.Namespace) -> int:
    from playground.library import LibraryError, promote
    from playground.library.interop import import_file

    _refuse_bytes(args, "--name", "--note")
    _, folder = _prompts_dir(args)
    try:
        imported = import_file(Path(args.file))
        _warn(imported.warnings)
        params = imported.params
        promotion = promote(
            folder,
            args.name,
            template=imported.template,
            model=imported.model,
            temperature=params.get("temperature"),
            max_tokens=params.get("max_tokens"),
            top_p=params.get("top_p"),
            seed=params.get("seed"),
            stop=params.get("stop"),
            variables=imported.variables,
            provenance={"imported_from": str(args.file)},
            note=args.note,
        )
    except LibraryError as exc:
        fail(str(exc))
    _warn([w for w in promotion.warnings if w != promotion.kept_message])
    if promotion.kept_message:
        print(promotion.kept_message)
    if promotion.created:
        print(f"imported {args.file} as {promotion.label}: {_rel(promotion.path)}")
    else:
        print(f"{promotion.label} already has this content; no new version")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from playground.library import LibraryError, load_prompt
    from playground.library.atomic import atomic_write
    from playground.library.promptfoo import export_promptfoo

    settings, folder = _prompts_dir(args)
    out = Path(args.out)
    target = out / "promptfooconfig.yaml"
    try:
        pf = load_prompt(args.name, folder)
        if out.exists() and not out.is_dir():
            fail(f"--out {out}: is a file; --out takes a folder")
        if not args.force and (target.exists() or target.is_symlink()):
            fail(
                f"{_rel(target)} already exists; pass --force to overwrite it, "
                "or --out DIR to write elsewhere"
            )
        source = Path(pf.path or folder / f"{args.name}.prompt")
        tests = source.with_name(source.stem + ".tests.yaml")
        config, loader_name, loader = export_promptfoo(pf, out, settings, tests)
        atomic_write(target, config)
        atomic_write(out / loader_name, loader)
    except LibraryError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    print(f"wrote {_rel(out / 'promptfooconfig.yaml')} and {_rel(out / loader_name)}")
    print("run it with: npx promptfoo eval (the loader needs `pip install dotpromptz`)")
    return 0
