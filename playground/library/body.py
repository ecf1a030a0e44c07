"""The Handlebars body of a prompt file: written as role blocks, read back into messages.

The body holds one ``{{role "..."}}`` block per message. Dotprompt renders the whole body and
then splits it at the role markers; we write the markers with Handlebars whitespace control
(``~``) so each message renders to exactly the text its own template renders to alone.

A body whose messages cannot be told from its source (role markers inside ``{{#if}}`` or
``{{#each}}``, a role named by a variable, ``{{history}}``, ``{{section}}``, partials) loads
as one whole-body template (``PromptTemplate.from_body``) that renders and splits as
dotpromptz does. Refused, in one line with file:line: ``{{media}}`` (requests are text
only) and a partial the file does not define itself (``{{#*inline}}``).
"""

from __future__ import annotations

import re
from typing import Any

from playground.core.template import Message, PromptTemplate
from playground.library.errors import LibraryError

DOTPROMPT_ROLES = ("system", "user", "model", "tool")
# keeps a last message's trailing whitespace: Dotprompt strips the body's end
END_GUARD = '{{""}}'
_ROLE_TAG = re.compile(r"""\{\{(~?)\s*role\s+(?:"([a-z]+)"|'([a-z]+)')\s*(~?)\}\}""")
_OPEN_BLOCK = re.compile(r"\{\{~?\s*#")
# a tag the Handlebars engine treats as "standalone" when alone on its line, at the start of a
# message: alone it would drop its line end, right after a role marker it cannot
_LEAD_TAG = re.compile(
    r"\A[ \t]*(\{\{~?\s*(?:[!#/>^]|else\b)(?:[^}]|\}(?!\}))*\}\})"
    r"(?:[ \t]*(\r?\n|\Z)|[ \t]+(?=\{\{))"  # the engine counts spaces before a tag as line end
)
NOT_STANDALONE = '{{""}}'
# the same kind of tag alone on the last line of a message, before the next marker
_TRAIL_TAG = re.compile(r"(?:\A|\n)[ \t]*\{\{~?\s*(?:[!#/>^]|else\b)(?:[^}]|\}(?!\}))*\}\}[ \t]*\Z")
_CLOSE_BLOCK = re.compile(r"\{\{~?\s*/")


def render_body(template: PromptTemplate) -> str:
    """The Handlebars body: a role block per message, whitespace-exact under Dotprompt."""
    if template.dotprompt:  # a whole Dotprompt body: written as it is
        body = "".join(m.content for m in template.messages)
        if not body.strip():
            raise LibraryError("the prompt is empty; write something before promoting")
        # Dotprompt strips the body's ends; a guard keeps whitespace the text renders with
        head = END_GUARD if body[0].isspace() else ""
        tail = END_GUARD if body[-1].isspace() else ""
        return head + body + tail + "\n"
    if not template.messages:
        raise LibraryError("the prompt has no messages")
    out: list[str] = []
    prev_trailing_ws = True  # nothing before the first marker to strip
    for i, m in enumerate(template.messages):
        role = "model" if m.role == "assistant" else m.role
        if role not in DOTPROMPT_ROLES:
            raise LibraryError(
                f"message {i + 1}: role {m.role!r} cannot be written to a prompt file"
            )
        content = m.content
        content = _without_lead_line_ends(content)
        if not content.strip():
            raise LibraryError(f"message {i + 1} ({m.role}) is empty; remove it before promoting")
        lead_ws = content[0].isspace()
        left = "" if prev_trailing_ws else "\n{{~"
        tag = f'role "{role}"'
        if left:
            out.append(left + tag)
        else:
            out.append("{{" + tag)
        out.append("}}" if lead_ws else "~}}\n")
        out.append(content)
        prev_trailing_ws = content[-1].isspace()
    if prev_trailing_ws:
        out.append(END_GUARD)
    return "".join(out) + "\n"


def _without_lead_line_ends(content: str) -> str:
    """Drop the indent and line end of the tags standing alone on the message's first lines.

    Alone, the engine drops them (standalone tags); after a role marker it cannot, so the
    file carries the text as it renders alone. Each dropped line end is one the next
    standalone tag counted on, so the rule repeats down the leading run of such lines.
    """
    kept: list[str] = []
    rest = content
    while m := _LEAD_TAG.match(rest):
        kept.append(m.group(1))
        rest = rest[m.end() :]
        if not m.group(2):  # the next tag shares this line: it was never alone on one
            break
    return "".join(kept) + rest if kept else content


