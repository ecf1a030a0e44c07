"""A loopback HTTP server that speaks the four provider wire formats, for tests and benchmarks.

Real HTTP on 127.0.0.1, an ephemeral port, served from a background thread (one thread per
connection), so it answers async tests, Textual pilot tests and ``playground`` subprocesses
alike. Nothing here imports playground: the module also runs standalone
(``python tests/loopback --chunks 100 --duration 1``) for benchmarks that need the server's
CPU out of their own process.

Quick use (the ``loopback`` fixture in conftest.py does the start/stop)::

    from loopback import LoopbackServer, Reply

    with LoopbackServer() as srv:
        settings = srv.settings(read_timeout=0.5)      # playground Settings, keys in env
        srv.enqueue(Reply(status=429, headers={"retry-after": "0"}), Reply())
        ...                                             # run "lo-openai:gpt-x" etc.
        assert srv.requests[0].path == "/v1/chat/completions"
        assert srv.max_in_flight <= 2

Wire formats and paths (providers as ``settings()`` / ``write_config()`` configure them):

    lo-openai     kind openai     POST /v1/chat/completions   (base_url http://HOST:PORT/v1)
                                  GET  /v1/models
                                  POST /v1/embeddings (a 26-letter histogram per input text,
                                  kept in ``embedding_requests``, not in ``requests``)
    lo-anthropic  kind anthropic  POST /v1/messages, POST /v1/messages/count_tokens
    lo-gemini     kind gemini     POST /v1beta/models/{model}:streamGenerateContent?alt=sse
                                  POST /v1beta/models/{model}:countTokens
    lo-ollama     kind ollama     POST /api/chat (NDJSON), GET /api/tags

Count-tokens calls are answered (about one token per 4 bytes of the body) and kept in
``count_requests``, apart from ``requests``, so they never count as chat calls.

Default reply (no scripting): 200, streamed, text ``"model=<m> temperature=<t>: <DEFAULT_TEXT>"``
split at word boundaries, no delay, with usage (input 11, output = number of chunks), finish
"stop" (in each protocol's own spelling). ``<t>`` is the request's temperature as JSON
(``0.7``, ``0.0``) or ``default`` when absent.

Scripting. A ``Reply`` describes one response; every field is optional:

    text            the answer (None: the default text above)
    chunks          split the text into N nearly equal pieces (None: one piece per word);
                    a text shorter than N characters is padded with " lorem" words
    duration        seconds spread evenly between the pieces ("100 chunks over 1 s")
    delay           seconds between pieces (overrides duration)
    first_delay     seconds before the first piece (after headers)
    reasoning       reasoning text, streamed before the answer in the protocol's own field
                    (OpenAI reasoning_content, Anthropic thinking_delta, Gemini thought part,
                    Ollama message.thinking)
    usage           False: send no usage at all (OpenAI: no usage chunk)
    usage_null      OpenAI only: "usage": null on every chunk (and no usage chunk)
    input_tokens, output_tokens   the usage figures (output default: number of pieces)
    finish          finish reason as sent (None: stop / end_turn / STOP / stop)
    no_finish       end the stream cleanly but without the protocol's finish signal (OpenAI:
                    no finish_reason and no [DONE], usage still sent; Anthropic: no
                    message_delta stop_reason and no message_stop; Gemini: no finishReason;
                    Ollama: no done: true line), as a stream cut by a proxy would look
    content_null    OpenAI: role and finish chunks carry "content": null
    crlf            frame lines end with \\r\\n instead of \\n
    split_bytes     re-cut the whole body into pieces of this many bytes (1 = every byte,
                    so frames and UTF-8 characters are split), each flushed on its own,
                    split_delay seconds apart (default 0.001)
    status          HTTP status; >= 400 sends an error body in the protocol's shape
    error_message   the message in that error body or error event
    error_type      the error's type/status/code (default per protocol and status)
    body            raw bytes or a dict sent as the error body instead; with a status
                    below 400, sent whole as the (non-streamed) answer, e.g. an HTML page
                    (set headers={"content-type": "text/html"})
    headers         extra response headers, e.g. {"retry-after": "1"}
    error_after     after N answer pieces, send the protocol's error event and end
    drop_after      after N answer pieces, drop the connection (incomplete chunked body)
    malformed_after after N answer pieces, send a malformed frame and end
    stall_after     after N answer pieces, stop sending but keep the connection open until
                    the client goes away (or stall_max seconds, default 30, or stop())
    model           model name reported in the stream (default: the requested one)

Choosing the reply for a request, first match wins:
    1. ``srv.on_request`` if set: a callable(RecordedRequest) -> Reply | None (it also sees
       the GET routes; a Reply with status >= 400 makes them fail, a 3xx redirects them
       with its headers, e.g. {"location": ...});
    2. a queue for the request's model: ``srv.enqueue(r1, r2, model="m")`` (consumed in order);
    3. the global queue: ``srv.enqueue(r1, r2)``;
    4. ``srv.default`` (a Reply, default ``Reply()``).

What it records:
    srv.requests          list[RecordedRequest] in arrival order: kind, method, path, query,
                          headers (lower-case keys), body (parsed JSON or None), model,
                          temperature, reply, started/ended (time.monotonic()), pieces_sent,
                          disconnected (client went away before the response ended) and
                          disconnected_at (monotonic time it was noticed; noticed within
                          ~5 ms while the server waits between pieces or stalls),
                          peer (client host, port: the same port means a reused connection)
    srv.in_flight         requests being answered right now
    srv.max_in_flight     the most ever answered at once (srv.reset() clears records)
    srv.one_at_a_time     True: like llama-cpp-python's server, a chat request that arrives
                          while others stream makes them drop (connection closed mid-body,
                          before their next piece); their records say superseded=True
    srv.requests_for(kind=None, model=None)
    srv.max_in_flight_for(kind=None, model=None)   the same maximum, for some requests only
    srv.wait_requests(n, timeout)       block until n requests arrived (True/False)
    srv.wait_disconnects(n, timeout)    block until n requests saw a disconnect; returns them
    srv.wait_idle(timeout)              block until nothing is in flight

Config helpers (loopback/config.py):
    srv.models                          the list GET /v1/models and /api/tags answer with
                                        (default ["lo-model-a", "lo-model-b"])
    srv.base_url                        "http://127.0.0.1:PORT"
    srv.provider_urls()                 {"lo-openai": ".../v1", "lo-anthropic": ..., ...}
    srv.env()                           {"LO_OPENAI_KEY": "test-openai-key", ...}; the tests
                                        put these in os.environ (the fixture does)
    srv.config_toml(**opts) -> str      a playground.toml declaring the four providers
    srv.write_config(path, **opts)      writes it (path may be a folder: adds playground.toml)
    srv.settings(**opts) -> Settings    the same, built in-process (imports playground)
    opts: max_concurrency (int, or dict provider -> int), concurrency, read_timeout,
          connect_timeout, max_retries, fallbacks (dict model id -> list of model ids),
          models (default model list), temperatures, extra (raw TOML appended)

Standalone: ``python tests/loopback [--port 0] [--chunks N] [--duration S] [--text T]``
prints ``PORT <n>`` on its first stdout line, serves until stdin closes (or SIGTERM), then
prints one JSON line ``{"requests": n, "max_in_flight": m}``.

The package, by what each module holds:
    records.py     Reply (a scripted response) and RecordedRequest (what the server saw)
    protocols.py   the four wire formats' frames, and which route a request is
    server.py      the HTTP server, its handler and LoopbackServer
    config.py      KINDS, KEY_ENV and the config helpers LoopbackServer inherits
    batch.py       the batch-API server (BatchServer)
    __main__.py    the standalone server for benchmarks
"""

from .config import KEY_ENV, KINDS
from .records import DEFAULT_TEXT, RecordedRequest, Reply
from .server import LoopbackServer, serving

__all__ = [
    "DEFAULT_TEXT",
    "KEY_ENV",
    "KINDS",
    "LoopbackServer",
    "RecordedRequest",
    "Reply",
    "serving",
]
