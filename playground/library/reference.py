"""Rendering a .prompt file with dotpromptz, the reference implementation, from sync code.

Used to check, before a file is written, that an application loading it with dotpromptz
sends exactly the messages our runner sent; and by the tests as the round-trip oracle.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from playground.core.template import Message


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
