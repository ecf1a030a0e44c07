"""A prompt read from another tool's format (``Imported``, ready for promote), and what the
importers share: carrying over sampling options, model ids, YAML front matter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from playground.core.template import PromptTemplate
from playground.library.errors import LibraryError
from playground.library.params import param_problem


@dataclass
class Imported:
    """A prompt read from another format, ready for promote()."""

    template: PromptTemplate
    model: str | None = None
    params: dict[str, Any] = field(
        default_factory=dict
    )  # temperature, max_tokens, top_p, seed, stop
    variables: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


_PARAM_NAMES = {
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "maxTokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "maxOutputTokens": "max_tokens",
    "top_p": "top_p",
    "topP": "top_p",
    "seed": "seed",
    "stop": "stop",
    "stop_sequences": "stop",
}


def carry_params(options: Any, imported: Imported, where: str, section: str) -> None:
    """Carry over the sampling options we know, refusing values of the wrong type."""
    if options is None:
        return
    if not isinstance(options, dict):
        raise LibraryError(f"{section} must be a mapping of option: value", where)
    for key, value in options.items():
        ours = _PARAM_NAMES.get(key)
        if ours is None:
            imported.warnings.append(f"{where}: option {key!r} is not carried over")
            continue
        problem = param_problem(ours, value)
        if problem:
            raise LibraryError(f"{section}.{key} {problem}", where)
        if ours == "stop":
            value = [value] if isinstance(value, str) else list(value or [])
        imported.params[ours] = value


def model_id(model: str, provider: str | None = None) -> str:
    """Our provider:model id for another tool's model name."""
    if ":" in model:
        return model
    provider = (provider or "").lower()
    if provider in ("anthropic", "gemini", "ollama", "openrouter", "openai"):
        return f"{provider}:{model}"
    if provider in ("azure_openai", "azure"):
        return f"openai:{model}"
    if provider in ("google", "googleai", "vertexai"):
        return f"gemini:{model}"
    low = model.lower()
    if low.startswith("claude"):
        return f"anthropic:{model}"
    if low.startswith("gemini"):
        return f"gemini:{model}"
    return f"openai:{model}"


def front_matter(text: str, where: str) -> tuple[dict[str, Any], str, int]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            head = "".join(lines[1:i])
            try:
                data = yaml.safe_load(head) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = mark.line + 2 if mark is not None else 2
                raise LibraryError(
                    f"invalid YAML: {getattr(exc, 'problem', None) or exc}", where, line
                ) from None
            if not isinstance(data, dict):
                raise LibraryError("front matter must be a mapping", where, 2)
            return data, "".join(lines[i + 1 :]), i + 2
    raise LibraryError("front matter has no closing ---", where, 1)
