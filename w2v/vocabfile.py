"""Vocabulary files in word2vec C's format (its ``-save-vocab`` and
``-read-vocab``): one ``word count`` a line, most frequent first::

    </s> 0
    the 1061396
    of 593677

The first line is word2vec C's sentence-end entry: C takes the first word of
the file as the end of a sentence, so a file it reads must start with it.
w2v ends sentences at line ends and has no such token: it writes ``</s> 0``
(it does not count lines) and skips a first line ``</s> N`` when reading.

A file holds the words a run kept (after ``min_count`` and ``max_vocab_size``),
as C's does, and nothing more. What else a w2v model records of its
vocabulary is recomputed from it: the tokens of the corpus become the total
of the file's counts (a lower bound: the words that were below ``min_count``
when it was saved are not in it).

A file read may come from anyone, so reading trusts nothing: it is streamed
a line at a time, each line at most ``MAX_LINE_BYTES``; binary data is refused
before the first line is read (`sources.check_not_binary`), compressed files
(gzip, bzip2, xz) are read as such; counts must be whole numbers of at most
19 digits, adding up to at most ``MAX_TOTAL``; a word listed twice is an
error. With ``max_size``, at most 2 x max(max_size, 1024) words are held.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import numpy as np

from .atomic import atomic_write
from .errors import VocabularyError
from .settings import LIMITS, whole_number
from .sources import READ_ERRORS, display_name, open_decompressed
from .vocab import Vocabulary

#: word2vec C's sentence-end entry, the first line of its vocabulary files.
SENTENCE_END = "</s>"
#: Longest word read, in bytes (as for vector files); a line adds a count.
MAX_WORD_BYTES = 10_000
MAX_LINE_BYTES = MAX_WORD_BYTES + 32
#: Largest total of the counts: a corpus of more tokens cannot be trained on,
#: and the total must stay exact in 64-bit arithmetic.
MAX_TOTAL = 2**62
# A count: ASCII digits only (no sign, no fraction, no NaN), below 2**63.
_COUNT = re.compile(r"[0-9]{1,19}")
# Words written to a file at a time.
_WRITE_BLOCK = 65_536


def save_vocab(vocab: Vocabulary, path: str | os.PathLike) -> None:
    """Write ``vocab`` to ``path`` as word2vec C's ``-save-vocab`` does,
    atomically: an existing file survives any failure intact.

    Raises
    ------
    VocabularyError
        If a word cannot be written as a field of a line: empty, holding
        whitespace or a NUL, or not encodable as UTF-8.
    OutputError
        If ``path`` cannot be written (see `atomic.atomic_write`).
    """
    for word in vocab.words:
        _check_writable_word(word)
    order = np.arange(len(vocab))
    if len(vocab) > 1 and (np.diff(vocab.counts) > 0).any():  # not most frequent first
        order = np.argsort(-vocab.counts, kind="stable")
    with atomic_write(path, "wb") as out:
        out.write(f"{SENTENCE_END} 0\n".encode())
        for start in range(0, len(order), _WRITE_BLOCK):
            rows = order[start:start + _WRITE_BLOCK].tolist()
            out.write("".join(f"{vocab.words[i]} {vocab.counts[i]}\n" for i in rows).encode())


def load_vocab(path: str | os.PathLike, min_count: int = 1,
               max_size: int | None = None) -> Vocabulary:
    """Read a vocabulary file (word2vec C's, or one `save_vocab` wrote) and
    keep, as counting a corpus would, the words with at least ``min_count``,
    at most ``max_size`` of them: the most frequent, ties broken by the word.

    ``corpus_tokens`` of the result is the total of all the file's counts.

    Raises
    ------
    VocabularyError
        If a line is malformed (naming it by number), a count is not a whole
        number >= 0 or the counts add up to more than ``MAX_TOTAL``, a word
        is listed twice, or no word is left.
    CorpusError
        If the file cannot be opened or read, or is not text.
    """
    min_count = whole_number("min_count", min_count)
    if max_size is not None:
        max_size = whole_number("max_size", max_size, high=LIMITS["max_vocab_size"])
    name = display_name(path)
    kept = _MostFrequent(max_size)
    total, largest = 0, None
    with open_decompressed(path) as stream:
        for number, word, count in _entries(stream, name):
            total += count
            if total > MAX_TOTAL:
                raise VocabularyError(f"{name}, line {number:,}: the counts add up to more than "
                                      f"{MAX_TOTAL:,}: not the counts of a corpus")
            largest = count if largest is None else max(largest, count)
            if count >= min_count:
                kept.add(word, count, f"{name}, line {number:,}")
    if largest is None:
        raise VocabularyError(f"{name} lists no words: not a vocabulary file")
    words, counts = kept.most_frequent()
    if not words:
        raise VocabularyError(f"no word of {name} has a count of at least min_count={min_count} "
                              f"(the largest is {largest:,}); lower --min-count")
    return Vocabulary(words, counts, corpus_tokens=total)


def restrict(vocab: Vocabulary, min_count: int = 1, max_size: int | None = None) -> Vocabulary:
    """The words of ``vocab`` that `load_vocab` would keep from its file."""
    kept = _MostFrequent(max_size)
    for word, count in zip(vocab.words, vocab.counts.tolist()):
        if count >= min_count:
            kept.add(word, count, "the vocabulary")
    words, counts = kept.most_frequent()
    if not words:
        raise VocabularyError(f"no word of the vocabulary has a count of at least "
                              f"min_count={min_count}; lower min_count")
    return Vocabulary(words, counts, corpus_tokens=vocab.corpus_tokens)


class _MostFrequent:
    """Words and counts, of which the ``max_size`` most frequent are wanted:
    when twice that many (at least 2,048) are held, the others are dropped,
    which cannot drop one of the wanted (as many others beat it)."""

    def __init__(self, max_size: int | None):
        self.max_size = max_size
        self.limit = None if max_size is None else 2 * max(max_size, 1024)
        self.counts: dict[str, int] = {}

    def add(self, word: str, count: int, where: str) -> None:
        if word in self.counts:
            raise VocabularyError(f"{where}: {_shown(word)} is listed a second time")
        self.counts[word] = count
        if self.limit is not None and len(self.counts) > self.limit:
            self.counts = dict(self._ranked()[:self.max_size])

    def most_frequent(self) -> tuple[list[str], np.ndarray]:
        ranked = self._ranked()
        if self.max_size is not None:
            ranked = ranked[:self.max_size]
        return [w for w, _ in ranked], np.array([c for _, c in ranked], dtype=np.int64)

    def _ranked(self) -> list[tuple[str, int]]:
        # Ties broken by the word, as Vocabulary.build does: reproducible.
        return sorted(self.counts.items(), key=lambda wc: (-wc[1], wc[0]))


def _entries(stream, name: str) -> Iterator[tuple[int, str, int]]:
    """(line number, word, count) of each entry; blank lines are skipped, and
    a first line with C's sentence-end entry."""
    number = 0
    while line := read_line(stream, name, number + 1):
        number += 1
        if b"\0" in line:
            raise VocabularyError(f"{name}, line {number:,} holds a NUL byte: not a vocabulary file")
        # Invalid UTF-8 is replaced, as the corpus is read: the words still match its tokens.
        fields = line.decode("utf-8", "replace").split()
        if not fields:
            continue
        if len(fields) != 2:
            raise VocabularyError(f"{name}, line {number:,}: expected a word and its count, "
                                  f"found {_shown(' '.join(fields))}")
        word, count = fields
        if not _COUNT.fullmatch(count) or int(count) >= 2**63:
            raise VocabularyError(f"{name}, line {number:,}: the count of {_shown(word)} must be "
                                  f"a whole number >= 0 (below 2**63), found {_shown(count)}")
        if number == 1 and word == SENTENCE_END:
            continue
        yield number, word, int(count)


def read_line(stream, name: str, number: int) -> bytes:
    """The next line, refusing one longer than ``MAX_LINE_BYTES`` before it is read whole."""
    try:
        line = stream.readline(MAX_LINE_BYTES + 1)
    except READ_ERRORS as error:  # damaged compressed data, an I/O error
        raise VocabularyError(f"cannot read {name}, line {number:,}: "
                              f"{str(error) or type(error).__name__}") from None
    if len(line) > MAX_LINE_BYTES:
        raise VocabularyError(f"{name}, line {number:,} is longer than {MAX_LINE_BYTES:,} bytes: "
                              "not a vocabulary file")
    return line


def _check_writable_word(word: str) -> None:
    if word.split() != [word] or "\0" in word:
        raise VocabularyError(f"the word {_shown(word)} cannot be saved in a vocabulary file: "
                              "one 'word count' a line holds no empty word, whitespace or NUL")
    try:
        word.encode()
    except UnicodeEncodeError:
        raise VocabularyError(f"the word {_shown(word)} cannot be saved in a vocabulary file: "
                              "it is not valid Unicode text") from None


def _shown(text: str) -> str:
    """``text`` for a message: quoted, and cut if long."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


__all__ = ["MAX_LINE_BYTES", "MAX_TOTAL", "SENTENCE_END", "load_vocab", "restrict", "save_vocab"]
