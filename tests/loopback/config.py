"""The loopback providers as playground sees them: names, kinds, key variables, and the
config helpers (playground.toml text, a written file, in-process Settings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KEY_ENV = {
    "lo-openai": "LO_OPENAI_KEY",
    "lo-anthropic": "LO_ANTHROPIC_KEY",
    "lo-gemini": "LO_GEMINI_KEY",
}
KINDS = {
    "lo-openai": "openai",
    "lo-anthropic": "anthropic",
    "lo-gemini": "gemini",
    "lo-ollama": "ollama",
}


class TomlSettings:
    """A server's ``config_toml`` as a playground.toml on disk, or as loaded Settings."""

    def config_toml(self, **opts: Any) -> str:
        raise NotImplementedError

    def write_config(self, path: str | Path, **opts: Any) -> Path:
        target = Path(path)
        if target.is_dir():
            target = target / "playground.toml"
        target.write_text(self.config_toml(**opts), encoding="utf-8")
        return target

    def settings(self, **opts: Any) -> Any:
        """playground Settings with the server's providers (plus the built-ins)."""
        import tempfile

        from playground.config import load_settings

        with tempfile.TemporaryDirectory() as tmp:
            path = self.write_config(Path(tmp) / "playground.toml", **opts)
            return load_settings(path, cwd=Path(tmp))


class ConfigHelpers(TomlSettings):
    """The config side of LoopbackServer: needs only ``host`` and ``port``."""

    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def provider_urls(self) -> dict[str, str]:
        return {
            name: self.base_url + ("/v1" if kind == "openai" else "")
            for name, kind in KINDS.items()
        }

    @staticmethod
    def env() -> dict[str, str]:
        return {var: f"test-{name[3:]}-key" for name, var in KEY_ENV.items()}

    def config_toml(
        self,
        *,
        max_concurrency: int | dict[str, int] = 8,
        concurrency: int | None = None,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        fallbacks: dict[str, list[str]] | None = None,
        models: list[str] | None = None,
        temperatures: list[float] | None = None,
        extra: str = "",
    ) -> str:
        lines: list[str] = []
        for name, kind in KINDS.items():
            limit = (
                max_concurrency.get(name, 8)
                if isinstance(max_concurrency, dict)
                else max_concurrency
            )
            lines += [
                f"[providers.{name}]",
                f'kind = "{kind}"',
                f'base_url = "{self.provider_urls()[name]}"',
            ]
            if name in KEY_ENV:
                lines.append(f'api_key_env = "{KEY_ENV[name]}"')
            lines += [f"max_concurrency = {limit}", ""]
        for model_id, chain in (fallbacks or {}).items():
            lines += [f'[models."{model_id}"]', f"fallbacks = {json.dumps(chain)}", ""]
        defaults = {
            "concurrency": concurrency,
            "read_timeout": read_timeout,
            "connect_timeout": connect_timeout,
            "max_retries": max_retries,
            "models": models,
            "temperatures": temperatures,
        }
        set_ = {k: v for k, v in defaults.items() if v is not None}
        if set_:
            lines.append("[defaults]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in set_.items()]
        return "\n".join(lines) + "\n" + extra
