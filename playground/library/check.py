"""Does the playground send what an application sends? (`playground prompts check`)

For a prompt file, its defaults and every case of its tests file are rendered twice: as a run
here renders them (its ``input.default`` under the case's ``vars``, read as the schema's
types), and by dotpromptz, as an application loading the file renders them. Any byte that
differs is reported with the file, the case and the first position where the two part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.template import Message, MissingVariable, TemplateError
from playground.library.promptfile import PromptFile, display_path

SNIPPET = 24  # characters shown either side of a difference


@dataclass
class Difference:
    case: str  # "defaults", "case 2", "data.csv row 3"
    message: int | None  # 1-based message number, None when one side did not render
    position: int | None  # the first differing byte of that message's UTF-8 text
    playground: str  # what the playground has there (a snippet, or its error)
    dotpromptz: str

    def describe(self) -> str:
        if self.message is None:
            return f"{self.case}: playground {self.playground}; dotpromptz {self.dotpromptz}"
        at = f"message {self.message}" + (
            f" at byte {self.position}" if self.position is not None else ""
        )
        return f"{self.case}: {at}: playground {self.playground} | dotpromptz {self.dotpromptz}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "message": self.message,
            "position": self.position,
            "playground": self.playground,
            "dotpromptz": self.dotpromptz,
        }


@dataclass
class CheckResult:
    path: str
    renders: int = 0
    differences: list[Difference] = field(default_factory=list)
    problem: str | None = None  # the tests file could not be read (bad input)
    skipped: list[str] = field(default_factory=list)  # renders a run here would refuse


def _snippet(text: str, start: int) -> str:
    piece = text[max(0, start - SNIPPET) : start + SNIPPET]
    return ("…" if start > SNIPPET else "") + repr(piece)


def _byte_offset(a: str, b: str) -> tuple[int, int]:
    """(first differing byte of a and b's UTF-8 text, the character it falls in, in a)."""
    ab, bb = a.encode("utf-8"), b.encode("utf-8")
    n = next((i for i, (x, y) in enumerate(zip(ab, bb, strict=False)) if x != y), None)
    n = min(len(ab), len(bb)) if n is None else n
    return n, len(ab[:n].decode("utf-8", errors="ignore"))


def first_difference(case: str, ours: list[Message], theirs: list[Message]) -> Difference | None:
    """Where two message lists first differ (role, text, or how many there are)."""
    for i, (a, b) in enumerate(zip(ours, theirs, strict=False), 1):
        if a.role != b.role:
            return Difference(case, i, None, f"role {a.role}", f"role {b.role}")
        if a.content != b.content:
            byte, char = _byte_offset(a.content, b.content)
            char_b = len(b.content.encode("utf-8")[:byte].decode("utf-8", errors="ignore"))
            return Difference(case, i, byte, _snippet(a.content, char), _snippet(b.content, char_b))
    if len(ours) != len(theirs):
        i = min(len(ours), len(theirs)) + 1
        extra = ours[i - 1] if len(ours) > len(theirs) else theirs[i - 1]
        shown = f"{extra.role} {_snippet(extra.content, 0)}"
        mine, other = (shown, "nothing") if len(ours) > len(theirs) else ("nothing", shown)
        return Difference(case, i, None, mine, other)
    return None


def check_case(pf: PromptFile, case: str, variables: dict[str, Any]) -> Difference | None:
    """Render one case both ways; the first difference, or None when they are the same.

    MissingVariable propagates: a run here refuses to send anything without the value."""
    from playground.library.reference import render_reference

    ours: list[Message] | str
    theirs: list[Message] | str
    try:
        ours = pf.render(variables)
    except MissingVariable:
        raise
    except TemplateError as exc:
        ours = f"refuses it: {exc}"
    try:
        theirs = render_reference(pf.raw, variables)
    except Exception as exc:  # whatever dotpromptz raises, said in one line
        theirs = f"fails: {' '.join(str(exc).split()) or type(exc).__name__}"
    if isinstance(ours, str) or isinstance(theirs, str):
        if isinstance(ours, str) and isinstance(theirs, str):
            return None  # neither renders it: nothing is sent either way
        shown = [
            x if isinstance(x, str) else f"renders {len(x)} message(s)" for x in (ours, theirs)
        ]
        return Difference(case, None, None, shown[0], shown[1])
    return first_difference(case, ours, theirs)


def check_prompt(pf: PromptFile, tests_path: Path | None = None) -> CheckResult:
    """The prompt's defaults, then every case of its tests file (if it has one)."""
    from playground.core.evals.cases import TestsFileError, load_suite, tests_path_for

    result = CheckResult(display_path(pf.path) if pf.path is not None else pf.name)
    cases: list[tuple[str, dict[str, Any]]] = [("defaults", {})]
    path = tests_path or tests_path_for(pf.path)
    if path is not None and path.is_file():
        try:
            for case in load_suite(path).cases():
                if case.problem:
                    result.problem = f"{case.where}: {case.problem}"
                    continue
                cases.append((case.where or f"case {case.number}", case.vars))
        except TestsFileError as exc:
            result.problem = str(exc)
    for label, variables in cases:
        try:
            diff = check_case(pf, label, variables)
        except MissingVariable as exc:
            if label == "defaults":  # the file's defaults need not cover every variable
                result.skipped.append(f"defaults: {exc}")
                continue
            diff = Difference(label, None, None, f"refuses it: {exc}", "renders it")
        result.renders += 1
        if diff is not None:
            result.differences.append(diff)
    return result
