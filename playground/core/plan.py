"""A run plan (what the user asked for), the one set of rules its parameters follow, and the
cells it expands into.

The rules live here so the command line, the config file, prompt files and the TUI hold a value
to the same bounds and say the same words about it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the template engine is heavy; rules and plans do not need it to load
    from playground.core.template import Message, PromptTemplate

MAX_REPEATS = 100
MAX_OUTPUT_TOKENS = 1_000_000  # no model writes more in one answer; a typo costs nothing
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1  # what every provider's JSON integer can carry

# name -> what a good value is, in the words every front end prints after the field's name
PARAM_RULES = {
    "temperature": "must be between 0 and 2",
    "top_p": "must be more than 0 and at most 1",
    "max_tokens": f"must be a positive integer, at most {MAX_OUTPUT_TOKENS}",
    "seed": f"must be an integer from {SEED_MIN} to {SEED_MAX}",
    "repeats": f"must be between 1 and {MAX_REPEATS}",
}


class PlanError(ValueError):
    """A plan that cannot be run as asked; the message is one line naming the field."""


def param_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the sampling parameter ``name`` (None when it can).

    One rule set for every front end (CLI flags, config ``[defaults]``, prompt files, TUI
    fields): the caller names the field its own way and appends this.
    """
    if name not in PARAM_RULES:
        raise KeyError(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return PARAM_RULES[name]
    if name in ("max_tokens", "seed", "repeats") and not isinstance(value, int):
        return PARAM_RULES[name]
    ok = {
        "temperature": lambda v: math.isfinite(v) and 0 <= v <= 2,
        "top_p": lambda v: math.isfinite(v) and 0 < v <= 1,
        "max_tokens": lambda v: 1 <= v <= MAX_OUTPUT_TOKENS,
        "seed": lambda v: SEED_MIN <= v <= SEED_MAX,
        "repeats": lambda v: 1 <= v <= MAX_REPEATS,
    }[name](value)
    return None if ok else PARAM_RULES[name]


@dataclass
class RunPlan:
    """One prompt across models × temperatures × repeats, with shared sampling params."""

    template: PromptTemplate
    variables: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=lambda: ["echo"])
    temperatures: list[float | None] = field(default_factory=lambda: [None])
    max_tokens: int | None = 512
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    repeats: int = 1
    use_cache: bool = True
    prompt_name: str | None = None  # the prompt file this came from, if any
    prompt_version: int | None = None
    # a prompt file's declared variable types (name -> Picoschema type): text values from
    # --var or the TUI are read as these (see library.coerce_variables)
    variable_types: dict[str, str] = field(default_factory=dict)
    # run-time conversation history (never part of a prompt file), placed as Dotprompt
    # places it: where {{history}} stands, else before the last user message
    history: list[Message] = field(default_factory=list)

    def validate(self) -> None:
        """Raise PlanError on the first value outside the rules (``param_problem``)."""
        if not self.models:
            raise PlanError("no model to run")
        if not self.temperatures:
            raise PlanError("no temperature to run at")
        checks: list[tuple[str, Any]] = [
            ("temperature", t) for t in self.temperatures if t is not None
        ]
        checks += [(n, getattr(self, n)) for n in ("max_tokens", "top_p", "seed")]
        checks.append(("repeats", self.repeats))
        for name, value in checks:
            if value is None and name != "repeats":
                continue
            problem = param_problem(name, value)
            if problem:
                raise PlanError(f"{name} {value!r}: {problem}")

    def render(self) -> list[Message]:
        """Rendered messages; raises MissingVariable/TemplateError on bad input."""
        return self.template.render(self.variables, history=self.history)

    def cells(self) -> list[Cell]:
        out: list[Cell] = []
        for model in self.models:
            for temperature in self.temperatures:
                for sample in range(1, self.repeats + 1):
                    out.append(Cell(len(out), model, temperature, sample))
        return out

    def params(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }

    def to_dict(self) -> dict[str, Any]:
        out = {
            "template": self.template.to_dict(),
            "variables": self.variables,
            "models": self.models,
            "temperatures": self.temperatures,
            "params": self.params(),
            "repeats": self.repeats,
            "prompt_name": self.prompt_name,
            "prompt_version": self.prompt_version,
        }
        if self.history:  # only then: a plan without history keeps its stored shape
            out["history"] = [{"role": m.role, "content": m.content} for m in self.history]
        return out


