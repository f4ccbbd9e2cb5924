"""Sentences to batches of word ids for the kernel, and a disk cache of them.

Tokenizing and looking words up is Python work that holds the GIL; done once
per epoch it competes with the training threads for it. The first epoch
writes its batches to a temporary file and later epochs read them back: a
plain sequential read, bounded memory (one batch at a time), however large
the corpus.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from itertools import repeat

import numpy as np

Batch = tuple[np.ndarray, np.ndarray]  # ids (int32), sentence end offsets (int64)


def make_batches(sentences: Iterable[list[str]], index: dict[str, int], batch_words: int,
                 max_sentence_length: int) -> Iterator[Batch]:
    """Yield batches of word ids: each sentence's words that are in ``index``,
    as row numbers, cut into pieces of at most ``max_sentence_length``. A batch
    ends with the first sentence that brings it to ``batch_words`` words."""
    # Words are looked up a block of sentences at a time, straight into an
    # array, and batches are cut with array operations: built word by word in
    # Python lists, batches took twice as long as tokenizing the corpus.
    ids = np.empty(0, dtype=np.int32)  # known words not yet batched...
    ends = np.empty(0, dtype=np.int64)  # ...and the end of each of their sentences
    for block in _blocks(sentences, batch_words):
        block_ids, block_ends = _known_ids(*block, index)
        ids = np.concatenate((ids, block_ids))
        ends = np.concatenate((ends, block_ends + (len(ids) - len(block_ids))))
        start = first = 0  # word and sentence where the next batch begins
        while (last := int(np.searchsorted(ends, start + batch_words))) < len(ends):
            yield ids[start:ends[last]].copy(), _cut(ends[first:last + 1] - start, max_sentence_length)
            start, first = int(ends[last]), last + 1
        ids, ends = ids[start:], ends[first:] - start
    if len(ids):
        yield ids, _cut(ends, max_sentence_length)


def _blocks(sentences: Iterable[list[str]], words: int) -> Iterator[tuple[list[str], list[int]]]:
    """Consecutive runs of sentences with at least ``words`` words (the last
    may have fewer), as all their words and each sentence's length."""
    # One flat list rather than a list of sentences: thousands of live lists
    # would make the cyclic garbage collector slow down the whole reader.
    block: list[str] = []
    lengths: list[int] = []
    for sentence in sentences:
        block.extend(sentence)
        lengths.append(len(sentence))
        if len(block) >= words:
            yield block, lengths
            block, lengths = [], []
    if lengths:
        yield block, lengths


def _known_ids(words: list[str], lengths: list[int], index: dict[str, int]) -> Batch:
    """The row numbers of those of ``words`` that are in ``index``, and the end
    offset of each sentence (of ``lengths`` words) that has any."""
    rows = np.fromiter(map(index.get, words, repeat(-1)), dtype=np.int32, count=len(words))
    known = rows >= 0
    known_before = np.concatenate(([0], np.cumsum(known)))  # known words before each position
    ends = known_before[np.cumsum(lengths, dtype=np.int64)]
    return rows[known], ends[np.diff(ends, prepend=0) > 0]  # sentences left empty end nothing


def _cut(ends: np.ndarray, max_length: int) -> np.ndarray:
    """Sentence end offsets with every sentence longer than ``max_length``
    cut into pieces of ``max_length`` and a shorter last piece."""
    lengths = np.diff(ends, prepend=0)
    if lengths.max() <= max_length:
        return ends
    pieces = -(-lengths // max_length)
    # Piece k (from 1) of a sentence starting at s ends at s + k * max_length,
    # the last at the sentence's end.
    k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 1
    return np.minimum(np.repeat(ends - lengths, pieces) + k * max_length, np.repeat(ends, pieces))


class BatchCache:
    """Batches written once to an anonymous temporary file, replayed on demand.

    Each record is ``len(ids), len(ends)`` as two int64, then the two arrays.
    If the disk fills up, caching stops and ``complete`` stays False: the
    caller then reads the corpus again instead.
    """

    def __init__(self):
        self._file = tempfile.TemporaryFile(prefix="w2v-batches-")
        self.complete = False
        self._failed = False

    def record(self, batches: Iterable[Batch]) -> Iterator[Batch]:
        """Pass ``batches`` through, writing each to the cache."""
        for ids, ends in batches:
            if not self._failed:
                try:
                    self._file.write(np.array([len(ids), len(ends)], dtype=np.int64).tobytes())
                    self._file.write(ids.tobytes())
                    self._file.write(ends.tobytes())
                except OSError:
                    self._failed = True
            yield ids, ends
        self.complete = not self._failed
        self._file.flush()

    def replay(self) -> Iterator[Batch]:
        self._file.seek(0)
        while header := self._file.read(16):
            n_ids, n_ends = np.frombuffer(header, dtype=np.int64)
            ids = np.empty(n_ids, dtype=np.int32)
            ends = np.empty(n_ends, dtype=np.int64)
            self._file.readinto(memoryview(ids))
            self._file.readinto(memoryview(ends))
            yield ids, ends

    def close(self) -> None:
        self._file.close()
