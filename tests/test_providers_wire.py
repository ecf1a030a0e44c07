"""Each wire protocol against a loopback server: the request it sends, every variation a real
server produces, and every fault, seen through the runner as a user sees a cell."""

from __future__ import annotations

import time
from typing import Any

import pytest
from loopback import DEFAULT_TEXT, LoopbackServer, Reply

from playground.core.model import CellDelta, CellResult, CellRetry
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate

PROVIDERS = ["lo-openai", "lo-anthropic", "lo-gemini", "lo-ollama"]
WIRE = {
    "lo-openai": "openai",
    "lo-anthropic": "anthropic",
    "lo-gemini": "gemini",
    "lo-ollama": "ollama",
}
STOP = {"lo-openai": "stop", "lo-anthropic": "end_turn", "lo-gemini": "STOP", "lo-ollama": "stop"}


async def run_cell(
    settings: Any, model_id: str, temperature: float | None = 0.5, **plan: Any
) -> tuple[CellResult, list[Any]]:
    """Run a one-cell plan; return its result and every event the runner emitted."""
    template = PromptTemplate.from_parts(plan.pop("system", ""), plan.pop("user", "Say hi"))
    runner = Runner(settings)
    try:
        handle = runner.start(
            RunPlan(template, models=[model_id], temperatures=[temperature], **plan)
        )
        events = [e async for e in handle.events()]
    finally:
        await runner.aclose()
    return handle.results[0], events


def deltas(events: list[Any], reasoning: bool = False) -> str:
    return "".join(e.text for e in events if type(e) is CellDelta and e.reasoning == reasoning)


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_default_stream_and_request_shape(loopback: LoopbackServer, provider: str) -> None:
    settings = loopback.settings()
    result, events = await run_cell(
        settings, f"{provider}:m1", 0.3, system="Be brief.", user="Hi {{who}}", max_tokens=77,
        variables={"who": "Ada"},
    )  # fmt: skip
    assert result.status == "ok", result.error
    assert result.output == f"model=m1 temperature=0.3: {DEFAULT_TEXT}"
    assert deltas(events) == result.output
    assert (result.input_tokens, result.output_tokens) == (11, 13)
    assert result.usage_source == "provider"
    assert result.finish_reason == STOP[provider]
    assert result.ttft_ms is not None and result.latency_ms >= result.ttft_ms
    [req] = loopback.requests
    assert req.kind == WIRE[provider]
    assert req.model == "m1" and req.temperature == 0.3
    body, headers = req.body, req.headers
    if provider == "lo-openai":
        assert req.path == "/v1/chat/completions"
        assert headers["authorization"] == "Bearer test-openai-key"
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert body["messages"][1] == {"role": "user", "content": "Hi Ada"}
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        assert body["max_tokens"] == 77
    elif provider == "lo-anthropic":
        assert req.path == "/v1/messages"
        assert headers["x-api-key"] == "test-anthropic-key"
        assert headers["anthropic-version"] == "2023-06-01"
        assert body["system"] == "Be brief."
        assert body["messages"] == [{"role": "user", "content": "Hi Ada"}]
        assert body["max_tokens"] == 77
    elif provider == "lo-gemini":
        assert req.path == "/v1beta/models/m1:streamGenerateContent"
        assert req.query == "alt=sse"
        assert headers["x-goog-api-key"] == "test-gemini-key"
        assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
        assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi Ada"}]}]
        assert body["generationConfig"]["maxOutputTokens"] == 77
    else:
        assert req.path == "/api/chat"
        assert "authorization" not in headers
        assert body["messages"][1] == {"role": "user", "content": "Hi Ada"}
        assert body["options"]["num_predict"] == 77
    # No key ever reaches what the runner records about the request.
    assert "test-" not in repr(result.request)


async def test_no_usage_is_estimated_and_marked(loopback: LoopbackServer, provider: str) -> None:
    loopback.default = Reply(usage=False)
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "ok", result.error
    assert result.usage_source == "estimate"
    assert result.input_tokens and result.input_tokens > 0
    assert result.output_tokens and result.output_tokens > 0


async def test_crlf_and_split_utf8_give_exact_text(loopback: LoopbackServer, provider: str) -> None:
    text = "Grüße, 世界 ✓ — naïve café 🎉 done."
    loopback.default = Reply(text=text, chunks=7, crlf=True, split_bytes=1, split_delay=0)
    result, events = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "ok", result.error
    assert result.output == text
    assert deltas(events) == text
    assert "\ufffd" not in result.output


async def test_frames_cut_mid_character_with_pauses(
    loopback: LoopbackServer, provider: str
) -> None:
    # 3-byte pieces land inside 2- and 4-byte characters; the pause forces separate reads.
    text = "ü🎉ü🎉ü"
    loopback.default = Reply(text=text, chunks=5, split_bytes=3, split_delay=0.0005)
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.output == text


