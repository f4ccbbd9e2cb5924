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

import numpy as np

Batch = tuple[np.ndarray, np.ndarray]  # ids (int32), sentence end offsets (int64)


def make_batches(sentences: Iterable[list[str]], index: dict[str, int], batch_words: int,
                 max_sentence_length: int) -> Iterator[Batch]:
    """Yield batches of about ``batch_words`` words: each sentence's words that
    are in ``index``, as row numbers, cut into pieces of at most
    ``max_sentence_length``."""
    lookup = index.get
    ids: list[int] = []
    ends: list[int] = []
    for sentence in sentences:
        sentence_ids = [i for i in map(lookup, sentence) if i is not None]
        for start in range(0, len(sentence_ids), max_sentence_length):
            ids.extend(sentence_ids[start:start + max_sentence_length])
            ends.append(len(ids))
        if len(ids) >= batch_words:
            yield np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int64)
            ids, ends = [], []
    if ids:
        yield np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int64)


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
