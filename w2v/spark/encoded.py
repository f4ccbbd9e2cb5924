"""The corpus read once on the executors, as numbers that later passes reuse.

Counting the vocabulary needs the text tokenized, and so does training; on
10M tokens tokenizing took as long as the first epoch. So the counting pass
keeps what it read: each partition's sentences become chunks of word ids
numbered in the chunk's own word list (`Chunk`), which Spark caches. The
counts come from the chunks (`word_counts`), and once the vocabulary is
known the chunks become training batches of the model's row numbers
(`batches_of_chunks`) without the text being read again.

A chunk holds at most `CHUNK_TOKENS` tokens, so no task holds more than one
chunk's worth of text at a time, however large its partition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import count
from typing import NamedTuple

import numpy as np

from .data import SparkReadStats, sentences_of_partition

__all__ = ["CHUNK_TOKENS", "Chunk", "batches_of_chunks", "encode_partition", "read_chunks",
           "word_counts"]

#: Tokens of a chunk at most (a chunk's word list repeats words other chunks have).
CHUNK_TOKENS = 1 << 20


class Chunk(NamedTuple):
    """Sentences as ids into ``words``: sentence k is ``ids[ends[k-1]:ends[k]]``."""

    words: list[str]
    ids: np.ndarray   # int32
    ends: np.ndarray  # int64, increasing


def read_chunks(source, lowercase: bool, max_length: int, read=None):
    """An RDD of the `Chunk` s of ``source`` (a `w2v.spark.data.SparkInput`),
    read as ``Word2Vec`` reads text; ``read`` is an accumulator of
    `SparkReadStats`, or None."""
    return source.rows().mapPartitions(partial(encode_partition, source.kind, lowercase,
                                               max_length, read))


def encode_partition(kind: str, lowercase: bool, max_length: int, read, rows: Iterator,
                     chunk_tokens: int = CHUNK_TOKENS) -> Iterator[Chunk]:
    """Runs on an executor: one partition's rows as chunks; what reading
    found is added to the accumulator ``read``."""
    stats = SparkReadStats()
    ids, ends, numbering = _empty_chunk()
    for sentence in sentences_of_partition(rows, kind, lowercase, max_length, stats):
        ids.extend(map(numbering.__getitem__, sentence))  # new words take the next number
        ends.append(len(ids))
        if len(ids) >= chunk_tokens:
            yield _chunk(ids, ends, numbering)
            ids, ends, numbering = _empty_chunk()
    if ids:
        yield _chunk(ids, ends, numbering)
    if read is not None:
        read.add(stats)


def _empty_chunk():
    return [], [], defaultdict(count().__next__)


def _chunk(ids: list[int], ends: list[int], numbering: dict) -> Chunk:
    return Chunk(list(numbering), np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int64))


def word_counts(chunk: Chunk) -> Iterable[tuple[str, int]]:
    """``(word, count)`` of every word of a chunk."""
    return zip(chunk.words, np.bincount(chunk.ids, minlength=len(chunk.words)).tolist())


def batches_of_chunks(index: dict[str, int], batch_words: int,
                      chunks: Iterable[Chunk]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches ``(ids, ends)`` of the vocabulary's row numbers, as
    `w2v.batches.make_batches` cuts them: words not in ``index`` are left
    out, sentences left empty dropped, and a batch ends with the first
    sentence that brings it to ``batch_words`` words."""
    for chunk in chunks:
        rows = np.array([index.get(word, -1) for word in chunk.words], dtype=np.int32)
        ids, ends = _in_vocabulary(rows[chunk.ids], chunk.ends)
        start = first = 0
        while first < len(ends):
            last = min(int(np.searchsorted(ends, start + batch_words)), len(ends) - 1)
            yield ids[start:ends[last]], ends[first:last + 1] - start
            start, first = int(ends[last]), last + 1


def _in_vocabulary(ids: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ids that are rows (not -1), and the sentence ends among them,
    sentences left without a word dropped."""
    known = ids >= 0
    kept_before = np.concatenate(([0], np.cumsum(known)))
    kept_ends = kept_before[ends]
    nonempty = np.diff(kept_ends, prepend=0) > 0
    return ids[known], kept_ends[nonempty]
