"""Settings: the config file, the environment, and where the workspace is.

Resolution order follows DESIGN.md: ``--config PATH``, ``$PLAYGROUND_CONFIG``, the workspace's
``playground.toml``, then the user config dir. Keys never live in config: only the NAME of the
environment variable that holds one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import paths

BATCH_KINDS = frozenset({"openai", "anthropic"})  # wire protocols with a batch API


class ConfigError(Exception):
    """Bad configuration; the message is one line naming the file (and line when known)."""


@dataclass
class ProviderConfig:
    """One provider entry: a wire protocol (kind) at an address."""

    name: str
    kind: str  # openai | anthropic | gemini | ollama | echo
    base_url: str = ""
    api_key_env: str | None = None
    max_concurrency: int = 4
    free: bool = False
    models: list[str] = field(default_factory=list)
    base_url_env: str | None = None
    batch: bool = True  # kinds openai/anthropic send `--batch` runs to the batch API
    rpm: int | None = None  # requests per minute (core/ratelimit.py)
    tpm: int | None = None  # tokens per minute: prompt + max_tokens per request

    def can_batch(self) -> bool:
        """Whether `--batch` cells of this provider go to its batch API (else they run live)."""
        return self.batch and self.kind in BATCH_KINDS

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        return os.environ.get(self.api_key_env) or None

    def resolved_base_url(self) -> str:
        if self.base_url_env and os.environ.get(self.base_url_env):
            return os.environ[self.base_url_env].rstrip("/")
        return self.base_url.rstrip("/")


@dataclass
class ModelConfig:
    """Per-model settings: fallbacks and an explicit price."""

    fallbacks: list[str] = field(default_factory=list)
    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    # ``batch_price``: what the provider's batch API charges (default: half the live price)
    batch_input_per_mtok: float | None = None
    batch_output_per_mtok: float | None = None


@dataclass
class Defaults:
    models: list[str] = field(default_factory=lambda: ["echo"])
    temperatures: list[float] = field(default_factory=lambda: [0.0, 0.7])
    max_tokens: int = 512
    budget_usd: float | None = None
    concurrency: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_retries: int = 2
    transport: str = "aiohttp"  # aiohttp: httpx over httpx-aiohttp | httpx: httpx's own


def _builtin_providers() -> dict[str, ProviderConfig]:
    ollama_host = os.environ.get("OLLAMA_HOST", "http://localhost:11434")
    if not ollama_host.startswith(("http://", "https://")):
        ollama_host = "http://" + ollama_host
    return {
        "openai": ProviderConfig(
            "openai",
            "openai",
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            max_concurrency=8,
            base_url_env="OPENAI_BASE_URL",
            models=[
                "gpt-4.1-mini",
                "gpt-4.1",
                "gpt-4.1-nano",
                "gpt-4o",
                "gpt-4o-mini",
                "gpt-5-mini",
            ],
        ),
        "anthropic": ProviderConfig(
            "anthropic",
            "anthropic",
            "https://api.anthropic.com",
            "ANTHROPIC_API_KEY",
            max_concurrency=8,
            models=["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"],
        ),
        "gemini": ProviderConfig(
            "gemini",
            "gemini",
            "https://generativelanguage.googleapis.com",
            "GEMINI_API_KEY",
            max_concurrency=8,
            models=["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"],
        ),
        "openrouter": ProviderConfig(
            "openrouter",
            "openai",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            max_concurrency=8,
            models=[
                "openai/gpt-4.1-mini",
                "anthropic/claude-haiku-4.5",
                "meta-llama/llama-3.3-70b-instruct",
            ],
        ),
        "ollama": ProviderConfig(
            "ollama", "ollama", ollama_host, None, max_concurrency=2, free=True
        ),
        "echo": ProviderConfig(
            "echo", "echo", "", None, max_concurrency=64, free=True, models=["echo"]
        ),
    }


@dataclass
class Settings:
    """Everything the engine and front ends need to know about the user's setup."""

    providers: dict[str, ProviderConfig] = field(default_factory=_builtin_providers)
    models: dict[str, ModelConfig] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    config_path: Path | None = None
    workspace: Path | None = None
    db_path_override: Path | None = None
    prompts_dir_override: Path | None = None

    def model_config(self, model_id: str) -> ModelConfig:
        return self.models.get(model_id) or ModelConfig()

    def db_path(self) -> Path:
        return Path(paths.db_file(self.workspace, self.db_path_override))

    def prompts_dir(self) -> Path:
        return Path(paths.prompts_dir(self.workspace, self.prompts_dir_override))

    def state_dir(self) -> Path:
        """Where small UI state (last selection, theme) is remembered."""
        return Path(paths.state_dir(self.workspace))


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest folder, walking up, that holds playground.toml."""
    found = paths.find_workspace(start)
    return Path(found) if found else None


def find_config(explicit: str | Path | None, workspace: Path | None) -> Path | None:
    found = paths.config_file(explicit, str(workspace) if workspace else None)
    return Path(found) if found else None


def load_settings(
    config: str | Path | None = None,
    *,
    db: str | Path | None = None,
    prompts_dir: str | Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build Settings from the discovered config file; raises ConfigError on bad input."""
    workspace = find_workspace(cwd)
    path = find_config(config, workspace)
    data: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        import tomllib  # only when there is a file: most starts have none

        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            where = "" if "line" in str(exc) else f" (line {max(1, len(text.splitlines()))})"
            raise ConfigError(f"{path}: {exc}{where}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
    settings = Settings(config_path=path, workspace=workspace)
    _apply(settings, data, path)
    if db:
        settings.db_path_override = Path(db)
    if prompts_dir:
        settings.prompts_dir_override = Path(prompts_dir)
    return settings


KINDS = ("openai", "anthropic", "gemini", "ollama", "echo")


def model_id_problem(model_id: str, providers: dict[str, ProviderConfig]) -> str | None:
    """Why a model id cannot be run, or None when it can.

    A model id is PROVIDER:MODEL; only an echo-kind provider may be named bare (``echo``).
    """
    provider, colon, model = model_id.partition(":")
    cfg = providers.get(provider)
    if cfg is None and not colon:  # a bare model name: say whose it is
        guesses = suggest_model_ids(model_id, providers)
        if guesses:
            return f"a model id is PROVIDER:MODEL; did you mean {' or '.join(guesses)}?"
    if cfg is None:
        known = ", ".join(sorted(providers))
        return f"unknown provider {provider!r} (known: {known}; add one under [providers.NAME])"
    if cfg.kind != "echo" and not model.strip():
        example = f"{provider}:{cfg.models[0] if cfg.models else 'MODEL_NAME'}"
        return f"give PROVIDER:MODEL (e.g. {example})"
    return None


# bare model names whose provider their name gives away
MODEL_FAMILIES = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("claude-", "anthropic"),
    ("gemini-", "gemini"),
)


