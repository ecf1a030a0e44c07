"""Token counting per model. (Placeholder: a rough estimate until the tokens issue lands.)"""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.template import Message


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    exact: bool


def count_text(model_id: str, text: str) -> TokenCount:
    return TokenCount(max(0, round(len(text) / 4)), False)


def count_messages(model_id: str, messages: list[Message]) -> TokenCount:
    n = sum(4 + count_text(model_id, m.content).tokens for m in messages) + 3
    return TokenCount(n, False)
