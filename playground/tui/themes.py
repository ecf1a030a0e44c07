"""Our bundled themes: TOML data files in ``themes/``, registered beside Textual's own.

The files live at the repository root in a checkout and at ``playground/themes`` inside the
wheel (pyproject's force-include), so both places are searched. A file that does not parse is
skipped with a one-line reason rather than stopping the app.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_FIELDS = {f.name for f in dataclasses.fields(Theme)}


class ThemeFileError(Exception):
    """A theme file we cannot use; the message names the file."""


def theme_dirs() -> list[Path]:
    """Where bundled themes may be: inside the installed package, then the source tree."""
    package = Path(__file__).resolve().parents[1]  # .../playground
    candidates = [package / "themes", package.parent / "themes"]
    return [d for d in candidates if d.is_dir()]


def load_theme_file(path: Path) -> Theme:
    """Read one TOML theme; raises ThemeFileError with a one-line reason."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeFileError(f"{path.name}: {exc}") from None
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ThemeFileError(f"{path.name}: unknown field(s) {', '.join(unknown)}")
    data.setdefault("name", path.stem)
    if "primary" not in data:
        raise ThemeFileError(f"{path.name}: needs a primary colour")
    for name in _COLOUR_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        try:
            Color.parse(value)
        except (ColorParseError, TypeError, ValueError):
            raise ThemeFileError(f"{path.name}: {name} is not a colour: {value!r}") from None
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path.name}: [variables] must be a table")
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    return Theme(**data)


def load_bundled_themes() -> tuple[list[Theme], list[str]]:
    """Every bundled theme (first found wins by name) and the reasons any file was skipped."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for folder in theme_dirs():
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                errors.append(str(exc))
                continue
            themes.setdefault(theme.name, theme)
    return list(themes.values()), errors


def register_bundled_themes(app: App[Any]) -> list[str]:
    """Register our themes with the app; returns their names. Broken files are logged, not fatal."""
    themes, errors = load_bundled_themes()
    for theme in themes:
        app.register_theme(theme)
    for error in errors:
        app.log.warning(f"theme skipped: {error}")
    return [t.name for t in themes]
