"""The YAML front matter of a prompt file: parsed by dotpromptz (so a file our reader accepts
is one the reference implementation accepts, with the same errors, said with file:line), our
checks on top (model, config, input schema), and the YAML we write (plain, as Dotprompt's
restricted loader reads it). Playground's own fields live in Dotprompt's extension space as
namespaced keys (``playground.version``, ``playground.provenance``)."""

from __future__ import annotations

import math
from typing import Any

import yaml

from playground.core.schema import PICO_SCALARS
from playground.library.errors import LibraryError
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


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def yaml_line(frontmatter: str, keys: tuple[Any, ...]) -> int | None:
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


def check_pico(schema: Any, at: tuple[Any, ...], fail: Any) -> None:
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
            check_pico(value, (*at, key), fail)
            continue
        if "(" in key_s:
            inner = key_s.split("(", 1)[1].rstrip(")")
            kind = inner.split(",", 1)[0].strip()
            if kind in ("array", "object"):
                check_pico(value, (*at, key), fail)
            elif kind == "enum":
                if not isinstance(value, list):
                    fail(f"{key_s}: an enum takes a list of values", (*at, key))
            else:
                fail(
                    f"unknown field type {kind!r} in {key_s!r} (use array, object or enum)",
                    (*at, key),
                )
        else:
            check_pico(value, (*at, key), fail)


def read_number(value: Any, key: str, fail: Any, *, integer: bool = False, warn: Any = None) -> Any:
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


def parse_front(text: str, where: str) -> tuple[Any, Any]:
    """(dotpromptz's front-matter source, its ParsedPrompt); LibraryError with file:line and
    PyYAML's own words when dotpromptz refuses the file."""
    from dotpromptz import Dotprompt, FrontmatterError
    from dotpromptz._parse import identify_frontmatter

    try:
        ident = identify_frontmatter(text)
    except FrontmatterError as exc:
        raise LibraryError(exc.reason, where, exc.line) from None
    try:
        return ident, Dotprompt().parse(text)
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


def read_config(config: dict[str, Any], fail: Any, warn: Any) -> dict[str, Any]:
    """Our sampling parameters from ``config`` (any spelling in CONFIG_ALIASES).

    A wrong type fails; a value out of range is a warning: Dotprompt loads such a file, so
    we do, and a run refuses it (``params.run_problem``).
    """
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
            params[ours] = read_number(
                value, key, fail, integer=ours in ("max_tokens", "seed"), warn=warn
            )
            problem = range_problem(ours, params[ours])  # the bounds the flags hold it to
            if problem:
                warn(f"config.{key} {problem}; a run refuses it", ("config", key))
    return params
