"""`playground history`, `show` and `export` as a user runs them (in-process through main(),
so they are quick), over runs recorded by the real runner with the offline echo model."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli
from loopback import LoopbackServer

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLAYGROUND_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "sessions.db"
    monkeypatch.setenv("PLAYGROUND_DB", str(path))
    return path


def record(db: Path, user: str, models: list[str], temps: list[float | None]) -> Any:
    store = Store.open(db)
    plan = RunPlan(PromptTemplate.from_parts("Be brief.", user), models=models, temperatures=temps)
    try:
        return asyncio.run(Runner(Settings(), recorder=store).run(plan))
    finally:
        store.close()


def test_history_lists_newest_first_and_searches_prompts_and_outputs(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    otters = record(db, "Tell me about otters.", ["echo"], [0.0, 0.7])
    herons = record(db, "A haiku about herons.", ["echo"], [0.0])

    code, out, _ = cli(capsys, "history")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["run", "when", "(UTC)"]
    assert lines[1].split()[0] == str(herons.run_id) and "herons" in lines[1]
    assert lines[2].split()[0] == str(otters.run_id) and "otters" in lines[2]

    code, out, _ = cli(capsys, "history", "otter", "--json")  # porter: otter ~ otters
    runs = json.loads(out)
    assert [r["id"] for r in runs] == [otters.run_id]
    assert runs[0]["models"] == ["echo"] and runs[0]["cell_count"] == 2
    assert runs[0]["cost_usd"] == 0 and "**otters**" in runs[0]["snippet"]
    code, out, _ = cli(capsys, "history", "otter")  # as text: the marks go
    assert "Tell me about otters" in out and "**" not in out

    # echo answers with its parameters: "temperature=0.7" is only in an output
    code, out, _ = cli(capsys, "history", "temperature=0.7", "--json")
    assert [r["id"] for r in json.loads(out)] == [otters.run_id]

    code, out, _ = cli(capsys, "history", "--limit", "1", "--json")
    assert [r["id"] for r in json.loads(out)] == [herons.run_id]

    code, out, err = cli(capsys, "history", "zebras")
    assert code == 0 and out == "" and "no runs match 'zebras'" in err


def test_history_search_tolerates_any_text(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(db, 'Say "hi" (quickly) - AND NOT: now*', ["echo"], [0.0])
    for query in ('"hi"', "(quickly)", "AND NOT", "-", "now*", "NEAR(", '"'):
        code, out, err = cli(capsys, "history", query, "--json")
        assert code == 0, (query, err)
        assert isinstance(json.loads(out), list)


def test_history_without_a_database_does_not_create_one(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "history")
    assert code == 0 and "no runs yet" in err and not db.exists()
    code, out, err = cli(capsys, "history", "--json")
    assert json.loads(out) == [] and not db.exists()


def test_bad_arguments_are_one_line_exit_2(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(db, "hello", ["echo"], [0.0])
    for args in (("history", "--limit", "0"), ("show", "abc"), ("show", "999"), ("export", "7x")):
        code, _out, err = cli(capsys, *args)
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1 and err.startswith("playground: "), err


def test_show_prints_every_cell_and_json_has_the_run_contract(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = record(
        db, "Tell me about {{animal}}".replace("{{animal}}", "otters"), ["echo"], [0.0, 1.0]
    )
    store = Store.open(db)
    store.rate(handle.results[0].id, 1, None, "stars")  # one star: a bad answer, not "+1"
    store.rate(handle.results[1].id, 1, "nice", "thumbs")
    store.close()

    code, out, _ = cli(capsys, "show", str(handle.run_id))
    assert code == 0
    assert f"run {handle.run_id}" in out and "echo · t=0" in out and "echo · t=1" in out
    assert "temperature=1.0" in out and "rated ★1" in out and "rated 👍" in out

    code, out, _ = cli(capsys, "show", str(handle.run_id), "--json")
    doc = json.loads(out)
    assert doc["id"] == handle.run_id and doc["status"] == "done"
    assert doc["plan"]["models"] == ["echo"] and doc["plan"]["temperatures"] == [0.0, 1.0]
    cells = doc["cells"]
    assert [c["id"] for c in cells] == [r.id for r in handle.results]
    for cell, result in zip(cells, handle.results, strict=True):
        contract = result.to_json()
        for key in ("model", "temperature", "sample", "status", "output", "error", "input_tokens",
                    "output_tokens", "usage_source", "cost_usd", "cached", "ttft_ms",
                    "latency_ms", "tokens_per_s"):  # fmt: skip
            assert cell[key] == contract[key], key
    assert cells[1]["rating"] == {"score": 1, "note": "nice", "scale": "thumbs"}
    assert cells[0]["request"]["body"]["messages"][-1]["content"] == "Tell me about otters"


@pytest.mark.parametrize("fmt", ["md", "json", "jsonl"])
def test_export_formats(
    db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    handle = record(db, "Explain ```code``` fences", ["echo"], [0.0, 0.5])
    code, out, _ = cli(capsys, "export", str(handle.run_id), "--format", fmt)
    assert code == 0
    if fmt == "md":
        assert out.startswith(f"# Run {handle.run_id}\n")
        assert "## echo · t=0\n" in out and "## echo · t=0.5\n" in out
        assert "````text\nExplain ```code``` fences\n````" in out  # the fence outgrows the text's
        for r in handle.results:
            assert r.output.strip() in out
    elif fmt == "json":
        doc = json.loads(out)
        assert [c["output"] for c in doc["cells"]] == [r.output for r in handle.results]
        assert doc["messages"][-1]["content"] == "Explain ```code``` fences"
    else:
        lines = [json.loads(line) for line in out.splitlines()]
        assert [line["id"] for line in lines] == [r.id for r in handle.results]
        assert all(line["run_id"] == handle.run_id and line["messages"] for line in lines)

    target = tmp_path / "out" / f"run.{fmt}"
    target.parent.mkdir()
    code, written, _err = cli(
        capsys, "export", str(handle.run_id), "--format", fmt, "-o", str(target)
    )
    assert code == 0 and written == "" and target.read_text(encoding="utf-8") == out


def test_run_json_carries_session_and_run_ids_and_caches(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "run", "-p", "cache me", "-m", "echo", "-t", "0", "--json")
    first = json.loads(out)
    assert code == 0 and first["run_id"] and first["session_id"]
    code, out, _ = cli(capsys, "run", "-p", "cache me", "-m", "echo", "-t", "0", "--json")
    second = json.loads(out)
    assert second["session_id"] != first["session_id"]  # one session per invocation
    assert second["cells"][0]["cached"] is True and second["cells"][0]["cost_usd"] == 0
    code, out, _ = cli(
        capsys, "run", "-p", "cache me", "-m", "echo", "-t", "0", "--json", "--no-cache"
    )
    assert json.loads(out)["cells"][0]["cached"] is False
    store = Store.open(db)
    assert store.get_run(first["run_id"])["source"] == "cli"
    assert store.get_response(second["cells"][0]["id"])["cached_from"] == first["cells"][0]["id"]
    store.close()


@pytest.mark.parametrize("output", ["--json", "--limit=20"], ids=["json", "text"])
def test_history_starts_without_heavy_imports(db: Path, tmp_path: Path, output: str) -> None:
    """`history` must start about as fast as `--help`: no sqlite-utils, rich or engine."""
    record(db, "hello", ["echo"], [0.0])
    code = (
        f"import sys; from playground.cli import main; rc = main(['history', 'hello', '{output}']);"
        "heavy = [m for m in ('sqlite_utils', 'rich', 'playground.core.plan', 'playground.config',"
        " 'pathlib', 'typing') if m in sys.modules]; print(rc, heavy, file=sys.stderr)"
    )
    env = {**os.environ, "PLAYGROUND_DB": str(db)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.stderr.strip() == "0 []", result.stderr
    if output == "--json":
        assert json.loads(result.stdout)[0]["snippet"] == "**hello**"
    else:
        assert "hello" in result.stdout


def test_sessions_group_runs_by_launch(db: Path) -> None:
    store = Store.open(db)
    tui = store.new_session(source="tui")
    plan = RunPlan(PromptTemplate.from_parts("", "one"), models=["echo"], temperatures=[0.0])
    first = asyncio.run(Runner(Settings(), recorder=store).run(plan)).run_id
    second = asyncio.run(Runner(Settings(), recorder=store).run(plan)).run_id
    store.close()
    store = Store.open(db)
    assert store.runs_for_session(tui) == [first, second]
    assert store.get_run(first)["source"] == "tui"
    (latest,) = store.list_sessions(limit=1)
    assert latest["id"] == tui and latest["run_count"] == 2 and latest["source"] == "tui"
    store.close()


def test_a_run_with_unpriced_cells_never_reads_as_free(
    db: Path, capsys: pytest.CaptureFixture[str], loopback: LoopbackServer
) -> None:
    """echo costs $0, a loopback model has no known price: the run is "$0 (2 unpriced)", not
    "$0"; a run of only unpriced cells is "unpriced"."""
    store = Store.open(db)
    settings = loopback.settings()
    plan = RunPlan(
        PromptTemplate.from_parts("", "price me"),
        models=["echo", "lo-openai:m"],
        temperatures=[0.0, 1.0],
    )
    mixed = asyncio.run(Runner(settings, recorder=store).run(plan))
    plan.models = ["lo-openai:m"]
    only = asyncio.run(Runner(settings, recorder=store).run(plan))
    store.close()
    code, out, _ = cli(capsys, "history", "--json")
    listed = {r["id"]: r for r in json.loads(out)}
    assert listed[mixed.run_id]["unpriced_count"] == 2 and listed[mixed.run_id]["cost_usd"] == 0
    code, out, _ = cli(capsys, "history")
    line = next(x for x in out.splitlines() if x.lstrip().startswith(str(mixed.run_id)))
    assert "$0 (2 unpriced)" in line
    line = next(x for x in out.splitlines() if x.lstrip().startswith(str(only.run_id)))
    assert "unpriced" in line and "$0" not in line
    code, out, _ = cli(capsys, "show", str(only.run_id))
    assert code == 0 and "total unpriced" in out
    code, out, _ = cli(capsys, "export", str(only.run_id), "--format", "md")
    assert code == 0 and "· total unpriced" in out
    code, out, _ = cli(capsys, "export", str(mixed.run_id), "--format", "md")
    assert code == 0 and "· total $0 (2 unpriced)" in out
