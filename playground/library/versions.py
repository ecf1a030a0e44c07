"""Versions on disk: promote writes NAME/vN.prompt (never rewritten) and then NAME.prompt.

Two promotes at once never lose a version: vN is created with an exclusive hard link from a
complete temp file (so it appears whole or not at all, and a second writer of the same N
gets FileExistsError and takes N+1), and the whole step runs under an flock on the versions
folder so NAME.prompt always ends as the newest version.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playground.core.template import (
    Message,
    MissingVariable,
    PromptTemplate,
    TemplateError,
    render_text,
)
from playground.library.errors import LibraryError
from playground.library.names import (
    check_name,
    current_path,
    list_versions,
    version_path,
    versions_dir,
)
from playground.library.params import check_params
from playground.library.promptfile import content_key, parse_prompt_text, render_prompt_file


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
        return _kept_line(self.path, self.name, self.kept_path)


def current_schema(prompts_dir: Path | str, name: str) -> Any:
    """NAME.prompt's input schema as its author wrote it (None when there is none or the
    file does not load): a promote keeps those types and optional marks."""
    try:
        text = _read(current_path(Path(prompts_dir), name))
        return None if text is None else parse_prompt_text(text).schema
    except Exception:  # unreadable or broken: promote reports that on its own
        return None


def _read(path: Path) -> str | None:
    """A prompt file's text (None when absent); one that is not UTF-8 is a LibraryError."""
    from playground.library.loading import read_utf8

    try:
        return read_utf8(path)
    except FileNotFoundError:
        return None


def _current_version(prompts_dir: Path, name: str, current: str | None) -> int | None:
    if current is None:
        return None
    try:
        return parse_prompt_text(current, path=current_path(prompts_dir, name)).version
    except LibraryError:
        return None


@dataclass
class CurrentState:
    """NAME.prompt as found: its text, the version it says it is, and whether it is that."""

    text: str | None
    version: int | None
    recorded: bool  # byte for byte the NAME/vN.prompt it names (or there is no file)


def current_state(prompts_dir: Path | str, name: str) -> CurrentState:
    """Whether NAME.prompt is a version we keep, or has text kept nowhere else."""
    prompts_dir = Path(prompts_dir)
    text = _read(current_path(prompts_dir, name))
    version = _current_version(prompts_dir, name, text)
    if text is None:
        return CurrentState(None, None, True)
    if version and _read(version_path(prompts_dir, name, version)) == text:
        return CurrentState(text, version, True)
    versions = list_versions(prompts_dir, name)
    if versions and _read(version_path(prompts_dir, name, versions[-1])) == text:
        return CurrentState(text, versions[-1], True)  # e.g. a file kept byte for byte
    return CurrentState(text, version, False)


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


def current_label(name: str, state: CurrentState) -> str:
    """How a diff names NAME.prompt: its version, or what it is when it is not one."""
    if state.recorded:
        return f"{name} v{state.version}"
    if state.version:
        return f"{name} (current, edited since v{state.version})"
    return f"{name} (current, not a version)"


def _tmp_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


def _write_tmp(target: Path, text: str) -> Path:
    tmp = _tmp_for(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def atomic_write(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` all at once (temp file, then os.replace)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_tmp(target, text)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def create_exclusive(target: Path, text: str) -> None:
    """Create ``target`` whole, or raise FileExistsError if it already exists."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_tmp(target, text)
    try:
        try:
            os.link(tmp, target)  # atomic, and fails if the name is taken
        except FileExistsError:
            raise
        except OSError:  # no hard links here: exclusive create, then write
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on the versions folder itself (no lock file left behind)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no flock: the exclusive version create still keeps every version
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _check_syntax(template: PromptTemplate) -> None:
    """Refuse a template our engine cannot compile (an unclosed ``{{#if}}``, a stray ``{{``).

    Checked message by message with no values: compiling comes before any variable lookup,
    so a missing value never hides a syntax error.
    """
    for i, m in enumerate(template.messages):
        try:
            render_text(m.content, {})
        except MissingVariable:
            continue
        except TemplateError as exc:  # a helper only Dotprompt knows is not a syntax error
            if str(exc).startswith("template syntax"):
                raise LibraryError(f"message {i + 1} ({m.role}): {exc}") from None


def _verify(text: str, template: PromptTemplate, variables: dict[str, Any]) -> list[str]:
    """Check dotpromptz renders ``text`` to the messages our runner renders; warnings if odd."""
    from playground.library.reference import render_reference

    _check_syntax(template)
    try:
        ours: list[Message] | None = template.render(variables)
    except TemplateError:
        ours = None  # values missing: nothing was sent to compare against
    try:
        theirs = render_reference(text)
    except Exception as exc:  # dotpromptz refusing the file is worth one clear line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LibraryError(f"dotpromptz cannot render the file we would write: {first}") from None
    if ours is None:
        return []
    if theirs == ours:
        return []
    kept = [m for m in ours if m.content.strip()]
    if theirs == kept:
        return ["a message renders empty with these values; Dotprompt leaves it out"]
    raise LibraryError(
        "this template cannot be written so that dotpromptz renders exactly what was sent "
        "(please report it with the template)"
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
    warnings = _verify(content, template, variables)
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
    with _locked(versions_dir(prompts_dir, name)):
        kept_path = _keep_unrecorded_current(prompts_dir, name)
        if kept_path is not None:
            warnings = [_kept_line(path, name, kept_path), *warnings]
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
            current = _read(path)
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


def _kept_line(path: Path, name: str, kept: Path) -> str:
    return (
        f"{path.name} had changes of its own (written or edited by hand); "
        f"kept them as {name}/{kept.name}"
    )


def _keep_unrecorded_current(prompts_dir: Path, name: str) -> Path | None:
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
