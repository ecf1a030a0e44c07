"""Loading a prompt file as a plan's defaults: its model and config; CLI flags override."""

from __future__ import annotations

import sys
from typing import Any

from playground.commands.common import UsageError


def plan_from_prompt_file(path: str, settings: Any) -> Any:
    """A RunPlan from a .prompt file (a path, or a NAME in the prompts folder).

    The file's model and config are the defaults: with a model named and no temperature, the
    plan runs once at the provider's default temperature, as an application loading the file
    would. Variable defaults come from ``input.default``.
    """
    from playground.core.plan import RunPlan
    from playground.library import LibraryError, load_prompt, variable_types

    try:
        pf = load_prompt(path, settings.prompts_dir())
    except LibraryError as exc:
        raise UsageError(str(exc)) from None
    for warning in pf.warnings:
        print(f"playground: warning: {warning}", file=sys.stderr)
    if pf.temperature is not None:
        temperatures: list[float | None] = [pf.temperature]
    elif pf.model:
        temperatures = [None]
    else:
        temperatures = list(settings.defaults.temperatures)
    return RunPlan(
        template=pf.template,
        variables=dict(pf.variables),
        variable_types=variable_types(pf.schema),
        models=[pf.model] if pf.model else list(settings.defaults.models),
        temperatures=temperatures,
        max_tokens=pf.max_tokens if pf.max_tokens is not None else settings.defaults.max_tokens,
        top_p=pf.top_p,
        seed=pf.seed,
        stop=list(pf.stop),
        prompt_name=pf.name,
        prompt_version=pf.version,
    )
