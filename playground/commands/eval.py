"""`playground eval`: a prompt's test cases on every model × temperature, graded, for CI.

Exit 0 when every result passes (or each row's pass rate meets --threshold), 1 when not or
when an assertion could not be evaluated, 2 when the tests file or dataset cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from playground.commands.common import UsageError, command_parser, fail, load_settings_or_fail

FAILURES_SHOWN = 20  # in the text report; --json has every result


def add_parser(sub: Any, name: str) -> None:
    parser = command_parser(sub, name, "run a prompt's test cases and grade every output")
    parser.add_argument("prompt_file", metavar="PROMPT_FILE|NAME", help="a .prompt file or NAME")
    parser.add_argument("--tests", metavar="FILE", help="the tests file (default NAME.tests.yaml)")
    parser.add_argument(
        "--cases", metavar="FILE", help="cases from a dataset (.csv, .jsonl, .yaml rows of vars)"
    )
    parser.add_argument("-m", "--model", action="append", metavar="PROVIDER:MODEL")
    parser.add_argument("-t", "--temperature", action="append", metavar="T")
    parser.add_argument("--repeat", type=int, default=None, metavar="N", help="samples per cell")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        metavar="R",
        help="pass when each model × temperature passes at least this share (0-1)",
    )
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--format", choices=["text", "md"], default="text")
    parser.add_argument("--junit", metavar="FILE", help="also write JUnit XML (for CI)")
    parser.add_argument(
        "--baseline", metavar="LABEL", help="also run the labelled version; fail on a regression"
    )
    parser.add_argument(
        "--perturb", type=int, default=0, metavar="N", help="N variations of the prompt per case"
    )
    parser.add_argument("--perturb-seed", type=int, default=1, metavar="S")
    parser.add_argument("--paraphrase-model", metavar="MODEL", help="also paraphrases by MODEL")
    parser.add_argument("--paraphrases", type=int, default=2, metavar="K")
    parser.add_argument("--budget", type=float, default=None, metavar="USD")
    parser.add_argument("--yes", action="store_true", help="run even when over budget")
    parser.add_argument("--no-cache", action="store_true", help="always call the models")
    parser.add_argument(
        "--batch",
        action="store_true",
        help="send the cases' cells to the providers' batch APIs (half price); once "
        "`playground batches collect` has them, eval again grades them from the store",
    )
    parser.set_defaults(func=eval_command)


# -- setting up ----------------------------------------------------------------------------


def load_target(args: argparse.Namespace, settings: Any, version: int | None = None) -> Any:
    """(PromptFile, RunPlan) for the prompt argument (``version``: NAME's vN)."""
    from playground.commands.planargs import checked_text, parse_temperature, refuse_file_ranges
    from playground.commands.promptfile import plan_from_prompt_file
    from playground.config import model_id_problem
    from playground.library import LibraryError, load_prompt

    try:
        if version is None:
            pf = load_prompt(args.prompt_file, settings.prompts_dir())
            plan = plan_from_prompt_file(args.prompt_file, settings)
        else:
            pf = load_prompt(args.prompt_file, settings.prompts_dir(), version=version)
            plan = plan_from_prompt_file(str(pf.path), settings)
    except LibraryError as exc:
        raise UsageError(str(exc)) from None
    if args.model:
        plan.models = list(dict.fromkeys(checked_text("-m", m) for m in args.model))
    if args.temperature:
        plan.temperatures = list(dict.fromkeys(parse_temperature(t) for t in args.temperature))
    if args.repeat is not None:
        if not 1 <= args.repeat <= 100:
            raise UsageError("--repeat must be between 1 and 100")
        plan.repeats = args.repeat
    plan.use_cache = not args.no_cache
    refuse_file_ranges(plan, args.prompt_file, settings)
    for model in plan.models:
        problem = model_id_problem(model, settings.providers)
        if problem:
            raise UsageError(f"{'-m ' + model if args.model else repr(model)}: {problem}")
    return pf, plan


def load_suite_for(args: argparse.Namespace, pf: Any) -> Any:
    from playground.core.evals.cases import TestSuite, load_suite, tests_path_for

    if args.tests:
        suite = load_suite(Path(args.tests))
    else:
        path = tests_path_for(pf.path)
        if path is not None and path.is_file():
            suite = load_suite(path)
        elif args.cases:
            suite = TestSuite(None)
        else:
            raise UsageError(
                f"no tests for {pf.name}: write {path or 'NAME.tests.yaml'}, or give --tests "
                "FILE or --cases FILE"
            )
    if args.cases:
        suite = suite.with_dataset(Path(args.cases))
    return suite


def check_args(args: argparse.Namespace) -> None:
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        raise UsageError(f"--threshold {args.threshold:g}: a pass rate from 0 to 1")
    if not 0 <= args.perturb <= 100:
        raise UsageError("--perturb must be between 0 and 100")
    if args.paraphrases < 0 or args.paraphrases > 20:
        raise UsageError("--paraphrases must be between 0 and 20")


# -- the command ---------------------------------------------------------------------------


def eval_command(args: argparse.Namespace) -> int:
    from playground.commands.common import open_recorder
    from playground.core.evals.cases import TestsFileError

    settings = load_settings_or_fail(args)
    try:
        check_args(args)
        pf, plan = load_target(args, settings)
        suite = load_suite_for(args, pf)
        total_cases = suite.count()
        baseline = None
        if args.baseline:
            baseline = load_baseline(args, settings, pf)
        eval_budget_guard(
            settings, plan, suite, args, extra_plans=[baseline[1]] if baseline else []
        )
    except (UsageError, TestsFileError) as exc:
        fail(str(exc))
    if args.batch and (args.perturb or args.baseline):
        fail("--batch: not with --perturb or --baseline (eval again once collected)")
    store = open_recorder(settings)
    if args.batch:
        from playground.commands.batches import submit_eval

        try:
            return submit_eval(settings, store, args, plan, suite)
        finally:
            store.close()
    try:
        outcome = run_eval(settings, store, args, pf, plan, suite, total_cases)
        base_outcome = None
        if baseline is not None:
            bpf, bplan, label = baseline
            base_outcome = run_eval(
                settings,
                store,
                args,
                bpf,
                bplan,
                suite,
                total_cases,
                baseline_label=label,
                baseline_of=outcome.run_id,
                quiet_perturb=True,
            )
        return report(store, args, pf, outcome, base_outcome)
    finally:
        store.close()


class Outcome:
    """What one eval run left: its run ids, tally and warnings."""

    def __init__(
        self,
        run_id: Any,
        helper_run_id: Any,
        tally: Any,
        interrupted: bool,
        warnings: list[str],
        store_error: str | None,
        variations: list[Any],
    ) -> None:
        self.run_id = run_id
        self.helper_run_id = helper_run_id
        self.tally = tally
        self.interrupted = interrupted
        self.warnings = warnings
        self.store_error = store_error
        self.variations = variations


def run_eval(
    settings: Any,
    store: Any,
    args: argparse.Namespace,
    pf: Any,
    plan: Any,
    suite: Any,
    total_cases: int,
    *,
    baseline_label: str | None = None,
    baseline_of: Any = None,
    quiet_perturb: bool = False,
) -> Outcome:
    from playground.core.evals.report import Tally
    from playground.store.eval_recording import EvalRecorder

    recorder = EvalRecorder(store)
    keys = [(m, t) for m in plan.models for t in plan.temperatures]
    tally = Tally(keys, plan.repeats)
    warnings: list[str] = []
    state = {"interrupted": False}

    def on_case(run: Any) -> None:
        tally.add(run)
        recorder.add_case(run)
        progress.update(tally)

    from playground.library import coerce_variables

    def coerce(values: dict[str, Any]) -> dict[str, Any]:
        return coerce_variables(values, plan.variable_types) if plan.variable_types else values

    progress = Progress(total_cases, enabled=sys.stderr.isatty() and not args.json)

    async def main() -> list[Any]:
        from playground.core.evals.engine import EvalEngine
        from playground.core.evals.variations import make_variations, paraphrase_variations
        from playground.core.runner import Runner

        runner = Runner(settings, recorder=recorder)
        try:
            variations = []
            if args.perturb and not quiet_perturb:
                variations = make_variations(plan.template, args.perturb, args.perturb_seed)
                if args.paraphrase_model:
                    extra, notes = await paraphrase_variations(
                        runner,
                        plan.template,
                        args.paraphrase_model,
                        args.paraphrases,
                        args.perturb_seed,
                    )
                    variations += extra
                    warnings.extend(notes)
            engine = EvalEngine(
                runner,
                plan,
                folder=suite.folder,
                workspace=settings.workspace,
                coerce=coerce,
                variations=variations,
                original_latency=recorder.original_figures,
            )
            _cancel_on_ctrl_c(engine, state)
            await engine.run(suite.cases(), on_case)
            return variations
        finally:
            await runner.aclose()

    try:
        variations = asyncio.run(main())
    finally:
        progress.done()
        recorder.close()
    recorder.save(
        pf,
        suite,
        tally.summary(),
        perturb=len(variations) or None,
        perturb_seed=args.perturb_seed if variations else None,
        baseline_of=baseline_of,
        label=baseline_label,
    )
    return Outcome(
        recorder.run_id,
        recorder.helper_run_id,
        tally,
        state["interrupted"],
        warnings,
        recorder.error,
        variations,
    )


class Progress:
    """One line on stderr while cases run (only on a terminal)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._last = 0.0

    def update(self, tally: Any) -> None:
        if not self.enabled:
            return
        import time

        now = time.monotonic()
        if now - self._last < 0.1 and tally.cases < self.total:
            return
        self._last = now
        failed = sum(r.total - r.passed for r in tally.rows.values())
        sys.stderr.write(f"\r\x1b[Keval: {tally.cases}/{self.total} cases, {failed} failed")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _cancel_on_ctrl_c(engine: Any, state: dict[str, Any]) -> None:
    import contextlib
    import signal

    loop = asyncio.get_running_loop()

    def cancel() -> None:
        state["interrupted"] = True
        engine.cancel()
        loop.remove_signal_handler(signal.SIGINT)

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, cancel)


# -- budget --------------------------------------------------------------------------------

ESTIMATED_CASES = 50  # cases estimated one by one; the rest extrapolated from them


def eval_budget_guard(
    settings: Any, plan: Any, suite: Any, args: argparse.Namespace, extra_plans: list[Any]
) -> None:
    """Refuse an eval whose worst case (every case's cells, variations and judge calls)
    costs more than the budget, unless --yes."""
    limit = args.budget if args.budget is not None else settings.defaults.budget_usd
    if limit is None:
        return
    if not limit >= 0:
        raise UsageError(f"--budget {limit:g}: a budget is a cost in USD, 0 or more")
    worst, unpriced = estimate_eval(settings, [plan, *extra_plans], suite, args)
    from playground.commands.budget import warn_unpriced
    from playground.render.figures import format_cost

    if worst <= limit:
        warn_unpriced(unpriced)
        return
    if args.yes:
        warn_unpriced(unpriced)
        print(
            f"playground: worst case {format_cost(worst)} is over the budget of "
            f"{format_cost(limit)}; running anyway (--yes)",
            file=sys.stderr,
        )
        return
    raise UsageError(
        f"eval worst case {format_cost(worst)} (cases, variations and judge calls) is over the "
        f"budget of {format_cost(limit)}: add --yes to run anyway, or fewer cases or models"
    )


def estimate_eval(
    settings: Any, plans: list[Any], suite: Any, args: argparse.Namespace
) -> tuple[float, list[str]]:
    """(worst-case USD, unpriced models) of an eval: per case plan, times variations, plus a
    judge call per judge assertion per cell (its input: rubric and a worst-case output)."""
    from dataclasses import replace

    from playground.core.estimate import Estimator
    from playground.core.evals.judges import judge_plan

    estimator = Estimator(settings)
    worst = 0.0
    unpriced: set[str] = set()
    runs = 1 + (args.perturb or 0) + (args.paraphrases if args.paraphrase_model else 0)
    try:
        total = suite.count()
        seen = 0
        sample = 0.0
        for case in suite.cases():
            if seen >= ESTIMATED_CASES:
                break
            seen += 1
            if case.problem:
                continue
            for plan in plans:
                case_plan = replace(plan, variables={**plan.variables, **case.vars})
                est = estimator.estimate(case_plan)
                unpriced.update(est.unpriced)
                sample += (est.max_cost_usd or 0.0) * runs
                cells = len(case_plan.cells())
                for spec in case.asserts:
                    if spec.type != "judge" or spec.problem:
                        continue
                    filler = "word " * (plan.max_tokens or 512)
                    jest = estimator.estimate(
                        judge_plan(spec.options["model"], str(spec.value), filler)
                    )
                    unpriced.update(jest.unpriced)
                    sample += (jest.max_cost_usd or 0.0) * cells * runs
        worst = sample * (total / seen) if seen else 0.0
    finally:
        estimator.close()
    return worst, sorted(unpriced)


# -- baseline ------------------------------------------------------------------------------


def load_baseline(args: argparse.Namespace, settings: Any, pf: Any) -> tuple[Any, Any, str]:
    from playground.library import LibraryError
    from playground.library.labels import read_labels

    try:
        labels = read_labels(settings.prompts_dir(), pf.name)
    except LibraryError as exc:
        raise UsageError(str(exc)) from None
    version = labels.get(args.baseline)
    if version is None:
        known = ", ".join(sorted(labels)) or "none yet"
        raise UsageError(
            f"--baseline {args.baseline}: {pf.name} has no such label (labels: {known}); "
            f"set one with: playground prompts label {pf.name} {args.baseline} vN"
        )
    bpf, bplan = load_target(args, settings, version=version)
    return bpf, bplan, args.baseline


def baseline_comparison(store: Any, run_a: Any, run_b: Any) -> list[dict[str, Any]]:
    """Per model × temperature: the paired test of baseline (A) against current (B)."""
    from playground.core.evals.stats import mcnemar, samples_needed
    from playground.store.evals import iter_results

    def verdicts(run_id: Any) -> dict[tuple[Any, ...], bool]:
        return {
            (r["model"], r["temperature"], r["case"], r["sample"]): r["passed"]
            for r in iter_results(store, run_id, variations=False)
        }

    a, b = verdicts(run_a), verdicts(run_b)
    rows: dict[tuple[str, Any], list[tuple[bool, bool]]] = {}
    for key, passed_b in b.items():
        if key in a:
            rows.setdefault((key[0], key[1]), []).append((a[key], passed_b))
    out = []
    for (model, temperature), pairs in rows.items():
        test = mcnemar(pairs)
        out.append(
            {
                "model": model,
                "temperature": temperature,
                "pairs": test.pairs,
                "baseline_passed": sum(p[0] for p in pairs),
                "current_passed": sum(p[1] for p in pairs),
                "only_baseline": test.only_a,
                "only_current": test.only_b,
                "p_value": round(test.p_value, 6),
                "regression": test.significant and test.direction < 0,
                "improvement": test.significant and test.direction > 0,
                "more_samples": samples_needed(test),
            }
        )
    return out


# -- the report ----------------------------------------------------------------------------


def report(
    store: Any, args: argparse.Namespace, pf: Any, outcome: Outcome, base: Outcome | None
) -> int:
    from playground.core.evals.report import (
        failure_lines,
        fragility_lines,
        junit_xml,
        rows_meet,
        summary_lines,
    )
    from playground.store.evals import iter_results

    summary = outcome.tally.summary()
    comparison = None
    if base is not None and base.run_id is not None and outcome.run_id is not None:
        comparison = baseline_comparison(store, base.run_id, outcome.run_id)
    ok = outcome.tally.errors == 0 and rows_meet(summary, args.threshold)
    if comparison is not None and any(row["regression"] for row in comparison):
        ok = False
    if outcome.run_id is not None and args.junit:
        try:
            Path(args.junit).write_text(
                junit_xml(pf.label, iter_results(store, outcome.run_id), summary),
                encoding="utf-8",
            )
        except OSError as exc:
            print(
                f"playground: --junit {args.junit}: cannot write: {exc.strerror or exc}",
                file=sys.stderr,
            )
    for warning in outcome.warnings:
        print(f"playground: warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json(store, outcome, base, summary, comparison, pf)
    else:
        md = args.format == "md"
        out = sys.stdout
        cases = outcome.tally.cases
        head = f"eval {pf.label}: {cases} case{'s' if cases != 1 else ''}"
        head += f", run {outcome.run_id}" if outcome.run_id is not None else ""
        out.write(("## " if md else "") + head + "\n\n")
        out.write("\n".join(summary_lines(summary, md)) + "\n")
        if outcome.variations:
            out.write("\n### Fragility\n\n" if md else "\nfragility\n")
            out.write("\n".join(fragility_lines(outcome.tally.fragility_rows())) + "\n")
        if comparison is not None and base is not None:
            out.write(
                f"\n{'### ' if md else ''}against {args.baseline} (v{base_version(store, base)}, run {base.run_id})\n"
            )
            for row in comparison:
                verdict = (
                    "REGRESSION"
                    if row["regression"]
                    else "improvement"
                    if row["improvement"]
                    else "no significant change"
                )
                more = ""
                if not row["regression"] and not row["improvement"] and row["more_samples"]:
                    more = f"; needs ~{row['more_samples']} more samples to tell"
                out.write(
                    f"{'- ' if md else '  '}{row['model']} t={row['temperature']}: "
                    f"{row['baseline_passed']}/{row['pairs']} → {row['current_passed']}/"
                    f"{row['pairs']}, p={row['p_value']:.3g}: {verdict}{more}\n"
                )
        if outcome.run_id is not None:
            shown = 0
            failures = iter_results(store, outcome.run_id, variations=False, failed_only=True)
            lines: list[str] = []
            for result in failures:
                shown += 1
                if shown <= FAILURES_SHOWN:
                    lines += failure_lines(result, md)
            if shown:
                out.write(f"\n{'### ' if md else ''}failures ({shown})\n")
                out.write("\n".join(lines) + "\n")
                if shown > FAILURES_SHOWN:
                    out.write(f"… and {shown - FAILURES_SHOWN} more (--json has them all)\n")
    if outcome.tally.errors:
        print(
            f"playground: {outcome.tally.errors} result(s) could not be evaluated; first: "
            f"{outcome.tally.first_error}",
            file=sys.stderr,
        )
    if outcome.store_error:
        print(
            f"playground: warning: the eval was not fully recorded: {outcome.store_error}",
            file=sys.stderr,
        )
    if outcome.interrupted:
        print("playground: interrupted", file=sys.stderr)
        return 130
    return 0 if ok else 1


def base_version(store: Any, base: Outcome) -> Any:
    from playground.store.evals import get_eval

    row = get_eval(store, base.run_id) or {}
    return row.get("prompt_version")


def _print_json(
    store: Any,
    outcome: Outcome,
    base: Outcome | None,
    summary: list[dict[str, Any]],
    comparison: list[dict[str, Any]] | None,
    pf: Any,
) -> None:
    """The DESIGN shape, results streamed from the store (a 10,000-case eval is printed
    without holding it all in memory)."""
    from playground.store.eval_recording import prompt_hash
    from playground.store.evals import iter_results

    out = sys.stdout
    head: dict[str, Any] = {
        "run_id": outcome.run_id,
        "prompt": {"name": pf.name, "version": pf.version, "hash": prompt_hash(pf)},
        "summary": summary,
    }
    if outcome.variations:
        head["fragility"] = outcome.tally.fragility_rows()
        head["variations"] = [v.to_json(pf.template) for v in outcome.variations]
    if base is not None:
        head["baseline"] = {
            "run_id": base.run_id,
            "summary": base.tally.summary(),
            "comparison": comparison,
        }
    if outcome.helper_run_id is not None:
        head["judge_run_id"] = outcome.helper_run_id
    if outcome.store_error:
        head["store_error"] = outcome.store_error
    text = json.dumps(head, ensure_ascii=False, indent=2)
    out.write(text[:-2] + ',\n  "results": [')
    first = True
    if outcome.run_id is not None:
        for result in iter_results(store, outcome.run_id):
            for extra in ("cell_index", "input_tokens", "output_tokens", "cost_usd", "latency_ms"):
                result.pop(extra, None)
            out.write(("\n    " if first else ",\n    ") + json.dumps(result, ensure_ascii=False))
            first = False
    out.write("\n  ]\n}\n")
