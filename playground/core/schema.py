"""Prompt-file input schemas (Picoschema, or JSON Schema as written): which variables they
declare and with what types, and text values (a --var, a TUI field, a test case) read as those
types. The CLI and the TUI both read values through here, so it lives in core."""

from __future__ import annotations

from typing import Any

PICO_SCALARS = ("any", "boolean", "integer", "null", "number", "string")


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


def pico_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "any"


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
