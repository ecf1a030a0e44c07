"""Token counts: OpenAI's published chat-counting method and figures, bundled files, offline."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from playground.core import tokens
from playground.core.template import Message


@dataclass(frozen=True)
class Named(Message):
    """A chat message with the optional ``name`` field the OpenAI API accepts."""

    name: str | None = None


# OpenAI cookbook, "How to count tokens with tiktoken", section 6: this conversation and the
# prompt_tokens the API reported for it.
COOKBOOK_MESSAGES = [
    Named(
        "system",
        "You are a helpful, pattern-following assistant that translates corporate jargon "
        "into plain English.",
    ),
    Named("system", "New synergies will help drive top-line growth.", "example_user"),
    Named("system", "Things working well together will increase revenue.", "example_assistant"),
    Named(
        "system",
        "Let's circle back when we have more bandwidth to touch base on opportunities for "
        "increased leverage.",
        "example_user",
    ),
    Named(
        "system",
        "Let's talk later when we're less busy about how to do better.",
        "example_assistant",
    ),
    Named(
        "user",
        "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    ),
]
COOKBOOK_PROMPT_TOKENS = {
    "gpt-3.5-turbo": 129,
    "gpt-4-0613": 129,
    "gpt-4": 129,
    "gpt-4o": 124,
    "gpt-4o-mini": 124,
}


@pytest.mark.parametrize(("model", "expected"), sorted(COOKBOOK_PROMPT_TOKENS.items()))
def test_cookbook_conversation_matches_the_prompt_tokens_openai_reported(
    model: str, expected: int
) -> None:
    count = tokens.count_messages(f"openai:{model}", COOKBOOK_MESSAGES)
    assert count == tokens.TokenCount(expected, exact=True)


@pytest.mark.parametrize(
    ("text", "cl100k", "o200k"),
    [
        ("antidisestablishmentarianism", 6, 6),  # the cookbook's comparisons
        ("2 + 2 = 4", 7, 7),
        ("お誕生日おめでとう", 9, 8),
    ],
)
def test_text_counts_match_the_cookbook_examples(text: str, cl100k: int, o200k: int) -> None:
    assert tokens.count_text("openai:gpt-4", text) == tokens.TokenCount(cl100k, True)
    assert tokens.count_text("openai:gpt-4o", text) == tokens.TokenCount(o200k, True)


def test_system_plus_user_adds_three_per_message_and_three_for_the_reply() -> None:
    system, user = "You are terse.", "Name three otters."
    enc = tokens.get_encoding("o200k_base")
    body = sum(len(enc.encode(t)) for t in ("system", system, "user", user))
    got = tokens.count_messages(
        "openai:gpt-4.1-mini", [Message("system", system), Message("user", user)]
    )
    assert got.exact and got.tokens == body + 3 * 2 + 3


def test_multi_turn_counts_every_turn() -> None:
    one = [Message("user", "Hi there")]
    three = [*one, Message("assistant", "Hello! How can I help?"), Message("user", "Say hi back")]
    enc = tokens.get_encoding("cl100k_base")
    extra = sum(
        3 + len(enc.encode(m.role)) + len(enc.encode(m.content)) for m in three[1:]
    )  # per turn
    assert (
        tokens.count_messages("openai:gpt-4", three).tokens
        == tokens.count_messages("openai:gpt-4", one).tokens + extra
    )


def test_empty_messages_still_cost_their_framing() -> None:
    # "user" is one token in both encodings: 3 + 1 for the message, 3 for the reply
    assert tokens.count_messages("openai:gpt-4o", [Message("user", "")]).tokens == 7
    assert tokens.count_messages("openai:gpt-4", [Message("user", "")]).tokens == 7
    assert tokens.count_messages("openai:gpt-4o", []).tokens == 3
    assert tokens.count_text("openai:gpt-4o", "") == tokens.TokenCount(0, True)


def test_unicode_emoji_and_special_token_text_are_counted_as_ordinary_text() -> None:
    text = "naïve café 🦦🦦 — «ok» <|endoftext|> 日本語のテキスト"
    for model, name in (("openai:gpt-4o", "o200k_base"), ("openai:gpt-4", "cl100k_base")):
        enc = tokens.get_encoding(name)
        assert tokens.count_text(model, text).tokens == len(enc.encode(text, disallowed_special=()))


@pytest.mark.parametrize(
    ("model_id", "encoding", "exact"),
    [
        ("openai:gpt-4o", "o200k_base", True),
        ("openai:gpt-4o-mini", "o200k_base", True),
        ("openai:gpt-4.1-mini", "o200k_base", True),
        ("openai:gpt-5-mini", "o200k_base", True),
        ("openai:o3-mini", "o200k_base", True),
        ("openai:gpt-4", "cl100k_base", True),
        ("openai:gpt-3.5-turbo", "cl100k_base", True),
        ("openai:some-future-model", "o200k_base", False),
        ("openrouter:openai/gpt-4", "cl100k_base", False),
        ("anthropic:claude-sonnet-4-5", "o200k_base", False),
        ("gemini:gemini-2.5-flash", "o200k_base", False),
        ("ollama:llama3.2", "o200k_base", False),
        ("echo", "o200k_base", False),
    ],
)
def test_each_model_family_gets_its_encoding_and_only_openai_is_exact(
    model_id: str, encoding: str, exact: bool
) -> None:
    assert tokens.encoding_for(model_id) == (encoding, exact)
    assert tokens.count_text(model_id, "hello").exact is exact


def test_non_openai_models_are_marked_estimates() -> None:
    count = tokens.count_messages("anthropic:claude-haiku-4-5", [Message("user", "Hello")])
    assert count.exact is False and count.tokens > 0


def test_bundled_files_have_the_published_sha256() -> None:
    published = {
        "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    }
    for name, digest in published.items():
        path = tokens.ENCODINGS_DIR / f"{name}.tiktoken"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert tokens.SPECS[name].sha256 == digest
    notice = (tokens.ENCODINGS_DIR / "NOTICE").read_text()
    assert "openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken" in notice


def test_a_vocabulary_that_does_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    spec = tokens.SPECS["cl100k_base"]
    bad = tokens.EncodingSpec("cl100k_base", "0" * 64, spec.pat_str, spec.special_tokens)
    with pytest.raises(tokens.EncodingFileError, match="SHA-256"):
        tokens._build(bad)


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """An environment where any network use fails: proxies to a dead port, empty caches."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    dead = "http://127.0.0.1:9"
    env.update(
        TIKTOKEN_CACHE_DIR=str(cache),
        DATA_GYM_CACHE_DIR=str(cache),
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        ALL_PROXY=dead,
        http_proxy=dead,
        https_proxy=dead,
        NO_PROXY="",
        PYTHONPATH=str(Path(__file__).parent),
    )
    return env


