"""Config discovery and validation, as DESIGN.md promises them."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.config import ConfigError, find_workspace, load_settings, split_model_id


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real user config, no PLAYGROUND_* or provider variables from the outside."""
    for var in ("PLAYGROUND_CONFIG", "PLAYGROUND_DB", "OPENAI_BASE_URL", "OLLAMA_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, max_tokens: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[defaults]\nmax_tokens = {max_tokens}\n", encoding="utf-8")
    return path


def test_no_config_anywhere_gives_builtins(tmp_path: Path) -> None:
    s = load_settings(cwd=tmp_path)
    assert s.config_path is None and s.workspace is None
    assert {"openai", "anthropic", "gemini", "openrouter", "ollama", "echo"} <= set(s.providers)
    assert s.providers["openai"].api_key_env == "OPENAI_API_KEY"
    assert s.providers["ollama"].base_url == "http://localhost:11434"
    assert s.defaults.concurrency == 8


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = write(tmp_path / "xdg" / "prompt-playground" / "playground.toml", 1)
    nested = tmp_path / "proj" / "src" / "deep"
    nested.mkdir(parents=True)
    assert load_settings(cwd=nested).defaults.max_tokens == 1  # user config dir, last resort
    assert load_settings(cwd=nested).config_path == user

    workspace = write(tmp_path / "proj" / "playground.toml", 2)
    s = load_settings(cwd=nested)  # walks up to the workspace
    assert (s.defaults.max_tokens, s.workspace) == (2, tmp_path / "proj")
    assert s.db_path() == tmp_path / "proj" / "sessions" / "playground.db"
    assert find_workspace(nested) == workspace.parent

    env = write(tmp_path / "env.toml", 3)
    monkeypatch.setenv("PLAYGROUND_CONFIG", str(env))
    assert load_settings(cwd=nested).defaults.max_tokens == 3  # env beats workspace

    flag = write(tmp_path / "flag.toml", 4)
    assert load_settings(flag, cwd=nested).defaults.max_tokens == 4  # --config beats all


def test_db_path_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "playground.toml", 5)
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "env.db"))
    assert load_settings(cwd=tmp_path).db_path() == tmp_path / "env.db"
    assert load_settings(db=tmp_path / "flag.db", cwd=tmp_path).db_path() == tmp_path / "flag.db"


def test_custom_provider_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text(
        """
[providers.local]
kind = "openai"
base_url = "http://127.0.0.1:8080/v1/"
api_key_env = "LOCAL_API_KEY"
max_concurrency = 3

[models."local:m"]
fallbacks = ["echo"]

[defaults]
models = ["local:m", "echo"]
temperatures = [0, 0.7]
max_tokens = 64
budget_usd = 0.5
read_timeout = 2.5
""",
        encoding="utf-8",
    )
    s = load_settings(cwd=tmp_path)
    local = s.providers["local"]
    assert (local.kind, local.resolved_base_url(), local.api_key_env, local.max_concurrency) == (
        "openai",
        "http://127.0.0.1:8080/v1",
        "LOCAL_API_KEY",
        3,
    )
    assert s.model_config("local:m").fallbacks == ["echo"]
    assert s.defaults.models == ["local:m", "echo"]
    assert s.defaults.temperatures == [0.0, 0.7]
    assert (s.defaults.max_tokens, s.defaults.budget_usd, s.defaults.read_timeout) == (64, 0.5, 2.5)


def test_builtin_provider_can_be_pointed_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://proxy.example/v1")
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    s = load_settings(cwd=tmp_path)
    assert s.providers["openai"].resolved_base_url() == "http://proxy.example/v1"
    assert s.providers["ollama"].base_url == "http://gpu-box:11434"


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('[defaults]\nmodels = "a" "b"\n', ["line 2"]),
        ("[providers.x]\nkind = 'grpc'\nbase_url = 'h'\n", ["[providers.x]", "kind"]),
        ("[providers.x]\nkind = 'openai'\n", ["[providers.x]", "base_url"]),
        ("[providers.x]\nkind='openai'\nbase_url='h'\nmax_concurrency=0\n", ["max_concurrency"]),
        ("providers = 3\n", ["providers must be a table"]),
        ("[defaults]\nmax_tokens = 'many'\n", ["[defaults]"]),
        ("[models.'a:b']\nfallbacks = 'echo'\n", ["fallbacks must be a list"]),
        (
            "[models.'x:y']\nprice = {input_per_mtok = 'abc'}\n",
            ['[models."x:y"] price.input_per_mtok: must be a number', "'abc'"],
        ),
        ("[models.'x:y']\nprice = {output_per_mtok = -1}\n", ["price.output_per_mtok"]),
    ],
)
def test_bad_config_is_one_line_naming_the_file(
    tmp_path: Path, text: str, needles: list[str]
) -> None:
    path = tmp_path / "playground.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message
    for needle in needles:
        assert needle in message


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", cwd=tmp_path)


def test_split_model_id() -> None:
    assert split_model_id("openai:gpt-4.1") == ("openai", "gpt-4.1")
    assert split_model_id("ollama:llama3.2:3b") == ("ollama", "llama3.2:3b")
    assert split_model_id("echo") == ("echo", "echo")


def test_transport_choice_is_validated(tmp_path: Path) -> None:
    """`[defaults] transport` picks httpx's own transport; a typo is a one-line error."""
    from playground.config import ConfigError, load_settings

    (tmp_path / "playground.toml").write_text('[defaults]\ntransport = "httpx"\n')
    assert load_settings(cwd=tmp_path).defaults.transport == "httpx"
    (tmp_path / "playground.toml").write_text('[defaults]\ntransport = "h2"\n')
    with pytest.raises(ConfigError, match="transport"):
        load_settings(cwd=tmp_path)
