"""Reading and writing Dotprompt ``.prompt`` files.

The front matter is parsed by dotpromptz itself, so a file our reader accepts is one the
reference implementation accepts, with the same errors. Playground's own fields live in
Dotprompt's extension space as namespaced keys (``playground.version``,
``playground.provenance``), which dotpromptz returns as ``ext["playground"]``.

The body holds one ``{{role "..."}}`` block per message. Dotprompt renders the whole body and
then splits it at the role markers; we write the markers with Handlebars whitespace control
(``~``) so each message renders to exactly the text its own template renders to alone.

A body whose messages cannot be told from its source (role markers inside ``{{#if}}`` or
``{{#each}}``, a role named by a variable, ``{{history}}``, ``{{section}}``, partials) loads
as one whole-body template (``PromptTemplate.from_body``) that renders and splits as
dotpromptz does. Refused, in one line with file:line: ``{{media}}`` (requests are text
only) and a partial the file does not define itself (``{{#*inline}}``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from playground.core.template import Message, PromptTemplate
from playground.library.errors import LibraryError
from playground.library.names import name_of_path, version_of_path
from playground.library.params import range_problem

EXT = "playground"
# our field -> Dotprompt config key (the names Genkit uses)
CONFIG_KEYS = {
    "temperature": "temperature",
    "max_tokens": "maxOutputTokens",
    "top_p": "topP",
    "seed": "seed",
    "stop": "stopSequences",
}
# config keys we also read (other tools' spellings) -> our field
CONFIG_ALIASES = {
    "temperature": "temperature",
    "maxOutputTokens": "max_tokens",
    "maxTokens": "max_tokens",
    "max_tokens": "max_tokens",
    "topP": "top_p",
    "top_p": "top_p",
    "seed": "seed",
    "stopSequences": "stop",
    "stop": "stop",
}
PICO_SCALARS = ("any", "boolean", "integer", "null", "number", "string")
DOTPROMPT_ROLES = ("system", "user", "model", "tool")
# keeps a last message's trailing whitespace: Dotprompt strips the body's end
END_GUARD = '{{""}}'
_ROLE_TAG = re.compile(r"""\{\{(~?)\s*role\s+(?:"([a-z]+)"|'([a-z]+)')\s*(~?)\}\}""")
_OPEN_BLOCK = re.compile(r"\{\{~?\s*#")
# a tag the Handlebars engine treats as "standalone" when alone on its line, at the start of a
# message: alone it would drop its line end, right after a role marker it cannot
_LEAD_TAG = re.compile(
    r"\A[ \t]*(\{\{~?\s*(?:[!#/>^]|else\b)(?:[^}]|\}(?!\}))*\}\})"
    r"(?:[ \t]*(\r?\n|\Z)|[ \t]+(?=\{\{))"  # the engine counts spaces before a tag as line end
)
NOT_STANDALONE = '{{""}}'
_CLOSE_BLOCK = re.compile(r"\{\{~?\s*/")


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


# ---------------------------------------------------------------- writing


class _Dumper(yaml.SafeDumper):
    """Plain YAML that Dotprompt's restricted loader accepts: no anchors, no tags."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_LINE_BREAKS_YAML_FOLDS = ("\x85", "\u2028", "\u2029", "\r")


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    if any(ch in data for ch in _LINE_BREAKS_YAML_FOLDS):  # written raw, YAML would fold them
        style = '"'
    elif data.endswith("\n") and not data.endswith("\n\n"):
        # a block would be clipped ("|"), and Dotprompt drops the front matter's last line
        # break: the value's one trailing newline would be lost when it comes last
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def picoschema_fields(schema: Any) -> dict[str, tuple[str, str]]:
    """name -> (its key as written, e.g. "formal?", its type with any description) for the
    simple fields of a Picoschema; anything else (JSON Schema, nested) is not carried over."""
    if not isinstance(schema, dict):
        return {}
    out: dict[str, tuple[str, str]] = {}
    for key, kind in schema.items():
        if isinstance(key, str) and isinstance(kind, str):
            name = key.split("(", 1)[0].rstrip("?").strip()
            if name:
                out[name] = (key, kind)
    return out


