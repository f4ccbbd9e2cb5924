"""Tests of w2v.tokenize."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from w2v.tokenize import tokenize, tokenize_lines


def reference_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """The documented rule, one character at a time, for comparison."""

    def is_token_char(char: str) -> bool:
        is_bmp_mark = ord(char) <= 0xFFFF and unicodedata.category(char).startswith("M")
        return char.isalnum() or char == "_" or is_bmp_mark

    if lowercase:
        text = text.lower()
    tokens, current = [], []
    for char in text:
        if is_token_char(char):
            current.append(char)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Straße", ["straße"]),
        ("Ünïcödé text", ["ünïcödé", "text"]),
        ("Καλημέρα κόσμε", ["καλημέρα", "κόσμε"]),
        ("Привет, мир", ["привет", "мир"]),
        ("中文 字", ["中文", "字"]),
        ("naïve café", ["naïve", "café"]),
    ],
)
def test_letters_of_any_script_make_tokens(text, expected):
    assert tokenize(text) == expected


def test_combining_marks_stay_inside_tokens():
    assert tokenize("e\u0301te") == ["e\u0301te"]  # decomposed é
    assert tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # Devanagari vowel signs
    assert tokenize("İstanbul") == ["i\u0307stanbul"]  # lower() adds U+0307


def test_punctuation_and_symbols_separate_tokens():
    text = "hello,world! foo-bar (baz) don't a.b/c@d+e=f «quoted» €5"
    assert tokenize(text) == [
        "hello", "world", "foo", "bar", "baz", "don", "t",
        "a", "b", "c", "d", "e", "f", "quoted", "5",
    ]  # fmt: skip


def test_digits_are_token_characters():
    assert tokenize("In 1984, 2.5 abc123 ٣٤") == ["in", "1984", "2", "5", "abc123", "٣٤"]


def test_underscore_is_a_token_character():
    assert tokenize("snake_case __init__") == ["snake_case", "__init__"]


def test_all_kinds_of_whitespace_separate_tokens():
    assert tokenize("a b\tc\nd\r\ne\u00a0f\u2003g\u3000h\u2028i") == list("abcdefghi")


def test_lowercase_is_the_default_and_can_be_turned_off():
    assert tokenize("The CAT Straße ÉTÉ") == ["the", "cat", "straße", "été"]
    assert tokenize("The CAT Straße ÉTÉ", lowercase=False) == ["The", "CAT", "Straße", "ÉTÉ"]


@pytest.mark.parametrize("text", ["", " ", " \t\n ", "...!?", "—– ·"])
def test_text_without_word_characters_has_no_tokens(text):
    assert tokenize(text) == []


def test_text8_style_text_splits_on_spaces():
    text = "anarchism originated as a term of abuse first used " * 1000
    assert tokenize(text) == text.split()


# Mostly characters that exercise both ways of splitting: the fast path when
# only whitespace separates, the regex otherwise.
_characters = st.one_of(
    st.sampled_from(list("aZé ß\n\t\u00a0,.-_5\u0301\u093f中Σ")),
    st.characters(),
)


@given(st.text(_characters), st.booleans())
def test_tokenize_follows_the_documented_rule(text, lowercase):
    assert tokenize(text, lowercase) == reference_tokenize(text, lowercase)


@given(st.text(_characters), st.booleans())
def test_tokenize_lines_is_tokenize_per_line(text, lowercase):
    expected = [tokenize(line, lowercase) for line in text.split("\n")]
    assert list(tokenize_lines(text, lowercase)) == expected
