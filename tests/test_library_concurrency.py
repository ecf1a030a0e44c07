"""Two promotes at once never lose a version: separate processes, and threads with the folder
lock switched off (the exclusive create of vN alone must keep every version)."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from pathlib import Path

import pytest

from playground.core.template import PromptTemplate
from playground.library import list_versions, load_prompt, promote
from playground.library import versions as versions_module
from playground.library.atomic import create_exclusive

WORKERS = 8


def _promote_at(folder: str, temperature: float) -> None:
    promote(
        Path(folder),
        "shared",
        template=PromptTemplate.from_parts("sys", "About {{topic}}"),
        model="echo",
        temperature=temperature,
        variables={"topic": "otters"},
    )


def _worker(folder: str, temperature: float, go: threading.Event) -> None:
    go.wait(10)
    _promote_at(folder, temperature)


def _run_processes(folder: Path, temperatures: list[float]) -> None:
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(str(folder), t, go)) for t in temperatures]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(20)
        assert p.exitcode == 0


def _temperatures_kept(folder: Path) -> list[float]:
    return sorted(
        load_prompt("shared", folder, version=v).temperature
        for v in list_versions(folder, "shared")
    )


def test_concurrent_processes_each_get_their_own_version(tmp_path: Path) -> None:
    temperatures = [round(0.1 * i, 1) for i in range(WORKERS)]
    _run_processes(tmp_path, temperatures)
    assert list_versions(tmp_path, "shared") == list(range(1, WORKERS + 1))
    assert _temperatures_kept(tmp_path) == temperatures
    current = (tmp_path / "shared.prompt").read_text(encoding="utf-8")
    newest = (tmp_path / "shared" / f"v{WORKERS}.prompt").read_text(encoding="utf-8")
    assert current == newest


def test_concurrent_identical_promotes_make_one_version(tmp_path: Path) -> None:
    _run_processes(tmp_path, [0.3] * WORKERS)
    assert list_versions(tmp_path, "shared") == [1]


def test_without_the_lock_the_exclusive_create_still_keeps_every_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(versions_module, "folder_lock", lambda folder: contextlib.nullcontext())
    temperatures = [round(0.05 * i, 2) for i in range(16)]
    barrier = threading.Barrier(len(temperatures))

    def go(t: float) -> None:
        barrier.wait(10)
        _promote_at(str(tmp_path), t)

    threads = [threading.Thread(target=go, args=(t,)) for t in temperatures]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    assert list_versions(tmp_path, "shared") == list(range(1, len(temperatures) + 1))
    assert _temperatures_kept(tmp_path) == temperatures


def test_exclusive_create_refuses_a_taken_version(tmp_path: Path) -> None:
    target = tmp_path / "p" / "v1.prompt"
    create_exclusive(target, "first\n")
    with pytest.raises(FileExistsError):
        create_exclusive(target, "second\n")
    assert target.read_text() == "first\n"
    assert [p.name for p in target.parent.iterdir()] == ["v1.prompt"]