def suggest_model_ids(name: str, providers: dict[str, ProviderConfig]) -> list[str]:
    """Full ids for a bare model name: the providers that list it, else the closest listed
    model (a typo), else the provider its family belongs to (gpt-, claude-, gemini-)."""
    listed = [f"{p}:{name}" for p, cfg in providers.items() if name in cfg.models]
    if listed:
        return listed
    import difflib

    ids = {m: f"{p}:{m}" for p, cfg in providers.items() for m in cfg.models}
    close = difflib.get_close_matches(name, list(ids), n=1, cutoff=0.85)
    if close:
        return [ids[close[0]]]
    for prefix, provider in MODEL_FAMILIES:
        if name.startswith(prefix) and provider in providers:
            return [f"{provider}:{name}"]
    return []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_env_name(value: str) -> bool:
    """An environment variable's name: ASCII letters, digits and _, not starting with a digit."""
    return value.isascii() and value.replace("_", "a").isalnum() and not value[0].isdigit()


def _apply(settings: Settings, data: dict[str, Any], path: Path | None) -> None:
    """Check every value's type and range as it is applied: a wrong one names file and key."""
    where = str(path) if path else "config"

    def fail(msg: str) -> ConfigError:
        return ConfigError(f"{where}: {msg}")

    def bad(table: str, key: str, must: str, value: Any) -> ConfigError:
        return fail(f"{table} {key}: must be {must} (got {value!r})")

    def string_list(table: str, key: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad(table, key, "a list of strings", value)
        return list(value)

    for table in ("providers", "models", "defaults"):
        if not isinstance(data.get(table, {}), dict):
            raise fail(f"{table} must be a table ([{table}...])")

    for name, entry in (data.get("providers") or {}).items():
        table = f"[providers.{name}]"
        if not isinstance(entry, dict):
            raise fail(f"{table} must be a table")
        if ":" in name:
            raise fail(f"{table}: a provider name cannot contain ':'")
        base = settings.providers.get(name)
        kind = entry.get("kind", base.kind if base else None)
        if kind not in KINDS:
            raise fail(f"{table} kind must be one of {', '.join(KINDS[:4])}, got {kind!r}")
        cfg = base or ProviderConfig(name=name, kind=kind)
        cfg.kind = kind
        if "base_url" in entry:
            value = entry["base_url"]
            if not isinstance(value, str):
                raise bad(table, "base_url", 'a URL string like "http://127.0.0.1:8080/v1"', value)
            if value and not value.startswith(("http://", "https://")):
                raise bad(table, "base_url", "an http:// or https:// URL", value)
            cfg.base_url = value
            cfg.base_url_env = None
        if "api_key_env" in entry:
            value = entry["api_key_env"]
            if not isinstance(value, str):
                raise bad(
                    table, "api_key_env", "the NAME of an environment variable, a string", value
                )
            if value and not _is_env_name(value):
                # not echoed: a key pasted here by mistake must not reach the terminal
                raise fail(
                    f"{table} api_key_env: must be the NAME of an environment variable "
                    '(like "OPENAI_API_KEY"), not the key itself'
                )
            cfg.api_key_env = value or None
        if "api_key" in entry or "key" in entry:
            raise fail(
                f"{table}: keys never live in config; export the key and set "
                'api_key_env = "ITS_VARIABLE_NAME"'
            )
        if "max_concurrency" in entry:
            value = entry["max_concurrency"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad(table, "max_concurrency", "a positive integer", value)
            cfg.max_concurrency = value
        if "free" in entry:
            if not isinstance(entry["free"], bool):
                raise bad(table, "free", "true or false", entry["free"])
            cfg.free = entry["free"]
        if "models" in entry:
            cfg.models = string_list(table, "models", entry["models"])
        if "batch" in entry:
            if not isinstance(entry["batch"], bool):
                raise bad(table, "batch", "true or false", entry["batch"])
            cfg.batch = entry["batch"]
        for limit in ("rpm", "tpm"):
            if limit in entry:
                value = entry[limit]
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise bad(table, limit, "a positive integer (per minute)", value)
                setattr(cfg, limit, value)
        if not cfg.base_url and kind != "echo":
            raise fail(f"{table} needs base_url")
        settings.providers[name] = cfg

    def model_ids(table: str, key: str, value: Any) -> list[str]:
        ids = string_list(table, key, value)
        for model_id in ids:
            problem = model_id_problem(model_id, settings.providers)
            if problem:
                raise fail(f"{table} {key}: {model_id!r}: {problem}")
        return ids

    for model_id, entry in (data.get("models") or {}).items():
        table = f'[models."{model_id}"]'
        if not isinstance(entry, dict):
            raise fail(f"{table} must be a table")
        fallbacks = entry.get("fallbacks", [])
        if not isinstance(fallbacks, list):
            raise fail(f"{table} fallbacks must be a list of model ids")
        mc = ModelConfig(fallbacks=model_ids(table, "fallbacks", fallbacks))
        for name, prefix in (("price", ""), ("batch_price", "batch_")):
            price = entry.get(name)
            if price is None:
                continue
            if not isinstance(price, dict):
                raise fail(f"{table} {name} must be a table")
            for key in ("input_per_mtok", "output_per_mtok"):
                value = price.get(key, 0.0)
                if not _is_number(value) or value < 0:
                    raise fail(
                        f"{table} {name}.{key}: must be a number of USD "
                        f"per million tokens, 0 or more (got {value!r})"
                    )
                setattr(mc, prefix + key, float(value))
        settings.models[model_id] = mc

    d = data.get("defaults") or {}
    defaults = settings.defaults
    table = "[defaults]"
    if "models" in d:
        ids = model_ids(table, "models", d["models"])
        if not ids:
            raise bad(table, "models", "a non-empty list of model ids", d["models"])
        defaults.models = ids
    if "temperatures" in d:
        # RunPlan's rules (and its dataclass) load when a config sets them: a start without
        # one does without them until the first plan
        from playground.core.plan import param_problem

        temps = d["temperatures"]
        if (
            not isinstance(temps, list)
            or not temps
            or any(param_problem("temperature", t) for t in temps)
        ):
            raise bad(table, "temperatures", "a non-empty list of numbers from 0 to 2", temps)
        defaults.temperatures = [float(t) for t in temps]
    if "max_tokens" in d:  # RunPlan's rule, as for --max-tokens
        from playground.core.plan import param_problem

        problem = param_problem("max_tokens", d["max_tokens"])
        if problem:
            raise fail(f"{table} max_tokens: {problem} (got {d['max_tokens']!r})")
        defaults.max_tokens = d["max_tokens"]
    ints = {"concurrency": 1, "max_retries": 0}
    for key, least in ints.items():
        if key in d:
            value = d[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                must = "a positive integer" if least else "an integer, 0 or more"
                raise bad(table, key, must, value)
            setattr(defaults, key, value)
    if "budget_usd" in d:
        value = d["budget_usd"]
        if not _is_number(value) or not value >= 0:
            raise bad(table, "budget_usd", "a cost in USD, 0 or more", value)
        defaults.budget_usd = float(value)
    if "transport" in d:
        if d["transport"] not in ("aiohttp", "httpx"):
            raise fail(f'{table} transport must be "aiohttp" or "httpx", got {d["transport"]!r}')
        defaults.transport = d["transport"]
    for key in ("connect_timeout", "read_timeout"):
        if key in d:
            value = d[key]
            if not _is_number(value) or not 0 < value < math.inf:  # inf: no stall guard
                raise bad(table, key, "a finite number of seconds, more than 0", value)
            setattr(defaults, key, float(value))


def split_model_id(model_id: str) -> tuple[str, str]:
    """'openai:gpt-4.1' -> ('openai', 'gpt-4.1'); 'echo' -> ('echo', 'echo')."""
    if ":" in model_id:
        provider, _, model = model_id.partition(":")
        return provider, model
    return model_id, model_id
