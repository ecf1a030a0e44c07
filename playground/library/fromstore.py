"""Promoting a recorded response: its run's template and variables, its model and params."""

from __future__ import annotations

from typing import Any

from playground.library.errors import LibraryError
from playground.library.versions import Promotion, promote


def _evals(response: dict[str, Any]) -> Any:
    for key in ("evals", "eval_results", "assertions"):
        value = response.get(key)
        if value:
            return value
    return None


def promote_response(
    settings: Any, store: Any, response_id: Any, name: str, note: str | None = None
) -> Promotion:
    """Write the next version of NAME from the response the user picked."""
    from playground.store import plan_from_run

    response = store.get_response(response_id)
    if response is None:
        raise LibraryError(f"no response {response_id} in {settings.db_path()}")
    run = store.get_run(response["run_id"])
    if run is None:
        raise LibraryError(f"response {response_id}: its run {response['run_id']} is missing")
    plan = plan_from_run(run)
    provenance: dict[str, Any] = {
        "session_id": run.get("session_id"),
        "run_id": response.get("run_id"),
        "response_id": response.get("id", response_id),
        "status": response.get("status") if response.get("status") != "ok" else None,
        "rating": response.get("rating") or None,
        "evals": _evals(response),
    }
    if plan.prompt_name:
        source = plan.prompt_name
        if plan.prompt_version:
            source += f" v{plan.prompt_version}"
        provenance["from"] = source
    promotion = promote(
        settings.prompts_dir(),
        name,
        template=plan.template,
        model=response.get("model") or (plan.models[0] if plan.models else None),
        temperature=response.get("temperature"),
        max_tokens=plan.max_tokens,
        top_p=plan.top_p,
        seed=plan.seed,
        stop=list(plan.stop),
        variables=dict(plan.variables),
        provenance=provenance,
        note=note,
    )
    status = response.get("status")
    if status != "ok" and not promotion.identical:
        why = " ".join(str(response.get("error") or status).split())[:120]
        promotion.warnings.append(
            f"response {response_id} did not finish ok ({why}); its prompt was promoted anyway"
        )
    return promotion
