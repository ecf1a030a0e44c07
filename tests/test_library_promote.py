"""Promote -> file -> load -> run reproduces the request the response was made with, compared
as the store recorded both; over real HTTP to a loopback OpenAI-style server and offline echo."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer

from playground.commands.promptfile import plan_from_prompt_file
from playground.config import Settings
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import Message, PromptTemplate
from playground.library import LibraryError, list_versions, load_prompt, promote_response
from playground.store import Store


def run_recorded(settings: Settings, store: Store, plan: RunPlan) -> list[Any]:
    async def go() -> list[Any]:
        runner = Runner(settings, recorder=store)
        try:
            handle = runner.start(plan)
            async for _ in handle.events():
                pass
            return handle.results
        finally:
            await runner.aclose()

    return asyncio.run(go())


def settings_for(tmp_path: Path, base: Settings | None = None) -> Settings:
    settings = base or Settings()
    settings.db_path_override = tmp_path / "sessions.db"
    settings.prompts_dir_override = tmp_path / "prompts"
    return settings


TEMPLATE = PromptTemplate(
    [
        Message("system", "Tu es bref.\nRéponds en {{lang}}.\n"),
        Message(
            "user",
            "{{#if formal}}\nBonjour,\n{{/if}}\nTrois faits sur {{topic}} 🦦:\n"
            "{{#each hints}}\n- {{this}}\n{{/each}}",
        ),
    ]
)
VARIABLES = {"lang": "français", "formal": True, "topic": "loutres", "hints": ["eau", "jeu"]}


@pytest.mark.parametrize("model", ["echo", "lo-openai:gpt-x"])
def test_promote_then_run_the_file_sends_the_same_request(
    tmp_path: Path, loopback: LoopbackServer, model: str
) -> None:
    settings = settings_for(tmp_path, loopback.settings())
    store = Store.open(settings.db_path())
    try:
        plan = RunPlan(
            template=TEMPLATE,
            variables=dict(VARIABLES),
            models=[model],
            temperatures=[0.0, 0.7],
            max_tokens=128,
            top_p=0.9,
            seed=42,
            stop=["\n\nFin"],
            use_cache=False,
        )
        results = run_recorded(settings, store, plan)
        assert all(r.status == "ok" for r in results)
        chosen = results[1]  # t=0.7
        store.rate(chosen.id, 1, "le meilleur")

        promotion = promote_response(settings, store, chosen.id, "faits/loutres", note="gagnant")
        assert promotion.created and promotion.version == 1
        assert promotion.warnings == []

        pf = load_prompt("faits/loutres", settings.prompts_dir())
        assert (pf.model, pf.temperature, pf.max_tokens, pf.top_p, pf.seed, pf.stop) == (
            model,
            0.7,
            128,
            0.9,
            42,
            ["\n\nFin"],
        )
        run = store.get_run(store.get_response(chosen.id)["run_id"])
        assert pf.provenance["session_id"] == run["session_id"]
        assert pf.provenance["run_id"] == run["id"]
        assert pf.provenance["response_id"] == chosen.id
        assert pf.provenance["rating"] == {"score": 1, "note": "le meilleur", "scale": "stars"}
        assert pf.provenance["note"] == "gagnant"

        replay = plan_from_prompt_file(str(promotion.path), settings)
        replay.use_cache = False
        assert (replay.prompt_name, replay.prompt_version) == ("faits/loutres", 1)
        (again,) = run_recorded(settings, store, replay)
        assert again.status == "ok"
        before = store.get_response(chosen.id)["request"]
        after = store.get_response(again.id)["request"]
        assert before is not None and after == before
        assert store.get_run(store.get_response(again.id)["run_id"])["prompt_name"] == (
            "faits/loutres"
        )
    finally:
        store.close()


def test_promoting_the_same_response_twice_makes_one_version(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = Store.open(settings.db_path())
    try:
        plan = RunPlan(template=TEMPLATE, variables=dict(VARIABLES), models=["echo"])
        (result,) = run_recorded(settings, store, plan)
        first = promote_response(settings, store, result.id, "x")
        second = promote_response(settings, store, result.id, "x")
        assert (first.created, second.created, second.identical) == (True, False, True)
        assert list_versions(settings.prompts_dir(), "x") == [1]
        with pytest.raises(LibraryError, match="no response 999"):
            promote_response(settings, store, 999, "x")
    finally:
        store.close()


def test_promoting_a_run_of_a_prompt_file_records_where_it_came_from(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = Store.open(settings.db_path())
    try:
        plan = RunPlan(template=TEMPLATE, variables=dict(VARIABLES), models=["echo"])
        (result,) = run_recorded(settings, store, plan)
        promote_response(settings, store, result.id, "base")
        replay = plan_from_prompt_file("base", settings)
        replay.variables["topic"] = "castors"
        replay.use_cache = False
        (again,) = run_recorded(settings, store, replay)
        promoted = promote_response(settings, store, again.id, "base")
        assert promoted.version == 2
        assert load_prompt("base", settings.prompts_dir()).provenance["from"] == "base v1"
    finally:
        store.close()
