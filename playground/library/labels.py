"""Labels for prompt versions: ``prompts/NAME.labels.yaml`` maps a label to a version.

``{prod: 3, staging: 4}``: kept in the repository beside the prompt, so CI can run
``playground eval NAME --baseline prod`` against the version production uses.
"""

from __future__ import annotations

import re
from pathlib import Path

from playground.library.errors import LibraryError
from playground.library.names import check_name, list_versions

LABELS_SUFFIX = ".labels.yaml"
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def labels_path(prompts_dir: Path, name: str) -> Path:
    return Path(prompts_dir) / (check_name(name) + LABELS_SUFFIX)


def read_labels(prompts_dir: Path, name: str) -> dict[str, int]:
    """Label -> version for NAME ({} when it has none); a malformed file is a LibraryError."""
    import yaml

    path = labels_path(prompts_dir, name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise LibraryError(f"not UTF-8 text (offset {exc.start})", path) from None
    except OSError as exc:
        raise LibraryError(f"cannot read: {exc.strerror or exc}", path) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise LibraryError("not valid YAML (expected label: version lines)", path) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in data.values()
    ):
        raise LibraryError("expected label: version lines, like 'prod: 3'", path)
    return {str(k): int(v) for k, v in data.items()}


def set_label(prompts_dir: Path, name: str, label: str, version: int | None = None) -> int:
    """Point LABEL at vN (default: the newest version); returns the version. Atomic write;
    other labels and their order are kept."""
    from playground.library.atomic import atomic_write

    if not _LABEL.fullmatch(label):
        raise LibraryError(f"label {label!r}: use a letter, then letters, digits, '.', '-' or '_'")
    versions = list_versions(Path(prompts_dir), check_name(name))
    if not versions:
        raise LibraryError(f"no versions of {name} to label (promote one first)")
    if version is None:
        version = versions[-1]
    elif version not in versions:
        raise LibraryError(
            f"{name} has no v{version} (versions: {', '.join(f'v{v}' for v in versions)})"
        )
    labels = read_labels(prompts_dir, name)
    labels[label] = version
    text = "".join(f"{k}: {v}\n" for k, v in labels.items())
    atomic_write(labels_path(prompts_dir, name), text)
    return version
