"""Ratings become tests: pin an output into ``NAME.tests.yaml`` as a case's reference.

A good (or unrated) output becomes ``equals`` when it is a short one-line answer, else
``similar`` with a threshold; a bad one becomes ``not-similar``. The file is edited in place
with ruamel.yaml's round trip, so its comments, key order and quoting stay as written; a
case with the same variables gets the assertion, otherwise a new case is added at the end.
Written atomically (a temp file, then ``os.replace``).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.evals.assertions import SIMILAR_THRESHOLD

EXACT_CHARS = 40  # an answer this short, on one line, is pinned with equals


class PinError(Exception):
    """The tests file cannot take a pinned case (one line, says why)."""


@dataclass(frozen=True)
class Pinned:
    """What was written: the assertion, the case's number (from 1) and whether it is new."""

    assertion: dict[str, Any]
    case: int
    new_case: bool
    path: Path

    def describe(self) -> str:
        kind = self.assertion["type"]
        if "threshold" in self.assertion:
            kind += f" ≥ {self.assertion['threshold']:g}"
        where = "new case" if self.new_case else "case"
        return f"pinned as {kind} in {self.path.name}, {where} {self.case}"


def rating_is_good(score: int | None, scale: str | None) -> bool | None:
    """True for 👍 or 4–5 stars, False for 👎 or 1–2 stars, None for 3 stars or no rating."""
    if score is None:
        return None
    if scale == "thumbs" or score == -1:
        return score > 0
    if score >= 4:
        return True
    if score <= 2:
        return False
    return None


def reference_assertion(
    output: str, good: bool | None, threshold: float = SIMILAR_THRESHOLD
) -> dict[str, Any]:
    """The assertion that pins this output: equals, similar, or (a bad one) not-similar."""
    text = output.strip()
    if good is False:
        return {"type": "not-similar", "value": output, "threshold": threshold}
    if len(text) <= EXACT_CHARS and "\n" not in text:
        return {"type": "equals", "value": text}
    return {"type": "similar", "value": output, "threshold": threshold}


def pin_output(
    path: Path,
    variables: dict[str, Any],
    assertion: dict[str, Any],
    description: str | None = None,
) -> Pinned:
    """Add ``assertion`` to the case with these variables in ``path`` (a new case if none
    has them; a new file if there is none). Raises PinError when the file cannot take it."""
    from ruamel.yaml import YAML, YAMLError
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    data: Any = None
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise PinError(f"{path}: cannot read: {exc}") from None
        except YAMLError as exc:
            raise PinError(f"{path}: not valid YAML: {' '.join(str(exc).split())[:160]}") from None
        _match_indent(yaml, text)
    if data is None:
        data = CommentedSeq()
    cases: Any
    if isinstance(data, list):
        cases = data
    elif isinstance(data, dict):
        cases = data.get("cases")
        if cases is None:
            cases = data["cases"] = CommentedSeq()
        if not isinstance(cases, list):
            raise PinError(
                f"{path}: its cases come from a dataset ({_dataset(cases)}); pin into a tests "
                "file that lists its cases"
            )
    else:
        raise PinError(f"{path}: a tests file is a list of cases or {{defaults, cases}}")
    entry = CommentedMap(assertion)
    if isinstance(assertion.get("value"), str) and "\n" in assertion["value"]:
        from ruamel.yaml.scalarstring import LiteralScalarString

        entry["value"] = LiteralScalarString(assertion["value"])
    plain = {str(k): v for k, v in variables.items()}
    for number, case in enumerate(cases, 1):
        if isinstance(case, dict) and _plain(case.get("vars") or {}) == _plain(plain):
            asserts = case.get("assert")
            if asserts is None:
                asserts = case["assert"] = CommentedSeq()
            if not isinstance(asserts, list):
                raise PinError(f"{path}: case {number}: assert is not a list")
            asserts.append(entry)
            _write(yaml, path, data)
            return Pinned(assertion, number, False, path)
    case = CommentedMap()
    if description:
        case["description"] = description
    var_map = CommentedMap(plain)
    if all(isinstance(v, (str, int, float, bool)) and "\n" not in str(v) for v in plain.values()):
        var_map.fa.set_flow_style()
    case["vars"] = var_map
    case["assert"] = CommentedSeq([entry])
    cases.append(case)
    _write(yaml, path, data)
    return Pinned(assertion, len(cases), True, path)


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (to compare variables)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dataset(cases: Any) -> str:
    return str(cases.get("file")) if isinstance(cases, dict) else type(cases).__name__


def _match_indent(yaml: Any, text: str) -> None:
    """Keep the file's own list indent: '- ' flush with its parent key, or indented (by the
    first list under a key: how far its dash sits from the key)."""
    previous: tuple[int, str] | None = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if stripped.startswith("- ") and previous is not None and previous[1].endswith(":"):
            offset = indent - previous[0]
            if 0 <= offset <= 4:
                yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
            return
        previous = (indent, stripped.split("#", 1)[0].rstrip())


def _write(yaml: Any, path: Path, data: Any) -> None:
    import io

    buffer = io.StringIO()
    yaml.dump(data, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
