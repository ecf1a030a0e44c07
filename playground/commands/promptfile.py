"""Loading a prompt file as a plan's defaults. (Filled in by the prompt-library issue.)"""

from __future__ import annotations

from typing import Any

from playground.commands.common import UsageError


def plan_from_prompt_file(path: str, settings: Any) -> Any:
    raise UsageError(f"{path}: prompt files are not supported yet")
