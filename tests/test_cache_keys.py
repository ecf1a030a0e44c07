"""A call's cache key is its identity in every database a user has: the runner's quicker way of
making a run's keys (CallKeys) must give cache_key's value byte for byte, and cache_key must
not drift (a changed key finds none of the answers recorded before it)."""

from __future__ import annotations

import random

from playground.core.cache import CallKeys, cache_key
from playground.core.template import Message


def test_a_known_call_keeps_its_key() -> None:
    messages = [Message("system", "Be terse."), Message("user", 'Héllo "otters"\n')]
    params = {"max_tokens": 64, "temperature": 0.7, "top_p": None}
    endpoint = "https://api.openai.com/v1/chat/completions"
    expected = "cd097de7a0e613c713fc0aeb83642ce84538e48fa1b80b5f91f8420016422c8f"
    assert cache_key("openai", endpoint, "gpt-4.1", messages, params, 2) == expected
    keys = CallKeys(messages)
    assert keys.key(keys.prefix("openai", endpoint, "gpt-4.1", params), 2) == expected


def test_a_runs_keys_are_cache_keys_for_any_call() -> None:
    rng = random.Random(3)
    letters = 'ab "\\\n\té€😀{}:,'

    def text() -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(0, 40)))

    for _ in range(300):
        messages = [
            Message(rng.choice(["system", "user", "assistant"]), text())
            for _ in range(rng.randint(0, 4))
        ]
        keys = CallKeys(messages)
        for _ in range(4):
            provider, endpoint, model = text(), text(), text()
            params = {
                "temperature": rng.choice([None, 0.0, 0.7, 1.0, 2]),
                "max_tokens": rng.choice([None, 1, 4096]),
                text(): rng.choice([True, False, None, [1, "x"], {"b": 1, "a": text()}]),
            }
            prefix = keys.prefix(provider, endpoint, model, params)
            for sample in (0, 1, rng.randint(2, 10_000)):
                assert keys.key(prefix, sample) == cache_key(
                    provider, endpoint, model, messages, params, sample
                )
