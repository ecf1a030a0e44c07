"""The prompt flags `run` and `estimate` share, and turning them into a RunPlan."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from playground.commands.common import UsageError, not_utf8_arg


def add_prompt_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "prompt_file",
        nargs="?",
        metavar="PROMPT_FILE",
        help="a .prompt file (its model and config become the defaults)",
    )
    parser.add_argument(
        "-p",
        "--prompt",
        metavar="TEXT",
        help="the user message (a Handlebars template); '-' reads stdin",
    )
    parser.add_argument("-s", "--system", metavar="TEXT", help="the system message")
    parser.add_argument(
        "-m",
        "--model",
        action="append",
        metavar="PROVIDER:MODEL",
        help="a model to run (repeatable)",
    )
    parser.add_argument(
        "-t",
        "--temperature",
        action="append",
        type=str,
        metavar="T",
        help="a temperature (repeatable)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template variable (repeatable)",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, metavar="N", help="samples per model and temperature"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=None, metavar="N", help="output token limit per call"
    )
    parser.add_argument("--top-p", type=float, default=None, metavar="P")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--stop", action="append", default=None, metavar="TEXT", help="a stop sequence (repeatable)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="USD",
        help="refuse a run whose worst case costs more",
    )
    parser.add_argument(
        "--history",
        metavar="FILE",
        help="conversation history: a JSON list of {role, content}, placed where Dotprompt "
        "places it ({{history}}, else before the last user message)",
    )
    parser.add_argument("--yes", action="store_true", help="run even when over budget")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def checked_text(flag: str, value: str) -> str:
    """The value, or UsageError when it holds bytes that are not UTF-8.

    Python keeps such bytes from argv and stdin as lone surrogates; they would only fail
    later, deep in the store, as a traceback.
    """
    problem = not_utf8_arg(value)
    if problem:
        raise UsageError(f"{flag}: {problem}")
    return value


def read_stdin() -> str:
    """The prompt from stdin, decoded strictly as UTF-8 (whatever the locale says)."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, str):
        return checked_text("-p -", data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"-p -: stdin is not valid UTF-8 text (byte 0x{data[exc.start]:02x} "
            f"at offset {exc.start})"
        ) from None


def parse_vars(items: list[str]) -> dict[str, str]:
    from playground.core.varfile import VarFileError, read_var_value

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var {checked_text('--var', item)!r}: expected NAME=VALUE")
        flag = f"--var {checked_text('--var', name.strip())}"
        if value.startswith("@") and not value.startswith("@@"):
            checked_text(flag, value[1:])
        try:
            value = read_var_value(value)
        except VarFileError as exc:
            raise UsageError(f"{flag}: {exc}") from None
        out[name.strip()] = checked_text(flag, value)
    return out