_FALSE_TEXT = frozenset({"", "false", "no", "off", "0"})
_TRUE_TEXT = frozenset({"true", "yes", "on", "1"})


def coerce_value(value: Any, kind: str) -> Any:
    """A text value (a --var, a TUI field) as the type the schema declares: "false" must not
    be a true string to Handlebars. A value that does not fit stays as it is."""
    if not isinstance(value, str):
        return value
    base = kind.split(",", 1)[0].strip().lower()
    text = value.strip()
    if base == "boolean":
        if text.lower() in _FALSE_TEXT:
            return False
        if text.lower() in _TRUE_TEXT:
            return True
    elif base in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return value
        return int(number) if base == "integer" or number.is_integer() else number
    return value


def variable_types(schema: Any) -> dict[str, str]:
    """name -> declared type, from a prompt file's Picoschema (empty for anything else)."""
    return {name: kind for name, (_key, kind) in picoschema_fields(schema).items()}


def coerce_variables(values: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """Text values read as their declared types (boolean, number, integer)."""
    return {k: coerce_value(v, types.get(k, "")) for k, v in values.items()}


def _pico_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "any"


def render_body(template: PromptTemplate) -> str:
    """The Handlebars body: a role block per message, whitespace-exact under Dotprompt."""
    if template.dotprompt:  # a whole Dotprompt body: written as it is
        body = "".join(m.content for m in template.messages)
        if not body.strip():
            raise LibraryError("the prompt is empty; write something before promoting")
        # Dotprompt strips the body's ends; a guard keeps whitespace the text renders with
        head = END_GUARD if body[0].isspace() else ""
        tail = END_GUARD if body[-1].isspace() else ""
        return head + body + tail + "\n"
    if not template.messages:
        raise LibraryError("the prompt has no messages")
    out: list[str] = []
    prev_trailing_ws = True  # nothing before the first marker to strip
    for i, m in enumerate(template.messages):
        role = "model" if m.role == "assistant" else m.role
        if role not in DOTPROMPT_ROLES:
            raise LibraryError(
                f"message {i + 1}: role {m.role!r} cannot be written to a prompt file"
            )
        content = m.content
        content = _without_lead_line_ends(content)
        if not content.strip():
            raise LibraryError(f"message {i + 1} ({m.role}) is empty; remove it before promoting")
        lead_ws = content[0].isspace()
        left = "" if prev_trailing_ws else "\n{{~"
        tag = f'role "{role}"'
        if left:
            out.append(left + tag)
        else:
            out.append("{{" + tag)
        out.append("}}" if lead_ws else "~}}\n")
        out.append(content)
        prev_trailing_ws = content[-1].isspace()
    if prev_trailing_ws:
        out.append(END_GUARD)
    return "".join(out) + "\n"


def _without_lead_line_ends(content: str) -> str:
    """Drop the indent and line end of the tags standing alone on the message's first lines.

    Alone, the engine drops them (standalone tags); after a role marker it cannot, so the
    file carries the text as it renders alone. Each dropped line end is one the next
    standalone tag counted on, so the rule repeats down the leading run of such lines.
    """
    kept: list[str] = []
    rest = content
    while m := _LEAD_TAG.match(rest):
        kept.append(m.group(1))
        rest = rest[m.end() :]
        if not m.group(2):  # the next tag shares this line: it was never alone on one
            break
    return "".join(kept) + rest if kept else content


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
                schema[n] = _pico_type(variables[n])
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
    head = _dump(front) if front else ""
    return f"---\n{head}---\n{render_body(template)}"


# ---------------------------------------------------------------- reading


def split_body(body: str, path: Any = None, first_line: int = 1) -> list[Message]:
    """Messages from a Dotprompt body, splitting where Dotprompt splits the rendered text.

    Text before the first marker is a user message (Dotprompt's default role); ``~`` strips
    whitespace as Handlebars does; blocks that are only whitespace are dropped, as Dotprompt
    drops them. The body is taken as dotpromptz holds it (stripped only after front matter),
    so the last message keeps the whitespace it ends with, as Dotprompt renders it.
    """
    chunks: list[tuple[str, str]] = []  # (role, source)
    role = "user"
    pos = 0
    strip_next = False
    for m in _ROLE_TAG.finditer(body):
        before = body[pos : m.start()]
        if strip_next:
            before = before.lstrip()
        if m.group(1):
            before = before.rstrip()
        if _depth(before) != 0:
            line = first_line + body.count("\n", 0, m.start())
            raise LibraryError("role markers inside {{#...}} blocks are not supported", path, line)
        chunks.append((role, before))
        role = m.group(2) or m.group(3)
        if role not in DOTPROMPT_ROLES:
            line = first_line + body.count("\n", 0, m.start())
            raise LibraryError(f"unknown role {role!r} (use system, user or model)", path, line)
        strip_next = bool(m.group(4))
        pos = m.end()
    rest = body[pos:]
    if strip_next:
        rest = rest.lstrip()
    if rest.endswith(END_GUARD):
        rest = rest[: -len(END_GUARD)]
    chunks.append((role, rest))
    messages = []
    for i, (r, text) in enumerate(chunks):
        if i and _LEAD_TAG.match(text):  # keep it as Dotprompt renders it after a marker
            text = NOT_STANDALONE + text
        if text.strip():
            messages.append(Message("assistant" if r == "model" else r, text))
    return messages


_ANY_ROLE = re.compile(r"\{\{~?\s*role\b")
_WHOLE_BODY_HELPER = re.compile(r"\{\{~?\s*(history|section|media)\b")
_PARTIAL = re.compile(r"\{\{~?\s*#?>\s*([^\s}~]*)")
_PARTIAL_CALL = re.compile(r"\{\{~?\s*>\s*([a-zA-Z0-9_.\-/]+)")  # a {{#> block}} has a fallback
_INLINE = re.compile(r"""\{\{~?\s*#\*inline\s+(?:"([^"]*)"|'([^']*)')""")


def _needs_whole_body(body: str) -> bool:
    """True when splitting the source at its role markers cannot say what Dotprompt renders.

    That is: a role marker inside a block (``{{#if}}``, ``{{#each}}``), a role named by a
    variable, Dotprompt's ``{{history}}``, ``{{section}}`` or ``{{media}}`` helpers, or a
    partial (``{{> name}}``, defined by ``{{#*inline}}`` anywhere in the body).
    """
    if "{{" not in body:
        return False
    if _WHOLE_BODY_HELPER.search(body) or _PARTIAL.search(body):
        return True
    tags = list(_ROLE_TAG.finditer(body))
    if len(tags) != len(_ANY_ROLE.findall(body)):
        return True
    return any(_depth(body[: m.start()]) != 0 for m in tags)


def _whole_body_template(text: str, body: str, where: str, warnings: list[str]) -> PromptTemplate:
    """A template rendered as Dotprompt renders the whole body; refusals name file:line."""
    start = text.find(body) if body else -1

    def line_of(pos: int) -> int | None:
        return text.count("\n", 0, start + pos) + 1 if start >= 0 else None

    if not body.strip():
        raise LibraryError("the prompt body is empty (no messages)", where)
    inline = {a or b for a, b in _INLINE.findall(body)}
    for m in _PARTIAL_CALL.finditer(body):
        if m.group(1) in inline:  # {{#*inline "name"}} in the file itself
            continue
        raise LibraryError(
            f"partial {{{{> {m.group(1)}}}}} is not defined in the file: dotpromptz cannot "
            "render it unless the application registers it, and playground reads no partial "
            'files; put its text in the file (or in {{#*inline "NAME"}}...{{/inline}})',
            where,
            line_of(m.start()),
        )
    for m in _ROLE_TAG.finditer(body):
        role = m.group(2) or m.group(3)
        if role not in DOTPROMPT_ROLES:
            raise LibraryError(
                f"unknown role {role!r} (use system, user or model)", where, line_of(m.start())
            )
    for m in _WHOLE_BODY_HELPER.finditer(body):
        if m.group(1) == "media":
            raise LibraryError(
                "{{media}} parts are not supported: playground sends text-only requests; "
                "put the URL in the text, or run this file from an application",
                where,
                line_of(m.start()),
            )
    return PromptTemplate.from_body(body)


def _depth(source: str) -> int:
    return len(_OPEN_BLOCK.findall(source)) - len(_CLOSE_BLOCK.findall(source))


def schema_names(schema: Any) -> list[str]:
    """Top-level variable names a Picoschema or JSON Schema declares."""
    if not isinstance(schema, dict):
        return []
    if isinstance(schema.get("properties"), dict):
        return list(schema["properties"])
    if isinstance(schema.get("type"), str) and schema["type"] in (*PICO_SCALARS, "object", "array"):
        return []
    out = []
    for key in schema:
        if key == "(*)":
            continue
        name = str(key).split("(")[0].rstrip("?")
        out.append(name)
    return out


def _yaml_line(frontmatter: str, keys: tuple[Any, ...]) -> int | None:
    """0-based line of the node at ``keys`` inside the front matter, if found."""
    try:
        node = yaml.compose(frontmatter, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line
    return line


def _check_pico(schema: Any, at: tuple[Any, ...], fail: Any) -> None:
    """Raise (through ``fail``) on a Picoschema type Dotprompt would not know."""
    if isinstance(schema, str):
        type_name = schema.split(",", 1)[0].strip()
        if type_name not in PICO_SCALARS:
            fail(f"unknown field type {type_name!r} (use {', '.join(PICO_SCALARS)})", at)
        return
    if not isinstance(schema, dict):
        fail("a schema field must be a type name or a mapping", at)
        return
    if isinstance(schema.get("type"), str) and schema["type"] in (*PICO_SCALARS, "object", "array"):
        return  # JSON Schema: taken as written
    if isinstance(schema.get("properties"), dict):
        return
    for key, value in schema.items():
        key_s = str(key)
        if key_s == "(*)":
            _check_pico(value, (*at, key), fail)
            continue
        if "(" in key_s:
            inner = key_s.split("(", 1)[1].rstrip(")")
            kind = inner.split(",", 1)[0].strip()
            if kind in ("array", "object"):
                _check_pico(value, (*at, key), fail)
            elif kind == "enum":
                if not isinstance(value, list):
                    fail(f"{key_s}: an enum takes a list of values", (*at, key))
            else:
                fail(
                    f"unknown field type {kind!r} in {key_s!r} (use array, object or enum)",
                    (*at, key),
                )
        else:
            _check_pico(value, (*at, key), fail)


def _number(value: Any, key: str, fail: Any, *, integer: bool = False, warn: Any = None) -> Any:
    if value is None:
        return None
    # dotpromptz passes config through untyped: read what is plainly a number, and say so
    read = value
    if isinstance(value, str):
        try:
            read = float(value.strip())
        except ValueError:
            read = value
        if isinstance(read, float) and not math.isfinite(read):
            read = value
    if integer and isinstance(read, float) and read.is_integer():
        read = int(read)
    if read is not value and not isinstance(read, str) and warn is not None:
        warn(f"config.{key} is {value!r}; read as {read!r}", ("config", key))
        value = read
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(
            f"config.{key} must be {'an integer' if integer else 'a number'}, got {value!r}",
            ("config", key),
        )
    if integer and not isinstance(value, int):
        fail(f"config.{key} must be an integer, got {value!r}", ("config", key))
    return value


def parse_prompt_text(
    text: str,
    *,
    path: Path | str | None = None,
    name: str | None = None,
    prompts_dir: Path | None = None,
) -> PromptFile:
    """A PromptFile from .prompt text; LibraryError (one line, with file:line) on bad input."""
    from dotpromptz import Dotprompt, FrontmatterError
    from dotpromptz._parse import identify_frontmatter

    where = display_path(path) if path is not None else "<prompt>"
    try:
        ident = identify_frontmatter(text)
    except FrontmatterError as exc:
        raise LibraryError(exc.reason, where, exc.line) from None
    try:
        parsed = Dotprompt().parse(text)
    except FrontmatterError as exc:
        reason = exc.reason
        if reason == "invalid YAML":  # PyYAML's own words say what is wrong
            try:
                yaml.safe_load(ident.frontmatter)
            except yaml.YAMLError as yerr:
                mark = getattr(yerr, "problem_mark", None)
                line = ident.content_line + mark.line if mark is not None else exc.line
                problem = getattr(yerr, "problem", None) or "invalid YAML"
                raise LibraryError(f"invalid YAML: {problem}", where, line) from None
        if reason == "invalid recognized field type":  # say which field
            lines = ident.frontmatter.splitlines()
            index = exc.line - ident.content_line
            key = lines[index].split(":", 1)[0].strip(" -") if 0 <= index < len(lines) else ""
            reason = f"{key or 'a field'} has the wrong type for Dotprompt"
        raise LibraryError(reason, where, exc.line) from None
    except ValueError as exc:  # pydantic or a shape dotpromptz refuses
        raise LibraryError(f"invalid front matter: {str(exc).splitlines()[0]}", where) from None

    raw: dict[str, Any] = parsed.raw or {}

    def fail(message: str, keys: tuple[Any, ...] = ()) -> None:
        line = _yaml_line(ident.frontmatter, keys) if keys else None
        raise LibraryError(message, where, ident.content_line + line if line is not None else None)

    read_warnings: list[str] = []

    def warn(message: str, keys: tuple[Any, ...]) -> None:
        line = _yaml_line(ident.frontmatter, keys)
        at = f"{where}:{ident.content_line + line}" if line is not None else where
        read_warnings.append(f"{at}: {message}")

    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        fail(f"model must be a string like openai:gpt-4.1-mini, got {model!r}", ("model",))
    config = raw.get("config") or {}
    params: dict[str, Any] = {}
    for key, value in config.items():
        ours = CONFIG_ALIASES.get(key)
        if ours is None or value is None:
            continue
        if ours == "stop":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                fail(f"config.{key} must be a list of strings", ("config", key))
            params["stop"] = list(value)
        else:
            params[ours] = _number(
                value, key, fail, integer=ours in ("max_tokens", "seed"), warn=warn
            )
            problem = range_problem(ours, params[ours])  # the bounds the flags hold it to
            if problem:  # Dotprompt loads it: so do we; a run refuses it (run_problem)
                warn(f"config.{key} {problem}; a run refuses it", ("config", key))
    input_cfg = raw.get("input") or {}
    if not isinstance(input_cfg, dict):
        fail("input must be a mapping with schema and default", ("input",))
    schema = input_cfg.get("schema")
    if schema is not None:
        _check_pico(schema, ("input", "schema"), fail)
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
    whole_body_warnings: list[str] = []
    if _needs_whole_body(body):
        template = _whole_body_template(text, body, where, whole_body_warnings)
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
    pf.warnings.extend([*read_warnings, *whole_body_warnings])
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

    parsed = Dotprompt().parse(text)
    raw = {k: v for k, v in (parsed.raw or {}).items() if not str(k).startswith(EXT + ".")}
    return (yaml.safe_dump(raw, sort_keys=True, allow_unicode=True), parsed.template)


def display_path(path: Path | str) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
