"""Exporting a prompt file as a promptfoo config: its provider entry, its tests, and a loader
that renders the .prompt file with dotpromptz (so promptfoo sends what the playground sends)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from playground.library.errors import LibraryError
from playground.library.loading import read_utf8

LOADER = '''"""Renders the Playground prompt {label} for promptfoo with dotpromptz (pip install dotpromptz)."""

import asyncio
from pathlib import Path

from dotpromptz import Dotprompt
from dotpromptz.typing import DataArgument

PROMPT_FILE = Path(__file__).parent / {rel!r}


def render(context):
    source = PROMPT_FILE.read_text(encoding="utf-8")
    data = DataArgument(input=dict(context.get("vars") or {{}}))
    rendered = asyncio.run(Dotprompt().render(source, data))
    messages = []
    for m in rendered.messages:
        role = getattr(m.role, "value", m.role)
        text = "".join(getattr(p, "text", None) or "" for p in m.content)
        messages.append({{"role": "assistant" if role == "model" else role, "content": text}})
    return messages
'''


def promptfoo_provider(model: str, settings: Any, params: dict[str, Any]) -> dict[str, Any]:
    """A promptfoo provider entry for one of our model ids."""
    provider, _, name = model.partition(":")
    name = name or provider
    cfg = settings.providers.get(provider) if settings is not None else None
    kind = cfg.kind if cfg is not None else provider
    config: dict[str, Any] = {}
    for ours, theirs in (
        ("temperature", "temperature"),
        ("max_tokens", "max_tokens"),
        ("top_p", "top_p"),
        ("seed", "seed"),
        ("stop", "stop"),
    ):
        if params.get(ours) not in (None, []):
            config[theirs] = params[ours]
    if provider == "echo" or kind == "echo":
        return {"id": "echo"}
    if provider == "openrouter":
        entry: dict[str, Any] = {"id": f"openrouter:{name}"}
    elif kind == "openai":
        entry = {"id": f"openai:chat:{name}"}
    elif kind == "anthropic":
        entry = {"id": f"anthropic:messages:{name}"}
    elif kind == "gemini":
        entry = {"id": f"google:{name}"}
        if "max_tokens" in config:
            config["maxOutputTokens"] = config.pop("max_tokens")
    elif kind == "ollama":
        entry = {"id": f"ollama:chat:{name}"}
    else:
        entry = {"id": model}
    builtin = provider in ("openai", "anthropic", "gemini", "openrouter", "ollama")
    if cfg is not None and not builtin and kind in ("openai", "anthropic"):
        config["apiBaseUrl"] = cfg.base_url
        if cfg.api_key_env:
            config["apiKeyEnvar"] = cfg.api_key_env
    if config:
        entry["config"] = config
    return entry


def export_promptfoo(
    prompt: Any, out_dir: Path, settings: Any = None, tests_file: Path | None = None
) -> tuple[str, str, str]:
    """(config YAML, loader file name, loader source) for a loaded PromptFile."""
    if prompt.path is None:
        raise LibraryError("export needs a prompt loaded from a file")
    loader_name = prompt.name.replace("/", "_") + "_prompt.py"
    rel = os.path.relpath(Path(prompt.path).resolve(), Path(out_dir).resolve())
    config: dict[str, Any] = {
        "description": f"{prompt.label} (exported from Prompt Playground)",
        "prompts": [{"id": f"file://{loader_name}:render", "label": prompt.label}],
        "providers": [promptfoo_provider(prompt.model or "echo", settings, prompt.params())],
    }
    default_test: dict[str, Any] = {}
    if prompt.variables:
        default_test["vars"] = dict(prompt.variables)
    tests: Any = None
    if tests_file is not None and tests_file.is_file():
        try:
            data = yaml.safe_load(read_utf8(tests_file))
        except yaml.YAMLError as exc:
            raise LibraryError(f"invalid YAML: {exc}", tests_file) from None
        if isinstance(data, dict):
            defaults = data.get("defaults") or {}
            if isinstance(defaults, dict):
                for key, value in defaults.items():
                    if key == "vars" and isinstance(value, dict):
                        default_test["vars"] = {**default_test.get("vars", {}), **value}
                    else:
                        default_test[key] = value
            tests = data.get("cases") or []
        elif isinstance(data, list):
            tests = data
    if default_test:
        config["defaultTest"] = default_test
    if tests:
        config["tests"] = tests
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)
    return text, loader_name, LOADER.format(label=prompt.label, rel=rel)
