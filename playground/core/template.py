"""A prompt is a list of messages whose text is a Handlebars template.

Rendering uses Dotprompt's own Handlebars engine (no HTML escaping, strict about missing
variables), so what runs here renders the same as the prompt files an application loads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

# dotpromptz_handlebars (~4 ms to import) loads with the first text that has a {{: plain text
# renders as itself, so `run -p hi` and the TUI's first frame never load it


class TemplateError(Exception):
    """A template that cannot render; the message is one line for the user."""


class MissingVariable(TemplateError):
    def __init__(self, name: str) -> None:
        super().__init__(f"variable {{{{{name}}}}} has no value (set it with --var {name}=VALUE)")
        self.name = name


@dataclass(frozen=True)
class Message:
    """One message as sent. Dotprompt's ``model`` role is ``assistant`` here (what every
    provider API but Gemini calls it, and what Genkit sends for it); files keep ``model``."""

    role: str  # system | user | assistant | tool
    content: str


HISTORY_ROLES = {
    "system": "system",
    "user": "user",
    "assistant": "assistant",
    "model": "assistant",
    "tool": "tool",
}


def history_messages(items: Any) -> list[Message]:
    """Conversation history as Messages: a list of Message or ``{role, content}`` mappings
    (``model`` is read as assistant). Raises TemplateError naming the bad item."""
    out: list[Message] = []
    role: Any
    content: Any
    for i, item in enumerate(items or ()):
        if isinstance(item, Message):
            role, content = item.role, item.content
        elif isinstance(item, dict):
            role, content = item.get("role"), item.get("content")
        else:
            raise TemplateError(f"history item {i + 1} must be an object with role and content")
        if role not in HISTORY_ROLES:
            raise TemplateError(
                f"history item {i + 1}: role {role!r} (use system, user, assistant or model)"
            )
        if not isinstance(content, str):
            raise TemplateError(f"history item {i + 1}: content must be text")
        out.append(Message(HISTORY_ROLES[role], content))
    return out


def insert_history(messages: list[Message], history: list[Message]) -> list[Message]:
    """Dotprompt's rule for a template without ``{{history}}``: the history goes before the
    last message when that is a user message (so after the system prompt), else at the end."""
    if not history:
        return messages
    if messages and messages[-1].role == "user":
        return [*messages[:-1], *history, messages[-1]]
    return [*messages, *history]


@dataclass
class PromptTemplate:
    """System and user (and optionally earlier turns) as templates.

    ``dotprompt`` marks a template whose one message is a whole Dotprompt body (role markers
    inside ``{{#if}}``, ``{{history}}``, ``{{section}}``): it renders as Dotprompt renders it,
    the body first and then split into messages at the markers it produced.
    """

    messages: list[Message] = field(default_factory=list)
    dotprompt: bool = False

    @classmethod
    def from_body(cls, body: str) -> PromptTemplate:
        """A template that renders a whole Dotprompt body (markers and all) per run."""
        return cls([Message("user", body)], dotprompt=True)

    @classmethod
    def from_parts(
        cls, system: str = "", user: str = "", turns: Sequence[tuple[str, str]] = ()
    ) -> PromptTemplate:
        """System, the first user message, and the turns after it (``(role, text)``: few-shot
        examples, an assistant prefill last), as the editor holds them. A blank turn is one
        still being written: left out."""
        turns = [(role, text) for role, text in turns if text.strip()]
        if any(needs_dotprompt(t) for t in (system, user, *(text for _, text in turns))):
            head = f'{{{{role "system"}}}}{system}{{{{role "user"}}}}' if system else ""
            tail = "".join(
                f'{{{{role "{"model" if role == "assistant" else role}"}}}}{text}'
                for role, text in turns
            )
            return cls.from_body(head + user + tail)
        msgs = []
        if system:
            msgs.append(Message("system", system))
        if user or not turns:
            msgs.append(Message("user", user))
        msgs.extend(Message(role, text) for role, text in turns)
        return cls(msgs)

    def parts(self) -> tuple[str, str, list[tuple[str, str]]]:
        """What ``from_parts`` takes back: the leading system text, the first user message,
        and every message after it as ``(role, text)``. A whole Dotprompt body stays one text."""
        if self.dotprompt:
            return "", "".join(m.content for m in self.messages), []
        rest = list(self.messages)
        system: list[str] = []
        while rest and rest[0].role == "system":
            system.append(rest.pop(0).content)
        user = rest.pop(0).content if rest and rest[0].role == "user" else ""
        return "\n\n".join(system), user, [(m.role, m.content) for m in rest]

    @property
    def system(self) -> str:
        return "\n\n".join(m.content for m in self.messages if m.role == "system")

    @property
    def user(self) -> str:
        users = [m.content for m in self.messages if m.role == "user"]
        return users[-1] if users else ""

    def variables(self) -> list[str]:
        """Top-level names the template reads, in order of first use."""
        seen: dict[str, None] = {}
        for m in self.messages:
            for name in template_variables(m.content):
                seen.setdefault(name, None)
        return list(seen)

    def render(self, variables: dict[str, Any], history: Any = None) -> list[Message]:
        """The messages to send, as Dotprompt renders them. ``history`` (run-time data: a
        list of Message or ``{role, content}``) goes where ``{{history}}`` stands, else
        where Dotprompt inserts it (see insert_history)."""
        past = history_messages(history)
        if self.dotprompt:
            return render_dotprompt("".join(m.content for m in self.messages), variables, past)
        out = [Message(m.role, render_text(m.content, variables)) for m in self.messages]
        kept = [m for m in out if m.content.strip()]
        # a message that renders blank is left out, as Dotprompt leaves it out of a file
        return insert_history(kept or out, past)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in self.messages]
        }
        if self.dotprompt:
            out["format"] = "dotprompt"
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PromptTemplate:
        return cls(
            [Message(m["role"], m["content"]) for m in data.get("messages", [])],
            dotprompt=data.get("format") == "dotprompt",
        )


def _dotprompt_helper(name: str) -> Any:
    """Dotprompt's own helper, imported on first use (dotpromptz is slow to import)."""

    def helper(params: Any, options: Any) -> Any:
        from dotpromptz._helpers import BUILTIN_HELPERS

        return BUILTIN_HELPERS[name](params, options)

    return helper


@cache
def _engine(helpers: tuple[str, ...]) -> Any:
    """A strict, non-escaping Handlebars engine with these of Dotprompt's helpers."""
    from dotpromptz_handlebars import EscapeFunction, Handlebars

    engine = Handlebars(escape_fn=EscapeFunction.NO_ESCAPE, strict=True)
    for name in helpers:
        engine.register_helper(name, _dotprompt_helper(name))
    return engine


_HELPERS = ("json", "ifEquals", "unlessEquals")  # as prompt files use them
_DP_HELPERS = (*_HELPERS, "role", "history", "section", "media")
_BUILTINS = {
    "if",
    "unless",
    "each",
    "with",
    "lookup",
    "log",
    "else",
    "this",
    "role",
    "json",
    "history",
    "section",
    "media",
    "ifEquals",
    "unlessEquals",
}


@lru_cache(maxsize=256)
def _compiled(source: str) -> Any:
    try:
        return _engine(_HELPERS).compile(source)
    except Exception as exc:  # the engine raises plain errors on bad syntax
        raise TemplateError(f"template syntax: {exc}") from None


def render_text(source: str, variables: dict[str, Any]) -> str:
    if "{{" not in source:
        return source
    return _apply(_compiled(source), variables)


def _apply(compiled: Any, variables: dict[str, Any]) -> str:
    """Run a compiled template; the engine's errors become ours (one line, names the variable)."""
    from dotpromptz_handlebars import StrictModeError  # loaded already: it compiled `compiled`

    try:
        return compiled(variables)
    except StrictModeError as exc:
        raise _missing(str(exc), variables) from None
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"template: {exc}") from None


# ---------------------------------------------------------------- whole Dotprompt bodies

_DOTPROMPT_ONLY = re.compile(r"\{\{~?\s*(?:role|history|section|media)\b")
# what dotpromptz's to_messages splits the rendered body at (same patterns as dotpromptz._parse)
_ROLE_OR_HISTORY = re.compile(r"(<<<dotprompt:(?:role:[a-z]+|history))>>>")
_MEDIA_OR_SECTION = re.compile(r"(<<<dotprompt:(?:media:url|section).*?)>>>")
_ROLES = {"system": "system", "user": "user", "model": "assistant", "tool": "tool"}


def needs_dotprompt(source: str) -> bool:
    """True when text uses Dotprompt's own helpers, so only a whole-body render is faithful."""
    return "{{" in source and _DOTPROMPT_ONLY.search(source) is not None


@lru_cache(maxsize=64)
def _compiled_dotprompt(source: str) -> Any:
    try:
        return _engine(_DP_HELPERS).compile(source)
    except Exception as exc:
        raise TemplateError(f"template syntax: {exc}") from None


def render_dotprompt(
    body: str, variables: dict[str, Any], history: list[Message] | None = None
) -> list[Message]:
    """Messages as dotpromptz renders ``body`` with this conversation history.

    Mirrors ``dotpromptz._parse.to_messages`` (the tests check it against dotpromptz): render,
    split at role and history markers, drop whitespace-only pieces; ``{{history}}`` places the
    history and starts a model turn; without it the history goes where insert_history puts
    it; a section marker is metadata, not text. A media part cannot go to a text-only
    request, so it is refused.
    """
    rendered = _apply(_compiled_dotprompt(body), variables)
    past = list(history or ())
    current = ["user", ""]  # the message being rendered: [role, its text so far]
    sources: list[list[str] | Message] = [current]  # history turns go in as they are
    placed = False  # the body has {{history}}: the history went there
    for piece in _ROLE_OR_HISTORY.split(rendered):
        if not piece.strip():
            continue
        if piece.startswith("<<<dotprompt:role:"):
            role = piece[len("<<<dotprompt:role:") :]
            if role not in _ROLES:
                raise TemplateError(f"unknown role {role!r} (use system, user, model or tool)")
            if current[1].strip():
                current = [role, ""]
                sources.append(current)
            else:
                current[0] = role
        elif piece.startswith("<<<dotprompt:history"):
            sources.extend(past)
            placed = placed or bool(past)
            current = ["model", ""]
            sources.append(current)
        else:
            current[1] += piece
    out = []
    for source in sources:
        if isinstance(source, Message):
            out.append(source)
            continue
        role, text = source
        if not text:
            continue
        parts = []
        for part in _MEDIA_OR_SECTION.split(text):
            if not part.strip() or part.startswith("<<<dotprompt:section"):
                continue
            if part.startswith("<<<dotprompt:media:"):
                url = part.split(" ")[1] if " " in part else ""
                raise TemplateError(
                    f"{{{{media}}}} part ({url}) cannot be sent: requests are text only; "
                    "put the URL in the text instead"
                )
            parts.append(part)
        out.append(Message(_ROLES[role], "".join(parts)))
    return out if placed else insert_history(out, past)


def _missing(message: str, variables: dict[str, Any]) -> TemplateError:
    """The engine's "x.y is not defined" as our error: a variable with no value, or (when
    the variable is given) a field it does not have, since --var values are text."""
    path = message.split(" ", 1)[0]
    # a path from the top of the data names the same variable: @root.who, ../who, this.who
    bare = path
    while bare.startswith(("../", "@root.", "this.", "./")):
        bare = bare.split("/", 1)[1] if bare.startswith(("../", "./")) else bare.split(".", 1)[1]
    root, _, field = bare.partition(".")
    if field and root in variables:
        kind = "text" if isinstance(variables[root], str) else type(variables[root]).__name__
        return TemplateError(f"{{{{{path}}}}}: {root} has no field {field!r} ({root} is {kind})")
    return MissingVariable(root or "?")


@lru_cache(maxsize=256)
def _vars_of(source: str) -> tuple[str, ...]:
    from dotpromptz_handlebars import Block, InlinePartial, Mustache, Partial, PartialBlock
    from dotpromptz_handlebars._render import compile_template

    try:
        program = compile_template(source)
    except Exception:
        return ()
    names: dict[str, None] = {}

    def add(path: str) -> None:
        if not path or path[0] in "\"'@(" or path[0].isdigit() or path in ("true", "false", "null"):
            return
        head = path.split(".")[0].split("/")[0]
        if head not in _BUILTINS and head:
            names.setdefault(head, None)

    def visit(nodes: Any) -> None:
        for node in nodes or ():
            call = getattr(node, "call", None)
            if isinstance(node, Mustache) and call:
                if call["args"] or call["hash"]:  # a helper: its arguments are the variables
                    for arg in (*call["args"], *call["hash"].values()):
                        add(arg)
                else:
                    add(call["name"])
            elif isinstance(node, Block) and call:
                for arg in call["args"]:
                    add(arg)
                if call["name"] not in ("each", "with"):  # those bodies read the item, not the top
                    visit(node.body)
                visit(node.inverse)
            elif isinstance(node, (Partial, PartialBlock)):  # reads its context and hash
                for arg in (node.context_path, *node.hash.values()):
                    if isinstance(arg, str):
                        add(arg)
                if isinstance(node, PartialBlock) and node.context_path is None:
                    visit(node.body)
            elif isinstance(node, InlinePartial):  # usually called with the top-level context
                visit(node.body)

    visit(program)
    return tuple(names)


def template_variables(source: str) -> tuple[str, ...]:
    if "{{" not in source:
        return ()
    return _vars_of(source)
