"""Other tools' prompt formats: import Prompty (.prompty) and `llm` YAML templates; export a
promptfoo config that renders the .prompt file with dotpromptz."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from playground.core.template import Message, PromptTemplate
from playground.library.errors import LibraryError
from playground.library.loading import read_utf8
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


# ---------------------------------------------------------------- shared

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


def _params(options: Any, imported: Imported, where: str, section: str) -> None:
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


def _model_id(model: str, provider: str | None = None) -> str:
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


def _front_matter(text: str, where: str) -> tuple[dict[str, Any], str, int]:
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


# ---------------------------------------------------------------- Prompty

_PROMPTY_ROLE = re.compile(r"^[ \t]*#?[ \t]*(system|user|assistant)[ \t]*:[ \t]*$", re.I | re.M)
_JINJA_STMT = re.compile(r"\{%-?\s*(.*?)\s*-?%\}", re.S)
_JINJA_VAR = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)


def _jinja_to_handlebars(text: str, where: str) -> str:
    """The Jinja subset Prompty files use (variables, if/else, for) as Handlebars."""

    def var(m: re.Match[str]) -> str:
        expr = m.group(1)
        if not re.fullmatch(r"[A-Za-z_][\w.]*", expr):
            raise LibraryError(
                f"Jinja expression {{{{ {expr} }}}} has no Handlebars equivalent", where
            )
        return "{{" + expr + "}}"

    text = _JINJA_VAR.sub(var, text)
    loops: list[str] = []
    out: list[str] = []
    pos = 0
    for m in _JINJA_STMT.finditer(text):
        out.append(text[pos : m.start()])
        stmt = m.group(1)
        words = stmt.split()
        head = words[0] if words else ""
        if head == "if" and len(words) == 2:
            out.append("{{#if " + words[1] + "}}")
        elif head == "else" and len(words) == 1:
            out.append("{{else}}")
        elif head == "endif":
            out.append("{{/if}}")
        elif head == "for" and len(words) == 4 and words[2] == "in":
            loops.append(words[1])
            out.append("{{#each " + words[3] + "}}")
        elif head == "endfor" and loops:
            loops.pop()
            out.append("{{/each}}")
        else:
            raise LibraryError(
                f"Jinja statement {{% {stmt} %}} has no Handlebars equivalent here", where
            )
        pos = m.end()
    out.append(text[pos:])
    converted = "".join(out)

    # loop variables: {{item.x}} inside {{#each items}} reads the item as {{this.x}}
    for name in set(_loop_names(text)):
        converted = re.sub(r"\{\{" + re.escape(name) + r"(\.|\}\})", r"{{this\1", converted)
    return converted


def _loop_names(text: str) -> list[str]:
    return [
        m.group(1).split()[1]
        for m in _JINJA_STMT.finditer(text)
        if m.group(1).split()[:1] == ["for"] and len(m.group(1).split()) == 4
    ]


def import_prompty(text: str, where: str = "<prompty>") -> Imported:
    """A Prompty file: YAML front matter (model, inputs/sample) and role-marked Jinja body."""
    front, body, body_line = _front_matter(text, where)
    template_fmt = front.get("template")
    if isinstance(template_fmt, dict):
        template_fmt = template_fmt.get("format")
    is_mustache = str(template_fmt or "").lower() in ("mustache", "handlebars")
    imported = Imported(PromptTemplate())

    model = front.get("model")
    if isinstance(model, str):
        imported.model = _model_id(model)
    elif isinstance(model, dict):
        conf = model.get("configuration") or model.get("connection") or {}
        name = (
            model.get("id")
            or conf.get("name")
            or conf.get("model")
            or conf.get("azure_deployment")
            or conf.get("deployment")
        )
        provider = model.get("provider") or conf.get("type")
        if name:
            imported.model = _model_id(str(name), provider)
        section = "options" if "options" in model and "parameters" not in model else "parameters"
        _params(model.get(section), imported, where, section)

    sample = front.get("sample")
    if isinstance(sample, dict):
        imported.variables.update(sample)
    inputs = front.get("inputs")
    if isinstance(inputs, dict):
        for key, spec in inputs.items():
            if isinstance(spec, dict):
                for k in ("default", "sample"):
                    if k in spec and key not in imported.variables:
                        imported.variables[key] = spec[k]
            elif key not in imported.variables and not isinstance(spec, (dict, list)):
                imported.variables[key] = spec
    elif isinstance(inputs, list):
        for spec in inputs:
            if isinstance(spec, dict) and spec.get("name"):
                for k in ("default", "sample"):
                    if k in spec and spec["name"] not in imported.variables:
                        imported.variables[spec["name"]] = spec[k]

    if not is_mustache:
        body = _jinja_to_handlebars(body, where)
    messages: list[Message] = []
    marks = list(_PROMPTY_ROLE.finditer(body))
    if not marks:
        messages.append(Message("system", body.strip()))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        content = body[m.end() : end].strip("\n").strip()
        if content:
            messages.append(Message(m.group(1).lower(), content))
    if not messages:
        raise LibraryError("no messages in the body", where, body_line)
    imported.template = PromptTemplate(messages)
    return imported


# ---------------------------------------------------------------- llm templates

_DOLLAR = re.compile(r"\$(?:(\$)|\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


def _dollar_to_handlebars(text: str) -> str:
    """string.Template syntax ($name, ${name}, $$) as Handlebars; literal {{ kept literal."""
    text = text.replace("{{", "\\{{")

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return "$"
        return "{{" + (m.group(2) or m.group(3)) + "}}"

    return _DOLLAR.sub(sub, text)


def import_llm_template(text: str, where: str = "<template>") -> Imported:
    """An `llm` CLI template (YAML: system, prompt, model, defaults, options)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise LibraryError(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}", where, line
        ) from None
    if isinstance(data, str):  # llm also accepts a bare string: the prompt
        data = {"prompt": data}
    if not isinstance(data, dict):
        raise LibraryError("an llm template is a YAML mapping (system, prompt, model, ...)", where)
    imported = Imported(PromptTemplate())
    system = data.get("system")
    prompt = data.get("prompt")
    if not system and not prompt:
        raise LibraryError("the template has neither system nor prompt", where)
    messages = []
    if system:
        messages.append(Message("system", _dollar_to_handlebars(str(system))))
    messages.append(Message("user", _dollar_to_handlebars(str(prompt or "{{input}}"))))
    imported.template = PromptTemplate(messages)
    if data.get("model"):
        imported.model = _model_id(str(data["model"]))
    if isinstance(data.get("defaults"), dict):
        imported.variables.update(data["defaults"])
    _params(data.get("options"), imported, where, "options")
    for key in (
        "schema_object",
        "fragments",
        "system_fragments",
        "attachments",
        "tools",
        "functions",
    ):
        if data.get(key):
            imported.warnings.append(f"{where}: {key} is not carried over")
    return imported


def import_file(path: Path) -> Imported:
    """Import by extension: .prompty is Prompty; .yaml/.yml is an llm template."""
    try:
        text = read_utf8(Path(path))
    except OSError as exc:
        raise LibraryError(f"cannot read: {exc.strerror or exc}", path) from None
    suffix = Path(path).suffix.lower()
    if suffix == ".prompty":
        return import_prompty(text, str(path))
    if suffix in (".yaml", ".yml"):
        return import_llm_template(text, str(path))
    raise LibraryError("import reads .prompty (Prompty) or .yaml (llm template) files", path)


# ---------------------------------------------------------------- promptfoo export

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
