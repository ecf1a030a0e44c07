"""The layers hold (DESIGN.md): an import contract checked on the real import graph.

The graph is grimp's (the engine of import-linter), built from the source, with imports made
inside functions included: a lazy import is still a dependency.
"""

from __future__ import annotations

from functools import cache

import grimp
import pytest

ENGINE = ("playground.core", "playground.store", "playground.library")
FRONT_ENDS = ("playground.tui", "playground.commands", "playground.cli")


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        "playground", include_external_packages=True, exclude_type_checking_imports=True
    )


def ours() -> list[str]:
    return sorted(m for m in graph().modules if m == "playground" or m.startswith("playground."))


def imports_of(module: str) -> set[str]:
    return graph().find_modules_directly_imported_by(module)


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_engine_never_imports_a_front_end() -> None:
    """core, store and library are usable headless: no Textual, no TUI, no CLI commands."""
    bad = [
        f"{m} imports {target}"
        for m in ours()
        if within(m, ENGINE)
        for target in imports_of(m)
        if within(target, FRONT_ENDS) or within(target, ("textual", "rich"))
    ]
    assert bad == []


def test_the_tui_never_talks_http() -> None:
    """The TUI drives the engine; HTTP lives in core/providers."""
    bad = [
        f"{m} imports {target}"
        for m in ours()
        if within(m, ("playground.tui",))
        for target in imports_of(m)
        if within(target, ("httpx", "httpx_aiohttp", "aiohttp"))
    ]
    assert bad == []


def cycles(modules: list[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    inside = set(modules)
    edges = {m: sorted(t for t in imports_of(m) if t in inside and t != m) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles() -> None:
    """Each module can be read after the ones it imports: no two modules need each other."""
    assert cycles(ours()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": ["b"], "b": ["a"], "c": ["a"]}, [["a", "b"]]),
        ({"a": ["b"], "b": ["c"], "c": []}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, list[str]], expected: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above could not fail if the finder missed a cycle: prove it on toy graphs."""
    monkeypatch.setitem(globals(), "imports_of", lambda m: set(edges[m]))
    assert cycles(sorted(edges)) == expected
