"""Word and line diffs (playground.core.diff): what a reader of the diff view relies on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from playground.core.diff import Span, line_diff, side, stats, tokenize, word_diff


def test_word_diff_marks_the_changed_word_only() -> None:
    spans = word_diff("The cat sat on the mat.", "The dog sat on the mat.")
    assert spans == [
        Span("equal", "The"),
        Span("delete", " cat"),
        Span("insert", " dog"),
        Span("equal", " sat on the mat."),
    ]


def test_word_diff_separates_punctuation_from_words() -> None:
    spans = word_diff("Hello, world", "Hello! world")
    assert [s for s in spans if s.op != "equal"] == [Span("delete", ","), Span("insert", "!")]


def test_numbers_change_as_a_whole() -> None:
    spans = word_diff("temperature=0.0 costs $1,000.", "temperature=0.7 costs $1,250.")
    assert [s for s in spans if s.op != "equal"] == [
        Span("delete", "0.0"),
        Span("insert", "0.7"),
        Span("delete", "1,000"),
        Span("insert", "1,250"),
    ]


def test_whitespace_alone_is_not_a_change() -> None:
    spans = word_diff("one  two\tthree", "one two three")
    assert all(s.op == "equal" for s in spans)
    assert stats(spans).identical


def test_word_diff_keeps_unchanged_lines_whole_and_counts_words() -> None:
    left = "intro line\nalpha beta gamma\noutro line\n"
    right = "intro line\nalpha delta gamma epsilon\noutro line\n"
    spans = word_diff(left, right)
    assert spans[0] == Span("equal", "intro line\nalpha")
    assert Span("delete", " beta") in spans
    assert Span("insert", " delta") in spans
    assert Span("insert", " epsilon") in spans
    counts = stats(spans)
    assert (counts.inserted, counts.deleted) == (2, 1)


def test_added_and_removed_text_at_the_ends() -> None:
    assert word_diff("", "new text") == [Span("insert", "new text")]
    assert word_diff("old text", "") == [Span("delete", "old text")]
    assert word_diff("", "") == []


def test_line_diff_one_span_per_line() -> None:
    spans = line_diff("a\nb\nc", "a\nB\nc\nd")
    assert spans == [
        Span("equal", "a"),
        Span("delete", "b"),
        Span("insert", "B"),
        Span("equal", "c"),
        Span("insert", "d"),
    ]
    assert stats(spans, lines=True).inserted == 2


def test_tokenize_is_lossless() -> None:
    text = "  Hi, there!\n\n- item 1\t(x)  "
    assert "".join(tokenize(text)) == text


def test_long_similar_answers_diff_quickly() -> None:
    import time

    left = "".join(f"line {i}: " + "word " * 40 + "\n" for i in range(300))  # 12k words
    right = left.replace("word \n", "change \n", 50)
    t0 = time.perf_counter()
    spans = word_diff(left, right)
    assert time.perf_counter() - t0 < 1.0
    assert stats(spans).inserted == 50


_texts = st.text(alphabet=st.sampled_from(list("ab c,.\n")), max_size=60)


@given(_texts, _texts)
def test_right_side_rebuilds_exactly_and_left_up_to_spacing(left: str, right: str) -> None:
    spans = word_diff(left, right)
    assert side(spans, "right") == right
    assert side(spans, "left").split() == left.split() or "".join(
        side(spans, "left").split()
    ) == "".join(left.split())
