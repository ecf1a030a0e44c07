"""Keys stay with their provider: no redirect to another origin is followed, no cookie is ever
sent, and a key holding a control character never reaches the wire."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback import LoopbackServer, RecordedRequest, Reply
from test_providers_wire import PROVIDERS, run_cell

from playground.core.plan import RunPlan
from playground.core.providers import build_providers
from playground.core.providers.httpclient import new_client
from playground.core.runner import Runner
from playground.core.template import PromptTemplate

KEY_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "cookie")


@pytest.fixture
def elsewhere() -> Iterator[LoopbackServer]:
    """A second server: another origin (another port)."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture(params=["aiohttp", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


def redirect_to(target: LoopbackServer, status: int = 307) -> Reply:
    return Reply(
        status=status,
        body=b"",
        headers={"location": f"{target.base_url}/stolen", "set-cookie": "session=abc; Path=/"},
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_no_redirect_to_another_origin(
    loopback: LoopbackServer, elsewhere: LoopbackServer, provider: str, transport: str
) -> None:
    loopback.enqueue(redirect_to(elsewhere))
    settings = loopback.settings(max_retries=0)
    settings.defaults.transport = transport
    result, _ = await run_cell(settings, f"{provider}:m")
    assert result.status == "error"
    assert result.error == (
        f"the server redirected to {elsewhere.base_url}/stolen: not followed "
        "(keys stay with their provider)"
    )
    assert elsewhere.requests == []  # nothing at all, so no key and no cookie either


async def test_a_redirect_on_the_same_origin_is_followed_with_its_key(
    loopback: LoopbackServer, transport: str
) -> None:
    def route(rec: RecordedRequest) -> Reply | None:
        if rec.path == "/v1/chat/completions":
            return Reply(status=308, body=b"", headers={"location": "/v2/chat/completions"})
        return None

    loopback.on_request = route
    settings = loopback.settings(max_retries=0)
    settings.defaults.transport = transport
    result, _ = await run_cell(settings, "lo-openai:m")
    assert result.status == "ok", result.error
    _, second = loopback.requests
    assert second.path == "/v2/chat/completions"
    assert second.headers["authorization"] == "Bearer test-openai-key"


async def test_model_listing_follows_no_redirect_to_another_origin(
    loopback: LoopbackServer, elsewhere: LoopbackServer, transport: str
) -> None:
    """Model lists go through the same guard: a local provider whose /models redirects."""
    settings = loopback.settings()
    cfg = settings.providers["lo-openai"]
    cfg.models = []
    cfg.base_url = f"{loopback.base_url}/v1"
    provider = build_providers(settings)["lo-openai"]

    def route(rec: RecordedRequest) -> Reply | None:
        return redirect_to(elsewhere, 302) if rec.path == "/v1/models" else None

    loopback.on_request = route
    async with new_client(transport) as client:
        ready, status = await provider.check_ready(client)
    assert not ready
    assert status == (
        f"the server redirected to {elsewhere.base_url}/stolen: not followed "
        "(keys stay with their provider)"
    )
    assert elsewhere.requests == []


async def test_no_cookie_is_ever_sent_back(loopback: LoopbackServer, transport: str) -> None:
    """A provider sets a cookie on its answer; the next call (same client) sends none."""
    loopback.enqueue(Reply(headers={"set-cookie": "session=abc; Path=/"}), Reply())
    settings = loopback.settings(max_concurrency=1)
    settings.defaults.transport = transport
    runner = Runner(settings)
    try:
        for model in ("lo-openai:a", "lo-openai:b"):
            await runner.run(RunPlan(PromptTemplate.from_parts("", "hi"), models=[model]))
    finally:
        await runner.aclose()
    first, second = loopback.requests
    assert first.reply is not None and "set-cookie" in first.reply.headers
    assert "cookie" not in second.headers


@pytest.mark.parametrize("bad", ["\r\nX-Injected: 1", "\n", "\x1b", "\t", "\x7f"])
@pytest.mark.parametrize(
    ("provider", "var"),
    [("lo-openai", "LO_OPENAI_KEY"), ("lo-anthropic", "LO_ANTHROPIC_KEY"),
     ("lo-gemini", "LO_GEMINI_KEY")],
)  # fmt: skip
async def test_key_with_a_control_character_is_refused_before_any_request(
    loopback: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    var: str,
    bad: str,
) -> None:
    monkeypatch.setenv(var, "sk-test" + bad + "rest")
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert result.error == f"{var} contains a control character"
    assert loopback.requests == []
