"""The offline model: answers with the rendered request, streamed, so anything can be tried keyless."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from playground.core.providers.base import ChatRequest, Finish, Provider, StreamEvent, TextDelta


def echo_text(request: ChatRequest) -> str:
    """What would be sent: the parameters, then each rendered message."""
    params = " ".join(f"{k}={v}" for k, v in request.params().items() if v not in (None, []))
    parts = [f"[echo {params}]".replace(" ]", "]")]
    for m in request.messages:
        parts.append(f"{m.role}: {m.content}")
    return "\n\n".join(parts) + "\n"  # blank lines: each part its own Markdown paragraph


class EchoProvider(Provider):
    kind = "echo"
    needs_key = False
    chunk_delay = 0.004  # seconds between pieces: enough to see it stream

    def endpoint(self, request: ChatRequest) -> str:
        return "echo://local"

    def body(self, request: ChatRequest) -> dict[str, Any]:
        return {
            "model": request.model,
            **request.params(),
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }

    async def stream(
        self, client: httpx.AsyncClient, request: ChatRequest, raw: list[Any] | None = None
    ) -> AsyncIterator[StreamEvent]:
        text = echo_text(request)
        limit = request.max_tokens
        words = text.split(" ")
        for i, word in enumerate(words):
            if limit is not None and i >= limit * 3:  # roughly max_tokens worth of words
                yield Finish("length")
                return
            yield TextDelta(word if i == 0 else " " + word)
            await asyncio.sleep(self.chunk_delay)
        yield Finish("stop")

    async def check_ready(self, client: httpx.AsyncClient) -> tuple[bool, str]:
        return True, "offline, always ready"
