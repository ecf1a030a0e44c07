"""Versions on disk: promote writes NAME/vN.prompt (never rewritten) and then NAME.prompt.

Two promotes at once never lose a version: vN is created with an exclusive hard link from a
complete temp file (so it appears whole or not at all, and a second writer of the same N
gets FileExistsError and takes N+1), and the whole step runs under an flock on the versions
folder so NAME.prompt always ends as the newest version.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playground.core.template import PromptTemplate
from playground.library.atomic import atomic_write, create_exclusive, folder_lock
from playground.library.current import (
    current_label,
    current_schema,
    current_state,
    read_if_exists,
)
from playground.library.errors import LibraryError
from playground.library.keep import keep_unrecorded_current, kept_line
from playground.library.names import (
    check_name,
    current_path,
    list_versions,
    version_path,
    versions_dir,
)
from playground.library.params import check_params
from playground.library.promptfile import content_key, render_prompt_file


@dataclass
class Promotion:
    """What a promote did (or, from preview_promotion, would do)."""

    name: str
    version: int  # the version written; when identical, the current one
    next_version: int
    identical: bool
    path: Path  # NAME.prompt
    version_path: Path | None = None
    created: bool = False
    diff: str = ""  # unified, from the current file to the new text
    text: str = ""
    previous_version: int | None = None
    warnings: list[str] = field(default_factory=list)
    kept_path: Path | None = None  # where a hand-written or hand-edited NAME.prompt was kept

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def kept_message(self) -> str | None:
        """One line saying where the hand-edited current file went, if it had to be kept."""
        if self.kept_path is None:
            return None
        return kept_line(self.path, self.name, self.kept_path)


def _same_content(a: str, b: str) -> bool:
    try:
        return content_key(a) == content_key(b)
    except ValueError:  # a current file dotpromptz cannot parse is never "identical"
        return False


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def preview_promotion(prompts_dir: Path | str, name: str, content_text: str) -> Promotion:
    """What promoting ``content_text`` as NAME would do: the next version, and the diff."""
    prompts_dir = Path(prompts_dir)
    name = check_name(name)
    path = current_path(prompts_dir, name)
    state = current_state(prompts_dir, name)
    current, cur_version = state.text, state.version
    versions = list_versions(prompts_dir, name)
    latest = max([*versions, cur_version or 0], default=0)
    identical = current is not None and _same_content(current, content_text)
    # an unrecorded NAME.prompt is kept as latest + 1 first: the new content comes after it
    nxt = latest + 1 if state.recorded else latest + 2
    diff = ""
    if not identical:
        old_label = current_label(name, state) if current is not None else "/dev/null"
        diff = unified_diff(current or "", content_text, old_label, f"{name} v{nxt}")
    warnings = []
    if not state.recorded and not identical:
        warnings.append(
            f"{path.name} has changes of its own (written or edited by hand); "
            f"they will be kept as {name}/v{latest + 1}.prompt"
        )
    return Promotion(
        name=name,
        version=(cur_version or latest) if identical else nxt,
        next_version=nxt,
        identical=identical,
        path=path,
        diff=diff,
        text=content_text,
        previous_version=cur_version,
        warnings=warnings,
    )


def promote(
    prompts_dir: Path | str,
    name: str,
    *,
    template: PromptTemplate,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
    variables: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    note: str | None = None,
) -> Promotion:
    """Write the next version of NAME (unless identical to the current one) and make it current."""
    prompts_dir = Path(prompts_dir)
    name = check_name(name)
    variables = dict(variables or {})
    params: dict[str, Any] = {
        "temperature": temperature,
        "max_tokens": max_tokens,
        "top_p": top_p,
        "seed": seed,
        "stop": [stop] if isinstance(stop, str) else stop,
    }
    check_params(params)
    if model is not None and not isinstance(model, str):
        raise LibraryError(f"model must be a string like openai:gpt-4.1-mini, got {model!r}")
    fields: dict[str, Any] = {"model": model, **params, "variables": variables}
    fields["base_schema"] = current_schema(prompts_dir, name)
    content = render_prompt_file(template, **fields)
    from playground.library.reference import verify_written  # dotpromptz only when writing

    warnings = verify_written(content, template, variables)
    prov = dict(provenance or {})
    prov.setdefault("promoted_at", datetime.now(UTC).isoformat(timespec="seconds"))
    if note:
        prov["note"] = note
    try:
        return _write_next(prompts_dir, name, template, fields, content, prov, warnings)
    except OSError as exc:  # a read-only folder, a full disk: one line, not a traceback
        where = exc.filename or prompts_dir
        raise LibraryError(f"cannot write: {exc.strerror or exc}", where) from None


def _write_next(
    prompts_dir: Path,
    name: str,
    template: PromptTemplate,
    fields: dict[str, Any],
    content: str,
    prov: dict[str, Any],
    warnings: list[str],
) -> Promotion:
    path = current_path(prompts_dir, name)
    with folder_lock(versions_dir(prompts_dir, name)):
        kept_path = keep_unrecorded_current(prompts_dir, name)
        if kept_path is not None:
            warnings = [kept_line(path, name, kept_path), *warnings]
        for _ in range(1000):
            preview = preview_promotion(prompts_dir, name, content)
            if preview.identical:
                preview.warnings = warnings
                preview.kept_path = kept_path
                return preview
            n = preview.next_version
            text = render_prompt_file(template, **fields, version=n, provenance=prov)
            target = version_path(prompts_dir, name, n)
            try:
                create_exclusive(target, text)
            except FileExistsError:
                continue  # another writer took n: look again
            current = read_if_exists(path)
            atomic_write(path, text)
            old_label = (
                f"{name} v{preview.previous_version}" if current is not None else "/dev/null"
            )
            return Promotion(
                name=name,
                version=n,
                next_version=n,
                identical=False,
                path=path,
                version_path=target,
                created=True,
                diff=unified_diff(current or "", text, old_label, f"{name} v{n}"),
                text=text,
                previous_version=preview.previous_version,
                warnings=warnings,
                kept_path=kept_path,
            )
    raise LibraryError(f"could not find a free version number for {name}")