def split_body(body: str, path: Any = None, first_line: int = 1) -> list[Message]:
    """Messages from a Dotprompt body, splitting where Dotprompt splits the rendered text.

    Text before the first marker is a user message (Dotprompt's default role); ``~`` strips
    whitespace as Handlebars does; blocks that are only whitespace are dropped, as Dotprompt
    drops them. The body is taken as dotpromptz holds it (stripped only after front matter),
    so the last message keeps the whitespace it ends with, as Dotprompt renders it.
    """
    chunks: list[tuple[str, str]] = []  # (role, source)
    role = "user"
    pos = 0
    strip_next = False
    for m in _ROLE_TAG.finditer(body):
        before = body[pos : m.start()]
        if strip_next:
            before = before.lstrip()
        cut = ""
        if m.group(1):
            cut = before[len(before.rstrip()) :]
            before = before.rstrip()
        if "\n" not in cut and _TRAIL_TAG.search(before):
            # the marker shares the tag's line, so Dotprompt's engine does not treat the tag as
            # standalone; rendered alone it would, and drop its line's indentation
            before += NOT_STANDALONE
        if _depth(before) != 0:
            line = first_line + body.count("\n", 0, m.start())
            raise LibraryError("role markers inside {{#...}} blocks are not supported", path, line)
        chunks.append((role, before))
        role = m.group(2) or m.group(3)
        if role not in DOTPROMPT_ROLES:
            line = first_line + body.count("\n", 0, m.start())
            raise LibraryError(f"unknown role {role!r} (use system, user or model)", path, line)
        strip_next = bool(m.group(4))
        pos = m.end()
    rest = body[pos:]
    if strip_next:
        rest = rest.lstrip()
    if rest.endswith(END_GUARD):
        rest = rest[: -len(END_GUARD)]
    chunks.append((role, rest))
    messages = []
    for i, (r, text) in enumerate(chunks):
        if i and _LEAD_TAG.match(text):  # keep it as Dotprompt renders it after a marker
            text = NOT_STANDALONE + text
        if text.strip():
            messages.append(Message("assistant" if r == "model" else r, text))
    return messages


_ANY_ROLE = re.compile(r"\{\{~?\s*role\b")
_WHOLE_BODY_HELPER = re.compile(r"\{\{~?\s*(history|section|media)\b")
_PARTIAL = re.compile(r"\{\{~?\s*#?>\s*([^\s}~]*)")
_PARTIAL_CALL = re.compile(r"\{\{~?\s*>\s*([a-zA-Z0-9_.\-/]+)")  # a {{#> block}} has a fallback
_INLINE = re.compile(r"""\{\{~?\s*#\*inline\s+(?:"([^"]*)"|'([^']*)')""")


def needs_whole_body(body: str) -> bool:
    """True when splitting the source at its role markers cannot say what Dotprompt renders.

    That is: a role marker inside a block (``{{#if}}``, ``{{#each}}``), a role named by a
    variable, Dotprompt's ``{{history}}``, ``{{section}}`` or ``{{media}}`` helpers, or a
    partial (``{{> name}}``, defined by ``{{#*inline}}`` anywhere in the body).
    """
    if "{{" not in body:
        return False
    if _WHOLE_BODY_HELPER.search(body) or _PARTIAL.search(body):
        return True
    tags = list(_ROLE_TAG.finditer(body))
    if len(tags) != len(_ANY_ROLE.findall(body)):
        return True
    return any(_depth(body[: m.start()]) != 0 for m in tags)


def whole_body_template(text: str, body: str, where: str) -> PromptTemplate:
    """A template rendered as Dotprompt renders the whole body; refusals name file:line."""
    start = text.find(body) if body else -1

    def line_of(pos: int) -> int | None:
        return text.count("\n", 0, start + pos) + 1 if start >= 0 else None

    if not body.strip():
        raise LibraryError("the prompt body is empty (no messages)", where)
    inline = {a or b for a, b in _INLINE.findall(body)}
    for m in _PARTIAL_CALL.finditer(body):
        if m.group(1) in inline:  # {{#*inline "name"}} in the file itself
            continue
        raise LibraryError(
            f"partial {{{{> {m.group(1)}}}}} is not defined in the file: dotpromptz cannot "
            "render it unless the application registers it, and playground reads no partial "
            'files; put its text in the file (or in {{#*inline "NAME"}}...{{/inline}})',
            where,
            line_of(m.start()),
        )
    for m in _ROLE_TAG.finditer(body):
        role = m.group(2) or m.group(3)
        if role not in DOTPROMPT_ROLES:
            raise LibraryError(
                f"unknown role {role!r} (use system, user or model)", where, line_of(m.start())
            )
    for m in _WHOLE_BODY_HELPER.finditer(body):
        if m.group(1) == "media":
            raise LibraryError(
                "{{media}} parts are not supported: playground sends text-only requests; "
                "put the URL in the text, or run this file from an application",
                where,
                line_of(m.start()),
            )
    return PromptTemplate.from_body(body)


def _depth(source: str) -> int:
    return len(_OPEN_BLOCK.findall(source)) - len(_CLOSE_BLOCK.findall(source))