async def test_reasoning_kept_apart_from_answer(loopback: LoopbackServer, provider: str) -> None:
    loopback.default = Reply(text="The answer is 4.", reasoning="2 plus 2 is 4, so")
    result, events = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "ok", result.error
    assert result.output == "The answer is 4."
    assert result.reasoning == "2 plus 2 is 4, so"
    assert deltas(events) == "The answer is 4."
    assert deltas(events, reasoning=True) == "2 plus 2 is 4, so"


async def test_openai_content_null_and_usage_null(loopback: LoopbackServer) -> None:
    loopback.default = Reply(text="fine", content_null=True, usage_null=True)
    result, _ = await run_cell(loopback.settings(), "lo-openai:m")
    assert result.status == "ok", result.error
    assert result.output == "fine"
    assert result.usage_source == "estimate"


async def test_429_with_retry_after_then_success(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(
        Reply(status=429, headers={"retry-after": "0.3"}, error_message="slow down"), Reply()
    )
    t0 = time.monotonic()
    result, events = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "ok", result.error
    assert result.attempts == 2
    assert len(loopback.requests) == 2
    gap = loopback.requests[1].started - loopback.requests[0].started
    assert 0.3 <= gap < 1.0  # waited as told, not the default backoff
    [retry] = [e for e in events if type(e) is CellRetry]
    assert retry.wait_s == pytest.approx(0.3) and "429" in retry.reason
    assert time.monotonic() - t0 < 2


async def test_500_then_success(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(Reply(status=500), Reply())
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "ok", result.error
    assert result.output.startswith("model=m ")
    assert len(loopback.requests) == 2


@pytest.mark.parametrize("status", [408, 409])
async def test_408_and_409_are_retried(loopback: LoopbackServer, status: int) -> None:
    loopback.enqueue(Reply(status=status, headers={"retry-after-ms": "10"}), Reply())
    result, _ = await run_cell(loopback.settings(), "lo-openai:m")
    assert result.status == "ok", result.error
    assert len(loopback.requests) == 2


async def test_retry_after_as_an_http_date_is_honoured(loopback: LoopbackServer) -> None:
    from email.utils import formatdate

    when = formatdate(time.time() + 2, usegmt=True)  # whole seconds: waits 1–2 s
    loopback.enqueue(Reply(status=503, headers={"retry-after": when}), Reply())
    result, events = await run_cell(loopback.settings(), "lo-anthropic:m")
    assert result.status == "ok", result.error
    gap = loopback.requests[1].started - loopback.requests[0].started
    assert 0.9 <= gap < 2.5
    [retry] = [e for e in events if type(e) is CellRetry]
    assert 0.9 <= retry.wait_s <= 2.1


async def test_529_retried_then_gives_up(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(*[Reply(status=529, headers={"retry-after-ms": "20"})] * 3)
    result, _ = await run_cell(loopback.settings(max_retries=2), f"{provider}:m")
    assert result.status == "error"
    assert "529" in result.error and "3 attempts" in result.error
    assert len(loopback.requests) == 3


async def test_400_is_not_retried_and_says_why(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(Reply(status=400, error_message="temperature must be 1 for this model"))
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert result.error == "HTTP 400: temperature must be 1 for this model"
    assert len(loopback.requests) == 1


async def test_error_event_mid_stream_keeps_partial_text(
    loopback: LoopbackServer, provider: str
) -> None:
    loopback.enqueue(Reply(text="one two three four", error_after=2, error_message="Overloaded"))
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert result.output == "one two "
    assert "error in stream" in result.error and "Overloaded" in result.error
    assert "partial output kept" in result.error
    assert len(loopback.requests) == 1  # never retried once text has started


@pytest.mark.parametrize("provider", ["lo-openai", "lo-anthropic", "lo-gemini"])
async def test_transient_error_event_before_text_is_retried(
    loopback: LoopbackServer, provider: str
) -> None:
    loopback.enqueue(Reply(error_after=0, headers={}), Reply())
    settings = loopback.settings()
    settings.defaults.max_retries = 1
    result, _ = await run_cell(settings, f"{provider}:m")
    assert result.status == "ok", result.error
    assert len(loopback.requests) == 2


async def test_connection_dropped_mid_stream(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(Reply(text="alpha beta gamma", drop_after=1))
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert result.output == "alpha "
    assert "connection dropped" in result.error
    assert len(loopback.requests) == 1


async def test_connection_dropped_before_text_is_retried(
    loopback: LoopbackServer, provider: str
) -> None:
    loopback.enqueue(Reply(drop_after=0), Reply(text="second try"))
    settings = loopback.settings()
    result, _ = await run_cell(settings, f"{provider}:m")
    assert result.status == "ok", result.error
    assert result.output == "second try"


async def test_malformed_chunk(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(Reply(text="alpha beta gamma", malformed_after=2))
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert result.output == "alpha beta "
    assert result.error.startswith("malformed data from server")


async def test_stall_past_read_timeout(loopback: LoopbackServer, provider: str) -> None:
    loopback.enqueue(Reply(text="alpha beta gamma", stall_after=1))
    t0 = time.monotonic()
    result, _ = await run_cell(loopback.settings(read_timeout=0.3), f"{provider}:m")
    elapsed = time.monotonic() - t0
    assert result.status == "error"
    assert result.output == "alpha "
    assert "timed out" in result.error and "0.3 s" in result.error
    assert 0.3 <= elapsed < 1.5
    assert loopback.wait_disconnects(1, timeout=1)  # the connection was let go


@pytest.mark.parametrize("provider", ["lo-openai", "lo-anthropic", "lo-gemini"])
async def test_missing_key_is_a_cell_error_naming_the_variable(
    loopback: LoopbackServer, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = {
        "lo-openai": "LO_OPENAI_KEY",
        "lo-anthropic": "LO_ANTHROPIC_KEY",
        "lo-gemini": "LO_GEMINI_KEY",
    }[provider]
    monkeypatch.delenv(var)
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert var in result.error
    assert loopback.requests == []  # nothing sent without a key


async def test_finish_reason_length(loopback: LoopbackServer) -> None:
    loopback.default = Reply(text="cut", finish="length")
    result, _ = await run_cell(loopback.settings(), "lo-openai:m")
    assert result.status == "ok" and result.finish_reason == "length"


async def test_gemini_retry_info_delay_is_honoured(loopback: LoopbackServer) -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "Quota exceeded",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.3s"}
            ],
        }
    }
    loopback.enqueue(Reply(status=429, body=body), Reply())
    result, events = await run_cell(loopback.settings(), "lo-gemini:m")
    assert result.status == "ok", result.error
    [retry] = [e for e in events if type(e) is CellRetry]
    assert retry.wait_s == pytest.approx(0.3) and "Quota exceeded" in retry.reason
    assert loopback.requests[1].started - loopback.requests[0].started >= 0.3


async def test_error_body_as_json_array(loopback: LoopbackServer) -> None:
    raw = b'[{"error": {"code": 400, "message": "Invalid JSON payload", "status": "INVALID_ARGUMENT"}}]'
    loopback.enqueue(Reply(status=400, body=raw))
    result, _ = await run_cell(loopback.settings(), "lo-gemini:m")
    assert result.error == "HTTP 400: Invalid JSON payload"


async def test_insufficient_quota_is_not_retried(loopback: LoopbackServer) -> None:
    loopback.enqueue(
        Reply(status=429, error_type="insufficient_quota", error_message="You exceeded your quota")
    )
    result, _ = await run_cell(loopback.settings(), "lo-openai:m")
    assert result.status == "error" and "exceeded your quota" in result.error
    assert len(loopback.requests) == 1


async def test_html_error_page_is_one_line(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(status=502, body=b"<html>\n<body>\nBad gateway\n</body></html>"))
    settings = loopback.settings(max_retries=0)
    result, _ = await run_cell(settings, "lo-anthropic:m")
    assert result.error.startswith("HTTP 502: <html>") and "\n" not in result.error


async def test_html_page_with_200_is_an_error(loopback: LoopbackServer, provider: str) -> None:
    page = b"<!doctype html><html><body>Welcome to my server</body></html>"
    loopback.enqueue(Reply(body=page, headers={"content-type": "text/html; charset=utf-8"}))
    result, _ = await run_cell(loopback.settings(max_retries=0), f"{provider}:m")
    assert result.status == "error"
    assert "web page" in result.error and "base_url" in result.error


async def test_json_that_is_not_a_stream_is_an_error(
    loopback: LoopbackServer, provider: str
) -> None:
    # A server that ignores "stream": a 200 with one plain JSON object this parser never sees.
    loopback.enqueue(Reply(body=b'{"status": "ok"}', headers={"content-type": "text/plain"}))
    result, _ = await run_cell(loopback.settings(max_retries=0), f"{provider}:m")
    assert result.status == "error"
    assert "sent nothing this provider understands" in result.error


async def test_a_gemini_model_id_stays_one_path_segment(loopback: LoopbackServer) -> None:
    """A model id with '/', '?' or '#' cannot reach another path on the server."""
    result, _ = await run_cell(loopback.settings(), "lo-gemini:../../x?y=1#z")
    [req] = loopback.requests
    # one segment whatever the client normalises ('=' may go out plain: it splits nothing)
    assert (
        req.path.replace("%3D", "=") == "/v1beta/models/..%2F..%2Fx%3Fy=1%23z:streamGenerateContent"
    )
    assert req.query == "alt=sse"
    assert result.status == "ok", result.error
