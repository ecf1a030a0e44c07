"""Exact counts from Anthropic's and Gemini's count-tokens endpoints (loopback servers)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from playground.config import Settings
from playground.core.estimate import Estimator
from playground.core.exact_counts import ExactCounter
from playground.core.plan import RunPlan
from playground.core.template import Message, PromptTemplate

MESSAGES = [Message("system", "You are terse."), Message("user", "Name three otters.")]


@dataclass
class CountServer:
    """Answers count-tokens calls the way Anthropic and Gemini do; records what it got."""

    anthropic_count: int = 21
    gemini_count: int = 17
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def _handler(state: CountServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append({"path": self.path, "headers": headers, "body": body})
            if state.status != 200:
                answer: dict[str, Any] = {"error": {"message": "boom", "type": "api_error"}}
            elif self.path == "/v1/messages/count_tokens":
                answer = {"input_tokens": state.anthropic_count}
            elif self.path.endswith(":countTokens"):
                answer = {"totalTokens": state.gemini_count, "promptTokensDetails": []}
            else:
                answer = {"error": {"message": "not found"}}
            data = json.dumps(answer).encode()
            self.send_response(state.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountServer]:
    state = CountServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", "sk-ant-test")
    monkeypatch.setenv("TEST_GEMINI_KEY", "gm-test")
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def settings_for(srv: CountServer) -> Settings:
    settings = Settings()
    for name in ("anthropic", "gemini"):
        cfg = settings.providers[name]
        cfg.base_url = srv.url
        cfg.api_key_env = f"TEST_{name.upper()}_KEY"
    return settings


async def test_anthropic_count_tokens_request_and_answer(server: CountServer) -> None:
    counter = ExactCounter(settings_for(server))
    try:
        assert await counter.count("anthropic:claude-haiku-4-5", MESSAGES) == 21
        assert await counter.count("anthropic:claude-haiku-4-5", MESSAGES) == 21  # cached
    finally:
        await counter.aclose()
    assert len(server.requests) == 1
    req = server.requests[0]
    assert req["path"] == "/v1/messages/count_tokens"
    assert req["headers"]["x-api-key"] == "sk-ant-test"
    assert req["headers"]["anthropic-version"] == "2023-06-01"
    assert req["body"] == {
        "model": "claude-haiku-4-5",
        "messages": [{"role": "user", "content": "Name three otters."}],
        "system": "You are terse.",
    }


async def test_gemini_count_tokens_request_and_answer(server: CountServer) -> None:
    counter = ExactCounter(settings_for(server))
    try:
        assert await counter.count("gemini:gemini-2.5-flash", MESSAGES) == 17
    finally:
        await counter.aclose()
    req = server.requests[0]
    assert req["path"] == "/v1beta/models/gemini-2.5-flash:countTokens"
    assert req["headers"]["x-goog-api-key"] == "gm-test"
    assert req["body"] == {
        "generateContentRequest": {
            "model": "models/gemini-2.5-flash",
            "contents": [{"role": "user", "parts": [{"text": "Name three otters."}]}],
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
        }
    }


async def test_the_estimator_shows_fetched_counts_as_exact_until_the_prompt_changes(
    server: CountServer,
) -> None:
    settings = settings_for(server)
    counter = ExactCounter(settings)
    estimator = Estimator(settings, exact=counter)
    plan = RunPlan(
        PromptTemplate(list(MESSAGES)),
        models=["anthropic:claude-haiku-4-5", "gemini:gemini-2.5-flash", "openai:gpt-4o"],
        temperatures=[0.0],
    )
    before = estimator.estimate(plan).by_model()
    assert before["anthropic:claude-haiku-4-5"].method == "estimate"
    try:
        await counter.count_many(plan.models, plan.render())
    finally:
        await counter.aclose()
    assert len(server.requests) == 2  # no call for OpenAI: tiktoken is exact already
    after = estimator.estimate(plan).by_model()
    assert (
        after["anthropic:claude-haiku-4-5"].input_tokens,
        after["anthropic:claude-haiku-4-5"].method,
    ) == (21, "exact")
    assert (
        after["gemini:gemini-2.5-flash"].input_tokens,
        after["gemini:gemini-2.5-flash"].method,
    ) == (17, "exact")
    plan.template = PromptTemplate.from_parts("You are terse.", "Name four otters.")
    edited = estimator.estimate(plan).by_model()
    assert edited["anthropic:claude-haiku-4-5"].method == "estimate"


async def test_without_a_key_nothing_is_sent(
    server: CountServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_ANTHROPIC_KEY")
    counter = ExactCounter(settings_for(server))
    assert not counter.supports("anthropic:claude-haiku-4-5")
    assert not counter.supports("openai:gpt-4o")
    assert await counter.count("anthropic:claude-haiku-4-5", MESSAGES) is None
    assert server.requests == []


async def test_a_failed_count_leaves_the_estimate_and_says_why(server: CountServer) -> None:
    server.status = 500
    settings = settings_for(server)
    counter = ExactCounter(settings)
    try:
        assert await counter.count("anthropic:claude-haiku-4-5", MESSAGES) is None
    finally:
        await counter.aclose()
    assert "HTTP 500" in counter.errors["anthropic:claude-haiku-4-5"]
    plan = RunPlan(PromptTemplate(list(MESSAGES)), models=["anthropic:claude-haiku-4-5"])
    assert Estimator(settings, exact=counter).estimate(plan).cells[0].method == "estimate"


async def test_debounced_counts_call_once_when_typing_pauses(server: CountServer) -> None:
    counter = ExactCounter(settings_for(server))
    typed = [[Message("user", "Name three otters"[: n + 10])] for n in range(5)]
    try:
        results = await asyncio.gather(
            *(counter.count_debounced("gemini:gemini-2.5-flash", m, delay=0.05) for m in typed)
        )
    finally:
        await counter.aclose()
    assert results == [None, None, None, None, 17]  # only the last keystroke asked
    assert len(server.requests) == 1
    assert (
        server.requests[0]["body"]["generateContentRequest"]["contents"][0]["parts"][0]["text"]
        == typed[-1][0].content
    )


def test_estimate_exact_flag_on_the_command_line(server: CountServer, tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text(
        f'[providers.anthropic]\nbase_url = "{server.url}"\napi_key_env = "TEST_ANTHROPIC_KEY"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(PLAYGROUND_DB=str(tmp_path / "s.db"), HOME=str(tmp_path))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "playground",
            "estimate",
            "-s",
            "You are terse.",
            "-p",
            "Name three otters.",
            "-m",
            "anthropic:claude-haiku-4-5",
            "-t",
            "0",
            "--json",
            "--exact",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    cell = json.loads(out.stdout)["cells"][0]
    assert (cell["input_tokens"], cell["method"]) == (21, "exact")


async def test_tui_estimate_becomes_exact_once_typing_pauses(
    server: CountServer, tmp_path: Path
) -> None:
    """The live estimate shows ≈ at once, then the providers' own counts, without ≈, once
    the text stops changing: one call per model for a pasted prompt (the debounce itself
    is tested above); an edit shows ≈ again, then the new exact count."""
    from tui_main_helpers import type_text, wait_for

    from playground.store import Store
    from playground.tui.app import make_app

    settings = settings_for(server)
    settings.workspace = tmp_path
    settings.defaults.models = ["anthropic:claude-haiku-4-5", "gemini:gemini-2.5-flash"]
    settings.defaults.temperatures = [0.0]
    store = Store.open(tmp_path / "pg.db")
    app = make_app(settings, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.screen.estimate_bar
        await wait_for(pilot, lambda: "tok" in bar.line)
        app.screen.editor.user_area.insert("Name three otters.")  # as a paste
        await wait_for(pilot, lambda: "claude-haiku-4-5 ≈" in bar.line)
        await wait_for(
            pilot,
            lambda: "claude-haiku-4-5 21 tok" in bar.line and "gemini-2.5-flash 17 tok" in bar.line,
        )
        asked = [r["path"] for r in server.requests if "Name three otters." in json.dumps(r)]
        assert sorted(asked) == [
            "/v1/messages/count_tokens",
            "/v1beta/models/gemini-2.5-flash:countTokens",
        ]
        # one more word: ≈ again at once, exact again after the pause (the server now says 30)
        server.anthropic_count = 30
        await type_text(pilot, " Now")
        await wait_for(pilot, lambda: "claude-haiku-4-5 30 tok" in bar.line)
    store.close()
