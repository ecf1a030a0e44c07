"""A key a model echoes is hidden the same everywhere: `run`'s text and --json, `show`,
`export` and the database file; a run killed while a key streams leaves no 8 characters of it;
and hiding a stream's keys costs in proportion to the new text (StreamRedactor)."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground, spawn
from loopback import LoopbackServer, Reply

from playground.core.secrets import (
    LONG_TEXT,
    MIN_CUT_KEY,
    REDACTED,
    StreamRedactor,
    find,
    redact_output,
    redact_response,
)

KEY = LoopbackServer.env()["LO_OPENAI_KEY"]


def db_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("sessions.db"))


def test_a_stream_is_hidden_piece_by_piece_as_the_whole_text_would_be() -> None:
    keys = sorted(["sk-test-abcdefghijklmnopqrstuvwxyz0123", "AIzaSyD-0123456789abc", "tok-12345"])
    rng = random.Random(7)
    for _ in range(500):
        parts = []
        for _ in range(rng.randint(0, 6)):
            parts.append("".join(rng.choice("ab sk-AIzt") for _ in range(rng.randint(0, 30))))
            key = rng.choice(keys)
            parts.append(key if rng.random() < 0.6 else key[: rng.randint(1, len(key))])
        text = "".join(parts)
        stream = StreamRedactor(keys)
        at = 0
        while at < len(text):
            step = rng.randint(1, 12)
            stream.feed(text[at : at + step])
            at += step
            assert stream.text() == redact_output(text[:at], keys), text[:at]


def test_find_answers_as_str_find_does_for_long_short_and_non_ascii_texts() -> None:
    """Long ASCII texts go to StringZilla, whose offsets count bytes: every answer must still
    be str.find's (a non-ASCII text, where bytes and characters part, must not go to it)."""
    key = "sk-test-abcdefghijklmnop"
    rng = random.Random(11)
    for _ in range(300):
        size = rng.choice([10, LONG_TEXT - 5, LONG_TEXT + 50, 3 * LONG_TEXT])
        text = "".join(rng.choice('data: {"x":"sk-té"}\n') for _ in range(size))
        if rng.random() < 0.5:
            text = text.replace("é", "e")  # ASCII, long enough for the SIMD search
        for at in sorted(rng.sample(range(len(text)), min(3, len(text)))):
            if rng.random() < 0.5:
                text = text[:at] + key + text[at:]
        start = rng.randint(0, len(text))
        assert find(text, key, start) == text.find(key, start)
        assert find(text, key[:9]) == text.find(key[:9])


def test_a_raw_response_hides_its_key_deep_in_a_long_body() -> None:
    """The body of a long stream (searched with StringZilla when it is ASCII) hides its
    provider's key wherever it is, and so does a body with other characters before it."""
    key = "sk-test-abcdefghijklmnop"
    head = "HTTP/1.1 200 OK\ncontent-type: text/event-stream\n\n"
    frame = 'data: {"choices":[{"delta":{"content":"word "}}]}\n\n'
    for body in (frame * 400, frame.replace("word", "wörd") * 400):
        for at in (0, len(body) // 2, len(body)):
            raw = head + body[:at] + f'data: {{"echo":"{key}"}}\n\n' + body[at:]
            hidden = redact_response(raw, [key], [key])
            assert key not in hidden and hidden.count(REDACTED) == 1
            assert hidden == raw.replace(key, REDACTED)


def test_a_text_cut_mid_key_hides_the_cut_key() -> None:
    key = "sk-live-0123456789abcdef"
    assert redact_output(f"here: {key[:MIN_CUT_KEY]}", [key]) == f"here: {REDACTED}"
    assert redact_output(f"here: {key[: MIN_CUT_KEY - 1]}", [key]) == f"here: {key[:7]}"
    assert redact_output(f"{key} and {key[:12]}", [key]) == f"{REDACTED} and {REDACTED}"


def test_a_key_the_model_echoes_is_hidden_in_every_output(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.write_config(tmp_path)
    loopback.default = Reply(text=f"the key is {KEY}, keep it safe", chunks=12)
    env = clean_env(tmp_path, **LoopbackServer.env())
    args = ("run", "-p", "Tell me the key.", "-m", "lo-openai:m", "-t", "0")
    as_json = playground(tmp_path, *args, "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert doc["cells"][0]["output"] == f"the key is {REDACTED}, keep it safe"
    as_text = playground(tmp_path, *args, "--no-cache", env=env)
    assert as_text.returncode == 0, as_text.stderr
    assert REDACTED in as_text.stdout
    outputs = [as_json.stdout, as_text.stdout]
    run_id = str(doc["run_id"])
    for extra in ([], ["--json"]):
        shown = playground(tmp_path, "show", run_id, *extra, env=env)
        assert shown.returncode == 0, shown.stderr
        outputs.append(shown.stdout)
    for fmt in ("md", "json", "jsonl"):
        exported = playground(tmp_path, "export", run_id, "--format", fmt, env=env)
        assert exported.returncode == 0, exported.stderr
        outputs.append(exported.stdout)
    for out in outputs:
        assert KEY not in out and KEY[:MIN_CUT_KEY] not in out
        assert REDACTED in out, out
    blob = db_bytes(tmp_path)
    assert b"keep it safe" in blob and KEY[:MIN_CUT_KEY].encode() not in blob


def test_a_run_killed_mid_key_leaves_no_part_of_it(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.write_config(tmp_path)
    text = f"the key is {KEY} and that is all"
    loopback.default = Reply(text=text, chunks=len(text), delay=0.15)  # a character at a time
    db = tmp_path / "sessions.db"
    proc = spawn(
        tmp_path,
        *("run", "-p", "Tell me the key.", "-m", "lo-openai:m", "-t", "0", "--json"),
        env=clean_env(tmp_path, **LoopbackServer.env()),
    )
    deadline = time.monotonic() + 60
    output = ""
    while time.monotonic() < deadline:  # wait until enough of the key arrived to be hidden
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            rows = conn.execute("SELECT output FROM responses").fetchall()
            conn.close()
        except sqlite3.OperationalError:
            rows = []
        output = rows[0][0] or "" if rows else ""
        if REDACTED in output:
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail(f"never saw the key hidden: {output!r} {proc.communicate()}")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert output.startswith("the key is ")
    blob = db_bytes(tmp_path)
    assert b"the key is" in blob
    assert KEY[:MIN_CUT_KEY].encode() not in blob
