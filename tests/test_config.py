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
        (
            "[providers.x]\nkind='openai'\nbase_url='http://h'\nmax_concurrency=0\n",
            ["max_concurrency"],
        ),
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


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[defaults]\nmodels = "echo"\n', "[defaults] models: must be a list of strings"),
        ("[defaults]\nmodels = []\n", "[defaults] models: must be a non-empty list"),
        ('[defaults]\nmodels = ["nosuch:m"]\n', "[defaults] models: 'nosuch:m': unknown provider"),
        ('[defaults]\nmodels = ["openai"]\n', "[defaults] models: 'openai': give PROVIDER:MODEL"),
        ("[defaults]\ntemperatures = [5]\n", "[defaults] temperatures: must be a non-empty list"),
        ("[defaults]\ntemperatures = 0.5\n", "[defaults] temperatures: must be"),
        ('[defaults]\ntemperatures = ["hot"]\n', "[defaults] temperatures: must be"),
        ("[defaults]\nmax_tokens = 0\n", "[defaults] max_tokens: must be a positive integer"),
        ("[defaults]\nmax_tokens = 1.5\n", "[defaults] max_tokens: must be a positive integer"),
        ("[defaults]\nmax_tokens = true\n", "[defaults] max_tokens: must be a positive integer"),
        ("[defaults]\nbudget_usd = -1\n", "[defaults] budget_usd: must be a cost in USD"),
        ('[defaults]\nbudget_usd = "5"\n', "[defaults] budget_usd: must be a cost in USD"),
        ("[defaults]\nconcurrency = 0\n", "[defaults] concurrency: must be a positive integer"),
        ("[defaults]\nmax_retries = -1\n", "[defaults] max_retries: must be an integer, 0 or more"),
        ("[defaults]\nread_timeout = 0\n", "[defaults] read_timeout: must be a finite number of seconds"),
        ("[providers.openai]\napi_key_env = 5\n", "[providers.openai] api_key_env: must be"),
        (  # a key pasted where its variable's name goes: refused, and not echoed back
            "[providers.openai]\napi_key_env = 'sk-proj-PASTEDKEY123'\n",
            "api_key_env: must be the NAME of an environment variable",
        ),
        (
            "[providers.openai]\napi_key = 'sk-inline-KEY'\n",
            "[providers.openai]: keys never live in config",
        ),
        ("[providers.openai]\nbase_url = 5\n", "[providers.openai] base_url: must be a URL"),
        ("[providers.openai]\nbase_url = 'api.example'\n", "base_url: must be an http://"),
        ("[providers.ollama]\nfree = 'yes'\n", "[providers.ollama] free: must be true or false"),
        ("[providers.ollama]\nmodels = 'llama3'\n", "[providers.ollama] models: must be a list"),
        (
            "[models.'openai:gpt-4o']\nfallbacks = ['nosuch:x']\n",
            "[models.\"openai:gpt-4o\"] fallbacks: 'nosuch:x': unknown provider 'nosuch'",
        ),
    ],
)
def test_wrong_type_or_range_names_table_and_key(tmp_path: Path, text: str, needle: str) -> None:
    """A value of the wrong type is refused, never split into letters or silently skipped."""
    path = tmp_path / "playground.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert needle in message
    assert "PASTEDKEY" not in message and "sk-inline" not in message


def test_right_types_still_load(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text(
        "[providers.local]\nkind = 'ollama'\nbase_url = 'http://h:1'\nfree = true\n"
        "models = ['a']\napi_key_env = ''\n"
        "[providers.mirror]\nkind = 'echo'\n"
        "[models.'local:a']\nfallbacks = ['mirror', 'openai:gpt-4o']\n"
        "[defaults]\nmodels = ['local:a', 'echo']\ntemperatures = [0, 2]\nbudget_usd = 0\n"
        "max_retries = 0\nconnect_timeout = 1\n",
        encoding="utf-8",
    )
    s = load_settings(cwd=tmp_path)
    assert s.providers["local"].free is True and s.providers["local"].api_key_env is None
    assert s.model_config("local:a").fallbacks == ["mirror", "openai:gpt-4o"]
    assert s.defaults.temperatures == [0.0, 2.0] and s.defaults.budget_usd == 0.0
    assert (s.defaults.max_retries, s.defaults.connect_timeout) == (0, 1.0)
