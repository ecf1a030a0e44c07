"""A prompt is a list of messages whose text is a Handlebars template.

Rendering uses Dotprompt's own Handlebars engine (no HTML escaping, strict about missing
variables), so what runs here renders the same as the prompt files an application loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from dotpromptz_handlebars import Block, EscapeFunction, Handlebars, Mustache, StrictModeError


class TemplateError(Exception):
    """A template that cannot render; the message is one line for the user."""


class MissingVariable(TemplateError):
    def __init__(self, name: str) -> None:
        super().__init__(f"variable {{{{{name}}}}} has no value (set it with --var {name}=VALUE)")
        self.name = name


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str


@dataclass
class PromptTemplate:
    """System and user (and optionally earlier turns) as templates."""

    messages: list[Message] = field(default_factory=list)

    @classmethod
    def from_parts(cls, system: str = "", user: str = "") -> PromptTemplate:
        msgs = []
        if system:
            msgs.append(Message("system", system))
        msgs.append(Message("user", user))
        return cls(msgs)

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

    def render(self, variables: dict[str, Any]) -> list[Message]:
        return [Message(m.role, render_text(m.content, variables)) for m in self.messages]

    def to_dict(self) -> dict[str, Any]:
        return {"messages": [{"role": m.role, "content": m.content} for m in self.messages]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PromptTemplate:
        return cls([Message(m["role"], m["content"]) for m in data.get("messages", [])])


_ENGINE = Handlebars(escape_fn=EscapeFunction.NO_ESCAPE, strict=True)


def _dotprompt_helper(name: str) -> Any:
    """Dotprompt's own helper, imported on first use (dotpromptz is slow to import)."""

    def helper(params: Any, options: Any) -> Any:
        from dotpromptz._helpers import BUILTIN_HELPERS

        return BUILTIN_HELPERS[name](params, options)

    return helper


for _name in ("json", "ifEquals", "unlessEquals"):  # as prompt files use them
    _ENGINE.register_helper(_name, _dotprompt_helper(_name))
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
        return _ENGINE.compile(source)
    except Exception as exc:  # the engine raises plain errors on bad syntax
        raise TemplateError(f"template syntax: {exc}") from None


def render_text(source: str, variables: dict[str, Any]) -> str:
    if "{{" not in source:
        return source
    try:
        return _compiled(source)(variables)
    except StrictModeError as exc:
        name = _missing_name(str(exc)) or "?"
        raise MissingVariable(name) from None
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"template: {exc}") from None


def _missing_name(message: str) -> str | None:
    # the engine says "name is not defined"
    head = message.split(" ", 1)[0]
    return head.split(".")[0] or None


@lru_cache(maxsize=256)
def _vars_of(source: str) -> tuple[str, ...]:
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

    visit(program)
    return tuple(names)


def template_variables(source: str) -> tuple[str, ...]:
    if "{{" not in source:
        return ()
    return _vars_of(source)
