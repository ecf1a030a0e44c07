"""A run plan (what the user asked for) and the cells it expands into."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from playground.core.template import Message, PromptTemplate


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

    def render(self) -> list[Message]:
        """Rendered messages; raises MissingVariable/TemplateError on bad input."""
        return self.template.render(self.variables)

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
        return {
            "template": self.template.to_dict(),
            "variables": self.variables,
            "models": self.models,
            "temperatures": self.temperatures,
            "params": self.params(),
            "repeats": self.repeats,
            "prompt_name": self.prompt_name,
            "prompt_version": self.prompt_version,
        }


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
    status: str = "pending"  # pending | running | ok | error | cancelled | interrupted
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
