"""Assertions graded by a model: ``judge`` (a rubric) and ``similar`` with ``embedding:``.

Judge calls go through the runner like any cell, so they are cached (an unchanged eval
re-runs its judges free), retried, limited by concurrency and recorded (in a run of their
own: see ``JudgePlan``). The judge answers with a small JSON verdict; its pass/fail, score
and reason are recorded with the assertion.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from playground.core.evals.assertions import (
    SIMILAR_THRESHOLD,
    Context,
    Outcome,
    Unevaluable,
    finish,
    unevaluable,
)
from playground.core.evals.cases import AssertionSpec
from playground.core.plan import RunPlan
from playground.core.template import PromptTemplate

JUDGE_MAX_TOKENS = 400
JUDGE_SYSTEM = (
    "You grade a model's output against a rubric. Judge only what the rubric asks. "
    'Answer with one JSON object and nothing else: {"pass": true or false, '
    '"score": a number from 0 to 1, "reason": "one short sentence"}.'
)
JUDGE_USER = "Rubric:\n{{rubric}}\n\nThe output to grade:\n<output>\n{{output}}\n</output>"


@dataclass
class JudgePlan(RunPlan):
    """A call made to grade or vary a prompt (a judge, a paraphrase): the eval recorder
    files these under the eval's helper run, apart from the outputs being graded."""

    eval_role = "helper"


def judge_plan(model: str, rubric: str, output: str) -> JudgePlan:
    """The judge's prompt, with the rubric and output as variables (never as template text,
    so an output holding ``{{`` is graded as written)."""
    return JudgePlan(
        template=PromptTemplate.from_parts(JUDGE_SYSTEM, JUDGE_USER),
        variables={"rubric": rubric, "output": output},
        models=[model],
        temperatures=[0.0],
        max_tokens=JUDGE_MAX_TOKENS,
        prompt_name="judge",
    )


_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_WORD = re.compile(r"\b(pass|passed|fail|failed|yes|no)\b", re.IGNORECASE)


def parse_verdict(text: str) -> tuple[bool, float, str]:
    """(passed, score, reason) from a judge's answer: its JSON object, else a leading
    PASS/FAIL word. Anything else raises Unevaluable quoting the answer."""
    m = _OBJECT.search(text)
    if m:
        try:
            data = json.loads(m.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict):
            verdict = data.get("pass", data.get("passed"))
            score = data.get("score")
            if isinstance(score, bool) or not isinstance(score, (int, float)):
                score = None
            if not isinstance(verdict, bool) and score is None:
                raise Unevaluable(f"the judge's verdict has no pass or score: {_snippet(text)}")
            if score is not None:
                score = min(1.0, max(0.0, float(score)))
            if not isinstance(verdict, bool):
                verdict = score >= 0.5  # type: ignore[operator]
            if score is None:
                score = 1.0 if verdict else 0.0
            return verdict, score, str(data.get("reason") or "").strip()
    m = _WORD.search(text[:40])
    if m:
        verdict = m.group(1).lower() in ("pass", "passed", "yes")
        return verdict, 1.0 if verdict else 0.0, text[m.end() :].strip(" :.-\n")[:300]
    raise Unevaluable(f"the judge did not answer with a verdict: {_snippet(text)}")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return json.dumps(text[:120] + ("…" if len(text) > 120 else ""), ensure_ascii=False)


class ModelGrader:
    """Grades the assertions that need a model, through the eval's runner."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.judge_calls = 0
        self._embeddings: dict[tuple[str, str], list[float]] = {}

    async def grade(self, spec: AssertionSpec, ctx: Context, value: Any) -> Outcome:
        if spec.problem:
            return unevaluable(spec, spec.problem)
        try:
            if spec.type == "judge":
                passed, score, reason = await self._judge(spec, ctx, value)
            else:
                passed, score, reason = await self._semantic(spec, ctx, value)
        except Unevaluable as exc:
            return unevaluable(spec, str(exc))
        return finish(spec, passed, score, reason)

    async def _judge(
        self, spec: AssertionSpec, ctx: Context, rubric: str
    ) -> tuple[bool, float, str]:
        model = str(spec.options["model"])
        self.judge_calls += 1
        try:
            handle = self.runner.start(judge_plan(model, rubric, ctx.output))
        except Exception as exc:
            raise Unevaluable(f"judge {model}: {exc}") from None
        async for _ in handle.events():
            pass
        result = handle.results[0]
        if result.status != "ok":
            raise Unevaluable(f"judge {model} failed: {result.error or result.status}")
        passed, score, reason = parse_verdict(result.output)
        if spec.threshold is not None:
            passed = score >= spec.threshold
        return passed, score, f"judge {model}: {reason}" if reason else f"judge {model}"

    async def _semantic(
        self, spec: AssertionSpec, ctx: Context, value: Any
    ) -> tuple[bool, float, str]:
        model = str(spec.options["embedding"])
        refs = [value] if isinstance(value, str) else list(value)
        if not refs:
            raise Unevaluable("no reference text")
        vectors = await self.embed(model, [ctx.output, *refs])
        best = max(cosine(vectors[0], v) for v in vectors[1:])
        threshold = spec.threshold if spec.threshold is not None else SIMILAR_THRESHOLD
        return (
            best >= threshold,
            best,
            f"cosine similarity {best:.2f} ({model}, threshold {threshold:g})",
        )

    async def embed(self, model_id: str, texts: list[str]) -> list[list[float]]:
        """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint (kind openai),
        remembered for the run so a reference is embedded once."""
        from playground.core.providers import ProviderError, resolve

        try:
            provider, model = resolve(self.runner.providers, model_id)
        except ProviderError as exc:
            raise Unevaluable(str(exc)) from None
        if provider.kind != "openai":
            raise Unevaluable(
                f"embedding: {model_id}: embeddings need a provider of kind openai "
                f"({provider.name} is {provider.kind})"
            )
        missing = provider.missing_key_error()
        if missing:
            raise Unevaluable(missing.message)
        todo = [t for t in dict.fromkeys(texts) if (model_id, t) not in self._embeddings]
        if todo:
            url = provider.base_url.rstrip("/") + "/embeddings"
            try:
                response = await self.runner.client.post(
                    url,
                    json={"model": model, "input": todo},
                    headers=provider.headers(),
                    follow_redirects=False,
                )
            except Exception as exc:
                raise Unevaluable(f"embedding {model_id}: {type(exc).__name__}: {exc}") from None
            if response.status_code != 200:
                raise Unevaluable(f"embedding {model_id}: HTTP {response.status_code}")
            try:
                rows = sorted(response.json()["data"], key=lambda d: d.get("index", 0))
                vectors = [[float(x) for x in row["embedding"]] for row in rows]
            except (ValueError, KeyError, TypeError):
                raise Unevaluable(f"embedding {model_id}: not an embeddings answer") from None
            if len(vectors) != len(todo):
                raise Unevaluable(
                    f"embedding {model_id}: {len(vectors)} vectors for {len(todo)} texts"
                )
            for text, vector in zip(todo, vectors, strict=True):
                self._embeddings[(model_id, text)] = vector
        return [self._embeddings[(model_id, t)] for t in texts]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0
