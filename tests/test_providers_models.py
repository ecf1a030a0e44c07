"""`playground models`: readiness and model lists, checked against loopback servers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import clean_env
from loopback import LoopbackServer, Reply


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A port that accepts connections and never answers (a hung server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def models_json(tmp_path: Path, env: dict[str, str], *args: str) -> dict[str, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "playground", "models", "--json", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    for key in LoopbackServer.env().values():
        assert key not in proc.stdout + proc.stderr
    return {row["name"]: row for row in json.loads(proc.stdout)["providers"]}


def test_models_reports_readiness_and_models(tmp_path: Path, loopback: LoopbackServer) -> None:
    loopback.models = ["tiny-1", "tiny-2"]
    loopback.write_config(tmp_path)
    env = clean_env(tmp_path, **loopback.env())
    del env["LO_GEMINI_KEY"]
    rows = models_json(tmp_path, env)
    assert {"openai", "anthropic", "gemini", "openrouter", "ollama", "echo"} <= set(rows)

    lo = rows["lo-openai"]
    assert (lo["kind"], lo["base_url"], lo["ready"]) == ("openai", f"{loopback.base_url}/v1", True)
    assert lo["models"] == ["lo-openai:tiny-1", "lo-openai:tiny-2"]
    assert lo["api_key_env"] == "LO_OPENAI_KEY"

    ollama = rows["lo-ollama"]
    assert ollama["ready"] is True and ollama["models"] == ["lo-ollama:tiny-1", "lo-ollama:tiny-2"]

    assert rows["lo-anthropic"]["ready"] is True  # key present
    gemini = rows["lo-gemini"]
    assert gemini["ready"] is False and "LO_GEMINI_KEY" in gemini["status"]

    assert rows["openai"]["ready"] is False and "OPENAI_API_KEY" in rows["openai"]["status"]
    assert "openai:gpt-4.1-mini" in rows["openai"]["models"]
    assert rows["echo"]["ready"] is True and rows["echo"]["models"] == ["echo"]
    # The readiness checks really went over HTTP, with the key, to the right paths.
    paths = {(r.path, r.headers.get("authorization")) for r in loopback.requests}
    assert ("/v1/models", "Bearer test-openai-key") in paths
    assert ("/api/tags", None) in paths


def test_dead_and_hung_servers_are_checked_quickly_and_concurrently(
    tmp_path: Path, loopback: LoopbackServer, black_hole: str
) -> None:
    extra = (
        f'[providers.hung-a]\nkind = "ollama"\nbase_url = "{black_hole}"\n\n'
        f'[providers.hung-b]\nkind = "openai"\nbase_url = "{black_hole}/v1"\n\n'
        '[providers.dead]\nkind = "ollama"\nbase_url = "http://127.0.0.1:9"\n'
    )
    loopback.write_config(tmp_path, extra=extra)
    env = clean_env(tmp_path, **loopback.env())
    t0 = time.monotonic()
    rows = models_json(tmp_path, env, "--timeout", "0.6")
    elapsed = time.monotonic() - t0
    assert elapsed < 3.0  # two hung servers waited for side by side, not one after another
    for name in ("hung-a", "hung-b", "dead"):
        assert rows[name]["ready"] is False, rows[name]
    assert "not reachable" in rows["dead"]["status"]
    assert rows["lo-ollama"]["ready"] is True


def test_models_text_output(tmp_path: Path, loopback: LoopbackServer) -> None:
    loopback.write_config(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "playground", "models"],
        cwd=tmp_path,
        env=clean_env(tmp_path, **loopback.env(), COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "✓ lo-openai" in proc.stdout and "✗ openai" in proc.stdout
    assert "set OPENAI_API_KEY" in proc.stdout
    assert "lo-openai:lo-model-a" in proc.stdout
    assert "test-openai-key" not in proc.stdout


def test_base_url_credentials_are_hidden(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text(
        '[providers.p]\nkind = "ollama"\nbase_url = "http://user:s3cret@127.0.0.1:9"\n'
    )
    rows = models_json(tmp_path, clean_env(tmp_path), "--timeout", "0.3")
    assert rows["p"]["base_url"] == "http://***@127.0.0.1:9"
    assert "s3cret" not in json.dumps(rows)


@pytest.mark.parametrize(
    ("status", "ready", "words"),
    [(401, False, "key refused"), (500, False, "server error"), (404, True, "no model list")],
)
def test_openai_compatible_readiness_by_status(
    tmp_path: Path, loopback: LoopbackServer, status: int, ready: bool, words: str
) -> None:
    loopback.on_request = lambda rec: Reply(status=status) if rec.path == "/v1/models" else None
    loopback.write_config(tmp_path)
    rows = models_json(tmp_path, clean_env(tmp_path, **loopback.env()))
    assert rows["lo-openai"]["ready"] is ready and words in rows["lo-openai"]["status"]


# -- what OpenAI-compatible servers list, remembered with its age -------------------------------

LOCAL = '[providers.local]\nkind = "openai"\nbase_url = "{url}/v1"\nmodels = ["configured-x"]\n'


def test_a_compatible_server_lists_what_it_serves_and_is_remembered(tmp_path: Path) -> None:
    """`playground models` shows what /models answers (not the configured list); when the
    server is down later, what it listed last, with how long ago."""
    with LoopbackServer() as local:
        local.models = ["gemma-3-270m"]
        (tmp_path / "playground.toml").write_text(LOCAL.format(url=local.base_url))
        env = clean_env(tmp_path)
        row = models_json(tmp_path, env)["local"]
        assert row["models"] == ["local:gemma-3-270m"]
        assert (row["models_source"], row["models_age"]) == ("server", "")
        assert row["models_listed_at"].endswith("+00:00")
    row = models_json(tmp_path, env, "--timeout", "0.5")["local"]  # the server is gone
    assert row["ready"] is False
    assert row["models"] == ["local:gemma-3-270m"]
    assert row["models_source"] == "cache"
    assert row["models_age"].startswith("listed ") and row["models_age"].endswith(" s ago")
    proc = subprocess.run(
        [sys.executable, "-m", "playground", "models"],
        cwd=tmp_path, env=dict(env, COLUMNS="200"), capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "models: local:gemma-3-270m (listed " in proc.stdout


def test_openrouter_lists_its_server_models_only_with_its_key(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.models = ["meta/llama-x", "mistral/tiny"]
    (tmp_path / "playground.toml").write_text(
        f'[providers.openrouter]\nbase_url = "{loopback.base_url}/v1"\n'
    )
    row = models_json(tmp_path, clean_env(tmp_path))["openrouter"]
    assert row["models_source"] == "config"  # no key: not asked
    assert loopback.requests == []
    row = models_json(tmp_path, clean_env(tmp_path, OPENROUTER_API_KEY="or-test"))["openrouter"]
    assert row["models"] == ["openrouter:meta/llama-x", "openrouter:mistral/tiny"]
    assert loopback.requests[-1].headers["authorization"] == "Bearer or-test"


async def test_a_young_remembered_list_is_used_without_asking(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    from playground.core.providers import build_providers
    from playground.core.providers.httpclient import new_client
    from playground.core.providers.model_list import listed_models

    provider = build_providers(loopback.settings())["lo-ollama"]
    cache = tmp_path / "models.json"
    async with new_client() as client:
        first = await listed_models(provider, client, cache=cache)
        loopback.models = ["changed"]
        young = await listed_models(provider, client, cache=cache, max_age=600)
        fresh = await listed_models(provider, client, cache=cache)
    assert (first.source, first.models) == ("server", ["lo-model-a", "lo-model-b"])
    assert (young.source, young.models) == ("cache", ["lo-model-a", "lo-model-b"])
    assert (fresh.source, fresh.models) == ("server", ["changed"])
    assert len(loopback.requests_for(kind="ollama-tags")) == 2
