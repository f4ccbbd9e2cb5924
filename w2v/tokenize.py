"""Split text into word tokens.

A token is a maximal run of Unicode word characters: letters of any script,
digits and the underscore (what ``\\w`` matches), plus combining marks.
Everything else (spaces, punctuation, symbols) separates tokens.
"""

import re
import unicodedata
from typing import Iterator

__all__ = ["SEPARATOR_RE", "TOKEN_RUN_RE", "tokenize", "tokenize_lines"]


def _bmp_combining_marks_class() -> str:
    """Regex character-class body with every combining mark of the BMP.

    ``\\w`` does not match combining marks, so without them words in
    Devanagari, Thai, Arabic with vowel signs, or Latin written with
    decomposed accents (``e`` + U+0301) would fall apart, and so would
    ``"İ".lower()``, which is ``"i"`` + U+0307. Marks outside the BMP
    (historic scripts) are left out: in CPython's ``re`` they turn the class
    into a linear list of ranges and make tokenizing about 2.5 times slower.
    """
    ranges = []
    start = None
    for code in range(0x10000 + 1):  # one past the end closes the last range
        is_mark = code <= 0xFFFF and unicodedata.category(chr(code)).startswith("M")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append(f"\\u{start:04x}-\\u{code - 1:04x}")
            start = None
    return "".join(ranges)


_TOKEN_CHARS = r"\w" + _bmp_combining_marks_class()
_TOKEN_RE = re.compile(f"[{_TOKEN_CHARS}]+")
#: Matches one character that separates tokens: any character `tokenize` drops.
#: Text cut just after such a character tokenizes as it would whole.
SEPARATOR_RE = re.compile(f"[^{_TOKEN_CHARS}]")
#: Matches a run, possibly empty, of the characters tokens are made of.
TOKEN_RUN_RE = re.compile(f"[{_TOKEN_CHARS}]*")
_NEITHER_TOKEN_NOR_SPACE_RE = re.compile(rf"[^{_TOKEN_CHARS}\s]")
# The ASCII characters that are token characters or whitespace.
_ASCII_TOKEN_OR_SPACE = bytes(
    code for code in range(128) if chr(code).isspace() or _TOKEN_RE.match(chr(code))
)


def _only_whitespace_separates(text: str) -> bool:
    """Whether every character of ``text`` is a token character or whitespace.

    Then ``text.split()`` gives the same tokens as the regex, about three
    times faster; text8-style corpora are like that. (``re``'s ``\\s`` and
    ``str.split`` use the same definition of whitespace.)
    """
    if text.isascii():  # O(1) in CPython; deleting allowed bytes is a fast scan
        return not text.encode("ascii").translate(None, _ASCII_TOKEN_OR_SPACE)
    return _NEITHER_TOKEN_NOR_SPACE_RE.search(text) is None


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split ``text`` into word tokens.

    Parameters
    ----------
    text : str
        Any amount of text; large chunks (megabytes) are the efficient case.
    lowercase : bool, default True
        Lower-case with ``str.lower`` before splitting.

    Returns
    -------
    list of str
        The tokens in order of appearance.

    Examples
    --------
    >>> tokenize("Straße, 2 Ünïcödé-words!")
    ['straße', '2', 'ünïcödé', 'words']
    """
    # Lower-casing the whole text once and splitting it in one C call keeps
    # per-character work out of Python.
    if lowercase:
        text = text.lower()
    if _only_whitespace_separates(text):
        return text.split()
    return _TOKEN_RE.findall(text)


def tokenize_lines(text: str, lowercase: bool = True) -> Iterator[list[str]]:
    """Tokenize each ``\\n``-separated line of ``text``, as `tokenize` would.

    Faster than calling `tokenize` per line on a block of many short lines:
    lower-casing and choosing how to split happen once for the block.

    Parameters
    ----------
    text : str
        Lines separated by ``\\n``.
    lowercase : bool, default True
        Lower-case with ``str.lower`` before splitting.

    Returns
    -------
    iterator of list of str
        One token list per line, empty for lines without tokens;
        ``text.count("\\n") + 1`` lists in all.
    """
    if lowercase:
        text = text.lower()
    lines = text.split("\n")
    # Lazily, in C: a consumer that drops each list before the next is made
    # spares the cyclic garbage collector from tracing thousands of live
    # lists per block, which made reading a corpus 25% slower.
    if _only_whitespace_separates(text):
        return map(str.split, lines)
    return map(_TOKEN_RE.findall, lines)
