"""Importing Prompty (.prompty) files: YAML front matter (model, inputs, sample) and a
role-marked body in Jinja (the subset Prompty files use, turned into Handlebars)."""

from __future__ import annotations

import re

from playground.core.template import Message, PromptTemplate
from playground.library.errors import LibraryError
from playground.library.imported import Imported, carry_params, front_matter, model_id

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
    front, body, body_line = front_matter(text, where)
    template_fmt = front.get("template")
    if isinstance(template_fmt, dict):
        template_fmt = template_fmt.get("format")
    is_mustache = str(template_fmt or "").lower() in ("mustache", "handlebars")
    imported = Imported(PromptTemplate())

    model = front.get("model")
    if isinstance(model, str):
        imported.model = model_id(model)
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
            imported.model = model_id(str(name), provider)
        section = "options" if "options" in model and "parameters" not in model else "parameters"
        carry_params(model.get(section), imported, where, section)

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
