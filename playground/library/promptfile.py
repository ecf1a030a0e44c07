"""Reading and writing Dotprompt ``.prompt`` files: a PromptFile from text, text from a template.

The front matter is read in ``frontmatter`` (parsed by dotpromptz itself), the body in
``body`` (role blocks, or one whole-body template), variable types in ``core.schema``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from playground.core.schema import (
    coerce_value,
    coerce_variables,
    pico_type,
    picoschema_fields,
    schema_names,
    variable_types,
)
from playground.core.template import PromptTemplate
from playground.library.body import needs_whole_body, render_body, split_body, whole_body_template
from playground.library.errors import LibraryError
from playground.library.frontmatter import (
    CONFIG_KEYS,
    EXT,
    check_pico,
    dump_yaml,
    parse_front,
    read_config,
    yaml_line,
)
from playground.library.names import name_of_path, version_of_path


@dataclass
class PromptFile:
    """A loaded prompt file: the template, its model and parameters, and where it came from."""

    name: str
    version: int | None
    path: Path | None
    template: PromptTemplate
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)  # input.default
    provenance: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    schema: Any = None  # input.schema as written (Picoschema or JSON Schema)
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """'NAME v3' (or just NAME for a file with no version)."""
        return f"{self.name} v{self.version}" if self.version else self.name

    def params(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }

    def schema_variables(self) -> list[str]:
        return schema_names(self.schema)

    def render(self, variables: dict[str, Any] | None = None, history: Any = None) -> list[Any]:
        """The messages a run of this file sends: its ``input.default`` under ``variables``
        (text read as the schema's types, as --var is), then ``template.render``."""
        values = coerce_variables({**self.variables, **(variables or {})}, self.variable_types())
        return self.template.render(values, history=history)

    def variable_types(self) -> dict[str, str]:
        return variable_types(self.schema)


def render_prompt_file(
    template: PromptTemplate,
    *,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
    variables: dict[str, Any] | None = None,
    version: int | None = None,
    provenance: dict[str, Any] | None = None,
    schema: Any = None,
    base_schema: Any = None,
) -> str:
    """The .prompt text for a template, its model and parameters, and its variables' values.

    Variables become ``input.default`` (what Dotprompt renders with when the caller leaves a
    value out) and ``input.schema`` (Picoschema: one typed field per variable with a value,
    and ``name?: any`` for one the template reads without a value, e.g. an ``{{#each}}``
    list). ``version`` and ``provenance`` go to the ``playground.*`` extension keys; leave
    them None to get the content alone (what "identical" compares).
    """
    variables = dict(variables or {})
    kept = picoschema_fields(base_schema)  # the current file's own types and ? marks
    variables = {k: coerce_value(v, kept.get(k, (None, ""))[1]) for k, v in variables.items()}
    front: dict[str, Any] = {}
    if model:
        front["model"] = model
    params = {
        "temperature": temperature,
        "max_tokens": max_tokens,
        "top_p": top_p,
        "seed": seed,
        "stop": list(stop) if stop else None,
    }
    config = {CONFIG_KEYS[k]: v for k, v in params.items() if v is not None}
    if config:
        front["config"] = config
    names = list(dict.fromkeys([*template.variables(), *variables]))
    if schema is None and names:
        # the file's own declaration first; else a value says the type, and a variable the
        # run never set may be anything, or absent
        schema = {}
        for n in names:
            if n in kept:
                key, kind = kept[n]
                schema[key] = kind
            elif n in variables:
                schema[n] = pico_type(variables[n])
            else:
                schema[f"{n}?"] = "any"
    if schema or variables:
        front["input"] = {}
        if schema:
            front["input"]["schema"] = schema
        if variables:
            front["input"]["default"] = variables
    if version is not None:
        front[f"{EXT}.version"] = version
    prov = {k: v for k, v in (provenance or {}).items() if v is not None}
    if prov:
        front[f"{EXT}.provenance"] = prov
    head = dump_yaml(front) if front else ""
    return f"---\n{head}---\n{render_body(template)}"


def parse_prompt_text(
    text: str,
    *,
    path: Path | str | None = None,
    name: str | None = None,
    prompts_dir: Path | None = None,
) -> PromptFile:
    """A PromptFile from .prompt text; LibraryError (one line, with file:line) on bad input."""
    where = display_path(path) if path is not None else "<prompt>"
    ident, parsed = parse_front(text, where)
    raw: dict[str, Any] = parsed.raw or {}

    def fail(message: str, keys: tuple[Any, ...] = ()) -> None:
        line = yaml_line(ident.frontmatter, keys) if keys else None
        raise LibraryError(message, where, ident.content_line + line if line is not None else None)

    read_warnings: list[str] = []

    def warn(message: str, keys: tuple[Any, ...]) -> None:
        line = yaml_line(ident.frontmatter, keys)
        at = f"{where}:{ident.content_line + line}" if line is not None else where
        read_warnings.append(f"{at}: {message}")

    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        fail(f"model must be a string like openai:gpt-4.1-mini, got {model!r}", ("model",))
    params = read_config(raw.get("config") or {}, fail, warn)
    input_cfg = raw.get("input") or {}
    if not isinstance(input_cfg, dict):
        fail("input must be a mapping with schema and default", ("input",))
    schema = input_cfg.get("schema")
    if schema is not None:
        check_pico(schema, ("input", "schema"), fail)
    defaults = input_cfg.get("default") or {}
    if not isinstance(defaults, dict):
        fail("input.default must be a mapping of variable: value", ("input", "default"))

    ext = (parsed.ext or {}).get(EXT, {})
    version = ext.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        fail(f"{EXT}.version must be an integer", (f"{EXT}.version",))
    if version is None and path is not None:
        version = version_of_path(Path(path))
    provenance = ext.get("provenance") or {}
    if not isinstance(provenance, dict):
        fail(f"{EXT}.provenance must be a mapping", (f"{EXT}.provenance",))

    body = parsed.template or ""
    body_line = ident.content_line + ident.frontmatter.count("\n") + 2 if ident.declared else 1
    if needs_whole_body(body):
        template = whole_body_template(text, body, where)
    else:
        messages = split_body(body, where, body_line)
        if not messages:
            raise LibraryError("the prompt body is empty (no messages)", where)
        template = PromptTemplate(messages)

    if name is None:
        name = name_of_path(Path(path), prompts_dir) if path is not None else "prompt"
    pf = PromptFile(
        name=name,
        version=version,
        path=Path(path) if path is not None else None,
        template=template,
        model=model,
        variables=dict(defaults),
        provenance=dict(provenance),
        raw=text,
        schema=schema,
        **params,
    )
    pf.warnings.extend(read_warnings)
    declared = set(schema_names(schema)) | set(defaults)
    missing = [v for v in template.variables() if v not in declared]
    if missing and (schema is not None or defaults):
        pf.warnings.append(
            f"{where}: the template uses {', '.join(missing)} but input.schema does not declare "
            + ("it" if len(missing) == 1 else "them")
        )
    return pf


def content_key(text: str) -> tuple[Any, ...]:
    """What 'identical' compares: the front matter without playground.* keys, and the body."""
    from dotpromptz import Dotprompt

    parsed: Any = Dotprompt().parse(text)
    raw = {k: v for k, v in (parsed.raw or {}).items() if not str(k).startswith(EXT + ".")}
    return (yaml.safe_dump(raw, sort_keys=True, allow_unicode=True), parsed.template)


def display_path(path: Path | str) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
