"""Whether any provider key is set, and what to say on a first start without one."""

from __future__ import annotations

import os
from typing import Any

NO_KEYS_HINT = (
    "No API keys found: export OPENAI_API_KEY=… (or ANTHROPIC_/GEMINI_/OPENROUTER_), "
    "or use echo / local Ollama"
)


def any_key(settings: Any) -> bool:
    """True when a configured provider's key variable holds a value."""
    return any(
        cfg.api_key_env and os.environ.get(cfg.api_key_env) for cfg in settings.providers.values()
    )
