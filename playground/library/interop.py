"""Other tools' prompt formats, read by extension: Prompty (library/prompty.py) and `llm`
templates (library/llm_template.py). The promptfoo export is library/promptfoo.py."""

from __future__ import annotations

from pathlib import Path

from playground.library.errors import LibraryError
from playground.library.imported import Imported
from playground.library.llm_template import import_llm_template
from playground.library.loading import read_utf8
from playground.library.prompty import import_prompty


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