def read_history(path: str) -> list[Any]:
    """``--history FILE``: a JSON list of ``{role, content}``; UsageError in one line."""
    import json

    from playground.core.template import TemplateError, history_messages

    flag = f"--history {checked_text('--history', path)}"
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{flag}: not valid UTF-8 text (offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag}: not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, list):
        raise UsageError(f"{flag}: must be a JSON list of {{role, content}} objects")
    try:
        return history_messages(data)
    except TemplateError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def parse_temperature(text: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise UsageError(f"-t {text!r}: a temperature is a number like 0.7") from None
    return checked_param("-t", "temperature", t, text)


def checked_param(flag: str, name: str, value: Any, typed: str | None = None) -> Any:
    """The value, or UsageError naming the flag when RunPlan's rules refuse it."""
    from playground.core.plan import param_problem

    problem = param_problem(name, value)
    if problem:
        raise UsageError(f"{flag} {typed if typed is not None else value}: {name} {problem}")
    return value


def refuse_file_ranges(plan: Any, prompt_file: str, settings: Any) -> None:
    """A prompt file loads with a config value out of range; it does not run with it (the
    flags are checked already, so what is out of range here came from the file)."""
    from playground.library.frontmatter import CONFIG_KEYS
    from playground.library.params import run_problem

    values = [("temperature", t) for t in plan.temperatures]
    values += [(name, getattr(plan, name)) for name in ("top_p", "max_tokens", "seed")]
    for name, value in values:
        problem = run_problem(name, value, CONFIG_KEYS[name], plan.models, settings)
        if problem:
            raise UsageError(f"{prompt_file}: {problem}")


def plan_from_args(args: argparse.Namespace, settings: Any) -> Any:
    """Build the RunPlan; raises UsageError with a one-line reason on bad input."""
    from playground.core.plan import RunPlan
    from playground.core.template import PromptTemplate

    base: RunPlan | None = None
    if args.prompt_file:
        from playground.commands.promptfile import plan_from_prompt_file

        base = plan_from_prompt_file(args.prompt_file, settings)
    user = args.prompt
    if user == "-":
        user = read_stdin()
        if not user.strip():
            raise UsageError("-p -: stdin held no prompt (it was empty or blank)")
    elif user is not None:
        checked_text("-p", user)
        if not user.strip():
            raise UsageError("-p: the prompt is empty (give the user message's text)")
    if args.system is not None:
        checked_text("-s", args.system)
    if base is None and user is None:
        raise UsageError("no prompt: give -p TEXT (or -p - for stdin) or a prompt file")
    if base is None:
        template = PromptTemplate.from_parts(args.system or "", user or "")
        plan = RunPlan(
            template=template,
            models=list(settings.defaults.models),
            temperatures=list(settings.defaults.temperatures),
            max_tokens=settings.defaults.max_tokens,
        )
    else:
        plan = base
        if user is not None or args.system is not None:
            plan.template = PromptTemplate.from_parts(
                args.system if args.system is not None else plan.template.system,
                user if user is not None else plan.template.user,
            )
    if args.model:
        plan.models = list(dict.fromkeys(checked_text("-m", m) for m in args.model))
    if args.temperature:
        plan.temperatures = list(dict.fromkeys(parse_temperature(t) for t in args.temperature))
    if args.max_tokens is not None:
        plan.max_tokens = checked_param("--max-tokens", "max_tokens", args.max_tokens)
    if args.repeat is not None:
        plan.repeats = checked_param("--repeat", "repeats", args.repeat)
    if args.top_p is not None:
        plan.top_p = checked_param("--top-p", "top_p", args.top_p, f"{args.top_p:g}")
    if args.seed is not None:
        plan.seed = checked_param("--seed", "seed", args.seed)
    if args.stop:
        plan.stop = [checked_text("--stop", s) for s in args.stop]
    if args.history is not None:
        plan.history = read_history(args.history)
    plan.variables = {**plan.variables, **parse_vars(args.var)}
    if plan.variable_types:  # --formal=false is false when the file says formal is a boolean
        from playground.library import coerce_variables

        plan.variables = coerce_variables(plan.variables, plan.variable_types)
    if base is not None:
        refuse_file_ranges(plan, args.prompt_file, settings)
    from playground.config import model_id_problem

    for model in plan.models:
        problem = model_id_problem(model, settings.providers)
        if problem:
            where = f"-m {model}" if args.model else f"model {model!r}"
            raise UsageError(f"{where}: {problem}")
    from playground.core.plan import PlanError

    try:  # values from the config or a prompt file, held to the same rules as the flags
        plan.validate()
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    return plan


def rendered(plan: Any) -> list[Any]:
    """The plan's messages; UsageError for a missing variable or when nothing is left to send
    (every message blank once its variables are filled in)."""
    from playground.core.template import TemplateError

    try:
        messages = plan.render()
    except TemplateError as exc:
        raise UsageError(str(exc)) from None
    if not any(m.content.strip() for m in messages if m.role != "system"):
        raise UsageError("the prompt is empty once its variables are filled in: nothing to send")
    return messages
