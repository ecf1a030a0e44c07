"""Rows of variables from a CSV, JSONL or YAML file, read one at a time.

CSV, JSONL and YAML (a list of mappings) are all read a row at a time: a 10,000-row file
never sits in memory. A row that cannot be read is yielded as a ``BadRow`` so the run goes on
and reports it; a file that cannot be opened at all raises ``DatasetError``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml"}


class DatasetError(Exception):
    """The dataset cannot be read at all (missing, not UTF-8, unknown format): exit 2."""


@dataclass(frozen=True)
class BadRow:
    """A row that is not a mapping of variables: reported as that case's error."""

    where: str  # "data.jsonl:17"
    reason: str


def yaml_problem(path: Path, exc: Exception) -> str:
    """'FILE:LINE: what the YAML parser objects to', in one line."""
    mark = getattr(exc, "problem_mark", None)
    where = f":{mark.line + 1}" if mark is not None else ""
    reason = getattr(exc, "problem", None) or "not valid YAML"
    return f"{path}{where}: {reason}"


def dataset_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetError(
            f"{path}: a dataset is .csv, .jsonl or .yaml (got {path.suffix or 'no suffix'!r})"
        )
    return fmt


def check_dataset(path: Path) -> None:
    """Raise DatasetError now (before anything runs) if the file cannot be read at all."""
    dataset_format(path)
    try:
        with open(path, encoding="utf-8") as fh:
            fh.read(65536)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such dataset file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a folder, not a dataset file") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (offset {exc.start})") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror or exc}") from None


def iter_rows(path: Path) -> Iterator[dict[str, Any] | BadRow]:
    """Each row's variables, in file order."""
    fmt = dataset_format(path)
    check_dataset(path)
    if fmt == "csv":
        yield from _csv_rows(path)
    elif fmt == "jsonl":
        yield from _jsonl_rows(path)
    else:
        yield from _yaml_rows(path)


def count_rows(path: Path) -> int:
    """How many rows (cases) the file holds, read as a stream."""
    return sum(1 for _ in iter_rows(path))


def _csv_rows(path: Path) -> Iterator[dict[str, Any] | BadRow]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            return
        for row in reader:
            if None in row:  # more cells than the header has names
                yield BadRow(
                    f"{path.name}:{reader.line_num}",
                    f"{len(row[None]) + len(reader.fieldnames)} values for "
                    f"{len(reader.fieldnames)} columns",
                )
                continue
            yield {k: ("" if v is None else v) for k, v in row.items()}


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any] | BadRow]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadRow(f"{path.name}:{number}", f"not JSON ({exc.msg})")
                continue
            if not isinstance(row, dict):
                yield BadRow(f"{path.name}:{number}", "a row is a JSON object of variables")
                continue
            yield row


def _yaml_rows(path: Path) -> Iterator[dict[str, Any] | BadRow]:
    """A YAML list read one item at a time (PyYAML's composer, item by item), so a long
    file is not held whole; anything but a list of mappings at the top is a DatasetError."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        loader = yaml.SafeLoader(fh)
        try:
            number = 0
            try:
                loader.get_event()  # stream start
                if loader.check_event(yaml.StreamEndEvent):
                    return  # an empty file: no rows
                loader.get_event()  # document start
                if loader.check_event(yaml.ScalarEvent):
                    node = loader.compose_node(None, None)  # type: ignore[arg-type]  # as PyYAML's own compose_document
                    if loader.construct_document(node) is None:
                        return  # "null" or "~": no rows
                    raise DatasetError(f"{path}: a YAML dataset is a list of mappings of variables")
                if not loader.check_event(yaml.SequenceStartEvent):
                    raise DatasetError(f"{path}: a YAML dataset is a list of mappings of variables")
                loader.get_event()
                while not loader.check_event(yaml.SequenceEndEvent):
                    number += 1
                    row = loader.construct_document(
                        loader.compose_node(None, None)  # type: ignore[arg-type]
                    )
                    if isinstance(row, dict):
                        yield {str(k): v for k, v in row.items()}
                    else:
                        yield BadRow(
                            f"{path.name}: row {number}", "a row is a mapping of variables"
                        )
            except yaml.YAMLError as exc:
                raise DatasetError(yaml_problem(path, exc)) from None
        finally:
            loader.dispose()