# Run first in the child: every socket connect or DNS lookup raises.
SOCKET_GUARD = """
import socket
def _blocked(*a, **k):
    raise OSError("network blocked by the test")
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
"""


def test_counting_and_pricing_work_with_the_network_blocked(tmp_path: Path) -> None:
    code = SOCKET_GUARD + textwrap.dedent(
        """
        import json
        from playground.config import Settings
        from playground.core import tokens
        from playground.core.estimate import estimate_plan
        from playground.core.plan import RunPlan
        from playground.core.template import Message, PromptTemplate
        msgs = [Message("system", "You are terse."), Message("user", "Name three otters.")]
        plan = RunPlan(PromptTemplate(msgs), models=["openai:gpt-4o", "openai:gpt-4",
                       "anthropic:claude-haiku-4-5"], temperatures=[0.0])
        est = estimate_plan(Settings(), plan)
        print(json.dumps({
            "gpt-4o": tokens.count_messages("openai:gpt-4o", msgs).tokens,
            "gpt-4": tokens.count_messages("openai:gpt-4", msgs).tokens,
            "cost": est.max_cost_usd,
        }))
        """
    )
    env = _offline_env(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    msgs = [Message("system", "You are terse."), Message("user", "Name three otters.")]
    assert got["gpt-4o"] == tokens.count_messages("openai:gpt-4o", msgs).tokens
    assert got["gpt-4"] == tokens.count_messages("openai:gpt-4", msgs).tokens
    assert got["cost"] and got["cost"] > 0
    assert list(Path(env["TIKTOKEN_CACHE_DIR"]).iterdir()) == []  # tiktoken's cache untouched


def test_our_encodings_are_tiktokens_own(tmp_path: Path) -> None:
    """Same pattern, special tokens and output as tiktoken.get_encoding over the same files
    (served to tiktoken as its download cache, network blocked)."""
    env = _offline_env(tmp_path)
    cache = Path(env["TIKTOKEN_CACHE_DIR"])
    url = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
    for name in tokens.SPECS:
        key = hashlib.sha1(url.format(name).encode()).hexdigest()
        (cache / key).write_bytes((tokens.ENCODINGS_DIR / f"{name}.tiktoken").read_bytes())
    sample = "Hello, wörld!\n\n  indented 12345 don't <|endoftext|> 🦦 https://x.y/z?q=1"
    code = SOCKET_GUARD + textwrap.dedent(
        f"""
        import json, tiktoken
        out = {{}}
        for name in ("cl100k_base", "o200k_base"):
            e = tiktoken.get_encoding(name)
            out[name] = [e._pat_str, e._special_tokens, e.encode_ordinary({sample!r})]
        print(json.dumps(out))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    theirs = json.loads(run.stdout)
    for name, spec in tokens.SPECS.items():
        pat, special, ids = theirs[name]
        assert spec.pat_str == pat
        assert spec.special_tokens == special
        assert tokens.get_encoding(name).encode_ordinary(sample) == ids


def test_a_vocabulary_read_in_blocks_is_the_whole_file() -> None:
    from binascii import a2b_base64

    from playground.core.bpe import parse_ranks

    for spec in tokens.SPECS.values():
        data = spec.path.read_bytes()
        fields = data.split()
        whole = dict(zip(map(a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
        assert parse_ranks(data) == whole
        head = data[: data.index(b"\n", 5000) + 1]
        assert parse_ranks(head, block=100) == parse_ranks(head)
    assert parse_ranks(b"") == {}
    assert parse_ranks(b"IQ== 0\nIg== 1") == {b"!": 0, b'"': 1}  # no newline at the end


def test_an_encoding_pickles_by_name_and_counts_the_same() -> None:
    import pickle

    enc = tokens.get_encoding("o200k_base")
    copy = pickle.loads(pickle.dumps(enc))
    assert copy is enc
    assert copy.encode_ordinary("otters hold hands") == enc.encode_ordinary("otters hold hands")
    assert enc.n_vocab == 200019


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_loading_o200k_holds_one_copy_of_the_vocabulary() -> None:
    """The vocabulary lives in tiktoken's Rust core (~48 MB); the Python dict it is built from
    (~25 MB) and the file's split fields (~25 MB) are gone by the end, and never all at once."""
    code = textwrap.dedent(
        """
        import json
        def status():
            rows = dict(l.split(":", 1) for l in open("/proc/self/status"))
            return {k: int(rows[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM")}
        from playground.core import bpe, tokens  # tiktoken imported
        before = status()
        tokens.get_encoding("o200k_base")
        after = status()
        print(json.dumps([before["VmRSS"], after["VmRSS"], after["VmHWM"]]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    before, after, peak = json.loads(out.stdout)
    assert after - before < 60  # MB held once loaded (was 76: the dict kept beside the core)
    assert peak - before < 85  # MB at the load's peak (was 98)