@dataclass(frozen=True)
class Cell:
    """One call in the matrix. ``index`` is its position; ``sample`` counts from 1."""

    index: int
    model: str
    temperature: float | None
    sample: int = 1


@dataclass
class CellResult:
    """Everything measured about one cell; the JSON contract's fields plus a few more."""

    cell: Cell
    id: int | str | None = None  # the response id in the store
    # pending | running | ok | error | cancelled | interrupted; pending with a batch_id: the
    # cell waits in a provider's batch job (`playground batches collect` fills it in)
    status: str = "pending"
    output: str = ""
    reasoning: str = ""
    error: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    usage_source: str | None = None  # provider | estimate
    estimated_input_tokens: int | None = None  # our own count, kept to calibrate estimates
    cost_usd: float | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    cached: bool = False
    model_used: str | None = None  # differs from cell.model when a fallback answered
    fallback_used: str | None = None
    attempts: int = 0
    request: dict[str, Any] | None = None  # the wire request, no secrets
    raw_response: str = ""  # the answering attempt's response as it came (capped), for inspect
    started_at: float | None = None
    ended_at: float | None = None
    batch_id: str | None = None  # the provider's batch job this cell waits in (or came from)

    @property
    def done(self) -> bool:
        return self.status in ("ok", "error", "cancelled", "interrupted")

    @property
    def tokens_per_s(self) -> float | None:
        if not self.output_tokens or self.latency_ms is None:
            return None
        span = self.latency_ms - (self.ttft_ms or 0)
        return self.output_tokens / (span / 1000) if span > 0 else None

    @classmethod
    def from_dict(cls, data: dict[str, Any], index: int = 0) -> CellResult:
        """A result from a store row (or ``to_json()``): the cell from cell_index (or index),
        model, temperature and sample; every other field by name, None meaning "not set".
        Times that are not numbers (the store's ISO stamps) are left unset."""
        cell = Cell(
            int(data.get("cell_index", data.get("index", index)) or index),
            data.get("model") or "?",
            data.get("temperature"),
            int(data.get("sample") or 1),
        )
        result = cls(cell=cell)
        for f in fields(cls):
            value = data.get(f.name)
            if f.name == "cell" or value is None:
                continue
            if f.name in ("started_at", "ended_at") and not isinstance(value, (int, float)):
                continue
            setattr(result, f.name, bool(value) if f.name == "cached" else value)
        return result

    def to_json(self) -> dict[str, Any]:
        """The cell object of `playground run --json` (DESIGN.md)."""
        return {
            "id": self.id,
            "model": self.cell.model,
            "temperature": self.cell.temperature,
            "sample": self.cell.sample,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "usage_source": self.usage_source,
            "cost_usd": self.cost_usd,
            "ttft_ms": _round(self.ttft_ms),
            "latency_ms": _round(self.latency_ms),
            "tokens_per_s": _round(self.tokens_per_s),
            "finish_reason": self.finish_reason,
            "cached": self.cached,
            "model_used": self.model_used,
            "fallback_used": self.fallback_used,
            "reasoning": self.reasoning or None,
            "batch_id": self.batch_id,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def cache_key(
    provider: str,
    endpoint: str,
    model: str,
    messages: list[Message],
    params: dict[str, Any],
    sample: int,
) -> str:
    """Identity of a call for the response cache: same key, same question."""
    payload = {
        "provider": provider,
        "endpoint": endpoint,
        "model": model,
        "messages": [asdict(m) for m in messages],
        "params": params,
        "sample": sample,
    }
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
