"""Importing `llm` CLI templates (YAML: system, prompt, model, defaults, options; ``$name``
placeholders turned into Handlebars)."""

from __future__ import annotations

import re

import yaml

from playground.core.template import Message, PromptTemplate
from playground.library.errors import LibraryError
from playground.library.imported import Imported, carry_params, model_id

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
        imported.model = model_id(str(data["model"]))
    if isinstance(data.get("defaults"), dict):
        imported.variables.update(data["defaults"])
    carry_params(data.get("options"), imported, where, "options")
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
