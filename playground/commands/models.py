"""`playground models`: every provider, whether it is ready to call, and the models it offers.

Readiness is a key present (remote APIs) or a server that answers (local ones); all providers
are checked at once with a short timeout, so a dead host costs seconds, not minutes. Only the
NAME of a key's variable is ever shown, never its value.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from playground.commands.common import command_parser, fail, load_settings_or_fail
from playground.core.secrets import redact_url


def add_parser(sub: Any, name: str) -> None:
    parser = command_parser(sub, name, "list providers, whether each is ready, and their models")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds to wait for a local server (default 2)",
    )
    parser.set_defaults(func=models_command)


def model_id(provider: str, model: str) -> str:
    return provider if provider == model == "echo" else f"{provider}:{model}"


async def survey(settings: Any, timeout: float) -> list[dict[str, Any]]:
    """One row per provider: name, kind, base_url, ready, status, models (full ids)."""
    import httpx

    from playground.core.providers import build_providers
    from playground.core.providers.httpclient import new_client
    from playground.core.providers.model_list import listed_models, remembered

    providers = build_providers(settings)
    limit = httpx.Timeout(timeout, connect=min(timeout, 1.0))
    async with new_client(settings.defaults.transport, timeout=limit) as client:

        async def one(name: str) -> dict[str, Any]:
            provider = providers[name]
            cfg = provider.config
            try:
                (ready, status), listing = await asyncio.wait_for(
                    asyncio.gather(provider.check_ready(client), listed_models(provider, client)),
                    timeout + 0.5,
                )
            except TimeoutError:
                ready, status = False, f"no answer within {timeout:g} s"
                listing = remembered(provider)
            except Exception as exc:  # a provider's check must never take the listing down
                from playground.core.providers.base import one_line

                ready, status = False, one_line(str(exc)) or type(exc).__name__
                listing = remembered(provider)
            if provider.base_url:  # a status may quote the URL: never with its password
                status = status.replace(provider.base_url, redact_url(provider.base_url))
            return {
                "name": name,
                "kind": cfg.kind,
                "base_url": redact_url(provider.base_url) if provider.base_url else None,
                "api_key_env": cfg.api_key_env,
                "max_concurrency": cfg.max_concurrency,
                "ready": bool(ready),
                "status": status,
                "models": [model_id(name, m) for m in listing.models],
                "models_source": listing.source,  # server | cache | config
                "models_listed_at": _iso(listing.listed_at),
                "models_age": listing.age(),
            }

        return list(await asyncio.gather(*(one(n) for n in providers)))


def _iso(when: float | None) -> str | None:
    import datetime

    if when is None:
        return None
    return datetime.datetime.fromtimestamp(when, datetime.UTC).isoformat(timespec="seconds")


def models_command(args: argparse.Namespace) -> int:
    if not args.timeout > 0:  # NaN too
        fail(f"--timeout {args.timeout:g}: must be more than 0 seconds")
    settings = load_settings_or_fail(args)
    rows = asyncio.run(survey(settings, max(0.1, args.timeout)))
    if args.json:
        print(json.dumps({"providers": rows}, ensure_ascii=False, indent=2))
        return 0
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console()
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        line = Text("✓ " if row["ready"] else "✗ ", style="green" if row["ready"] else "red")
        line.append(f"{row['name']:<{width}}", style="bold")
        line.append(f"  {row['kind']:<9}  {row['base_url'] or '(offline)'}  ")
        line.append(row["status"], style="" if row["ready"] else "yellow")
        console.print(line)
        models = ", ".join(row["models"]) or "(none listed)"
        if row["models_age"]:  # the server did not answer: what it listed last time
            models += f" ({row['models_age']})"
        console.print(Padding(Text(f"models: {models}", style="dim"), (0, 0, 0, 4)))
    ready = sum(r["ready"] for r in rows)
    console.print(f"{ready} of {len(rows)} providers ready", style="bold")
    return 0
