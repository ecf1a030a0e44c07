"""Keeping a NAME.prompt that no version holds (written or edited by hand) as a version of its
own before promote replaces it: the only copy of that text is never lost."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playground.library.atomic import atomic_write, create_exclusive
from playground.library.current import current_state
from playground.library.errors import LibraryError
from playground.library.names import current_path, list_versions, version_path
from playground.library.promptfile import content_key


def kept_line(path: Path, name: str, kept: Path) -> str:
    return (
        f"{path.name} had changes of its own (written or edited by hand); "
        f"kept them as {name}/{kept.name}"
    )


def keep_unrecorded_current(prompts_dir: Path, name: str) -> Path | None:
    """Save a NAME.prompt that no vN file holds as the next vN, before anything replaces it.

    A hand-written file (or a Genkit project's) has no version of ours, and a hand-edited
    one differs from the vN it names: either way it is the only copy. It becomes a version of
    its own, with a provenance note, and NAME.prompt is made that version, so a crash at any
    later point loses nothing. Runs under the versions folder's lock.
    """
    state = current_state(prompts_dir, name)
    if state.text is None or state.recorded:
        return None
    if state.version:
        note = f"kept: {name}.prompt edited by hand since v{state.version}"
    else:
        note = f"kept: {name}.prompt written by hand (or by another tool)"
    prov = {"kept_at": datetime.now(UTC).isoformat(timespec="seconds"), "note": note}
    for _ in range(1000):
        n = max([*list_versions(prompts_dir, name), state.version or 0], default=0) + 1
        text = annotate_kept(state.text, n, prov)
        target = version_path(prompts_dir, name, n)
        try:
            create_exclusive(target, text)
        except FileExistsError:
            continue
        atomic_write(current_path(prompts_dir, name), text)
        return target
    raise LibraryError(f"could not find a free version number for {name}")


_EXT_KEY = re.compile(r"^playground\.(?:version|provenance)\s*:")


def annotate_kept(text: str, version: int, provenance: dict[str, Any]) -> str:
    """``text`` with our version and provenance keys in its front matter, all else as written.

    Only the front matter's top-level ``playground.version`` and ``playground.provenance``
    entries change (comments, order and the body stay as the user wrote them). A file whose
    front matter this cannot edit safely is kept byte for byte.
    """
    ours = _dump_ext(version, provenance)
    lines = text.splitlines(keepends=True)
    if lines and lines[0].rstrip("\r\n") == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r\n") == "---"), None)
        if end is None:
            return text
        head: list[str] = []
        skipping = False
        for line in lines[1:end]:
            if _EXT_KEY.match(line):
                skipping = True
                continue
            if skipping and (line[:1] in (" ", "\t") or not line.strip()):
                continue
            skipping = False
            head.append(line)
        if head and not head[-1].endswith("\n"):
            head[-1] += "\n"
        new = "".join([lines[0], *head, ours, *lines[end:]])
    else:
        new = f"---\n{ours}---\n{text}"
    try:
        same = content_key(new) == content_key(text)
    except ValueError:
        return text
    return new if same else text


def _dump_ext(version: int, provenance: dict[str, Any]) -> str:
    import yaml

    data = {"playground.version": version, "playground.provenance": provenance}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
