"""A cut-off answer is not a success: a stream that ends cleanly without its provider's finish
signal is an error cell that keeps its text and is never served from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground
from loopback import LoopbackServer, Reply
from test_providers_wire import PROVIDERS, run_cell

from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store

UNFINISHED = "the stream ended without a finish: partial output kept"


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_stream_without_finish_is_an_error_keeping_its_text(
    loopback: LoopbackServer, provider: str
) -> None:
    loopback.enqueue(Reply(text="alpha beta gamma", no_finish=True))
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert result.status == "error"
    assert result.error == UNFINISHED
    assert result.output == "alpha beta gamma"
    assert len(loopback.requests) == 1  # text was shown: not retried


async def test_finished_stream_is_ok(loopback: LoopbackServer, provider: str) -> None:
    """The control: the same reply with its finish is an ok cell with its reason."""
    loopback.enqueue(Reply(text="alpha beta gamma", finish="length"))
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert (result.status, result.output) == ("ok", "alpha beta gamma"), result.error
    assert result.finish_reason == "length"


def sse(obj: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


END_MARKER_ONLY = {  # the text "alpha beta", then only the protocol's end marker
    "lo-openai": sse({"choices": [{"index": 0, "delta": {"content": "alpha beta"}}]})
    + b"data: [DONE]\n\n",
    "lo-anthropic": sse({"type": "message_start", "message": {"usage": {"input_tokens": 3}}})
    + sse({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "alpha beta"}})
    + sse({"type": "message_stop"}),
}


@pytest.mark.parametrize("provider", list(END_MARKER_ONLY))
async def test_end_marker_alone_is_a_finish(loopback: LoopbackServer, provider: str) -> None:
    """OpenAI's [DONE] without a finish_reason, Anthropic's message_stop without a
    stop_reason: the stream did end; the cell is ok, with no finish reason."""
    sent = Reply(body=END_MARKER_ONLY[provider], headers={"content-type": "text/event-stream"})
    loopback.enqueue(sent)
    result, _ = await run_cell(loopback.settings(), f"{provider}:m")
    assert (result.status, result.output, result.finish_reason) == ("ok", "alpha beta", None)


async def test_unfinished_before_any_text_is_retried(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(text="", no_finish=True), Reply(text="second try"))
    result, _ = await run_cell(loopback.settings(), "lo-openai:m")
    assert (result.status, result.output, result.attempts) == ("ok", "second try", 2)


async def test_unfinished_answer_is_never_served_from_the_cache(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.enqueue(Reply(text="cut off here", no_finish=True), Reply(text="whole answer"))
    store = Store.open(tmp_path / "playground.db")
    plan = RunPlan(PromptTemplate.from_parts("", "Say hi"), models=["lo-gemini:m"])
    results = []
    try:
        for _ in range(2):
            runner = Runner(loopback.settings(), recorder=store)
            try:
                results.append((await runner.run(plan)).results[0])
            finally:
                await runner.aclose()
    finally:
        store.close()
    first, second = results
    assert (first.status, first.output) == ("error", "cut off here")
    assert (second.status, second.output, second.cached) == ("ok", "whole answer", False)
    assert len(loopback.requests) == 2


def test_run_exits_1_and_the_next_run_asks_again(tmp_path: Path, loopback: LoopbackServer) -> None:
    """End to end: `playground run` prints the partial text and the error, exit 1; the same
    run again goes to the server (not the cache) and gets the whole answer."""
    loopback.write_config(tmp_path)
    loopback.enqueue(Reply(text="cut off here", no_finish=True), Reply(text="whole answer"))
    env = clean_env(tmp_path, **loopback.env())
    args = ("run", "-p", "hi", "-m", "lo-ollama:m", "-t", "0.2", "--json")
    first = playground(tmp_path, *args, env=env)
    assert first.returncode == 1, first.stderr
    [cell] = json.loads(first.stdout)["cells"]
    assert (cell["status"], cell["output"], cell["error"]) == ("error", "cut off here", UNFINISHED)
    second = playground(tmp_path, *args, env=env)
    assert second.returncode == 0, second.stderr
    [cell] = json.loads(second.stdout)["cells"]
    assert (cell["status"], cell["output"], cell["cached"]) == ("ok", "whole answer", False)


# -- local servers that serve one request at a time ---------------------------------------------


async def test_drop_while_another_request_started_says_what_to_set(
    loopback: LoopbackServer,
) -> None:
    """llama-cpp-python's server drops the earlier stream when a second request arrives."""
    loopback.one_at_a_time = True
    loopback.default = Reply(first_delay=1.0)  # each waits: the second arrives meanwhile
    settings = loopback.settings(max_retries=0, max_concurrency=2)
    runner = Runner(settings)
    try:
        plan = RunPlan(PromptTemplate.from_parts("", "hi"), models=["lo-openai:a", "lo-openai:b"])
        handle = await runner.run(plan)
    finally:
        await runner.aclose()
    errors = [r.error for r in handle.results if r.status == "error"]
    assert errors == [
        "connection dropped mid-stream while another request to 'lo-openai' was running: "
        "if the server serves one request at a time, set max_concurrency = 1 in "
        "[providers.lo-openai]"
    ]
    assert [r.status for r in handle.results].count("ok") == 1


async def test_with_max_concurrency_1_every_cell_answers(loopback: LoopbackServer) -> None:
    loopback.one_at_a_time = True
    settings = loopback.settings(max_retries=0, max_concurrency=1)
    runner = Runner(settings)
    try:
        plan = RunPlan(PromptTemplate.from_parts("", "hi"), models=["lo-openai:a", "lo-openai:b"])
        handle = await runner.run(plan)
    finally:
        await runner.aclose()
    assert [r.status for r in handle.results] == ["ok", "ok"]
    assert not any(r.superseded for r in loopback.requests)


async def test_a_drop_with_no_other_request_gives_no_such_hint(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(text="alpha beta", drop_after=1))
    result, _ = await run_cell(loopback.settings(max_retries=0), "lo-openai:m")
    assert result.error.startswith("connection dropped mid-stream: ")
    assert "max_concurrency" not in result.error
