"""Rendering a .prompt file with dotpromptz, the reference implementation, from sync code.

Used to check, before a file is written, that an application loading it with dotpromptz
sends exactly the messages our runner sent; and by the tests as the round-trip oracle.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from playground.core.template import (
    Message,
    MissingVariable,
    PromptTemplate,
    TemplateError,
    render_text,
)
from playground.library.errors import LibraryError


async def render_async(
    text: str, variables: dict[str, Any] | None = None, history: list[Message] | None = None
) -> list[Message]:
    from dotpromptz import Dotprompt
    from dotpromptz.typing import DataArgument, Role, TextPart
    from dotpromptz.typing import Message as DotpromptMessage

    past = [
        DotpromptMessage(
            role=Role("model" if m.role == "assistant" else m.role),
            content=[TextPart(text=m.content)],
        )
        for m in history or ()
    ]
    data = DataArgument(input=dict(variables or {}), messages=past or None)
    rendered: Any = await Dotprompt().render(text, data)
    out: list[Message] = []
    for m in rendered.messages:
        role = str(getattr(m.role, "value", m.role))
        body = "".join(getattr(p, "text", None) or "" for p in m.content)
        out.append(Message("assistant" if role == "model" else role, body))
    return out


def render_reference(
    text: str, variables: dict[str, Any] | None = None, history: list[Message] | None = None
) -> list[Message]:
    """Messages dotpromptz renders for ``text`` (its input.default merged under ``variables``,
    ``history`` given as the conversation's messages); ``model`` is read as assistant."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(render_async(text, variables, history))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, render_async(text, variables, history)).result()


def check_syntax(template: PromptTemplate) -> None:
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


def verify_written(text: str, template: PromptTemplate, variables: dict[str, Any]) -> list[str]:
    """Check dotpromptz renders ``text`` to the messages our runner renders; warnings if odd."""
    check_syntax(template)
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
