"""The vocabulary counted on the cluster, equal to the single-machine one.

Each partition counts its sentences' words (from the chunks of
`w2v.spark.encoded`, which training reuses), Spark sums the counts by word, and each
reducing partition keeps the words seen at least ``min_count`` times (and,
with ``max_vocab_size = N``, only its N best: the N best overall are among
them). The driver receives only the kept words and orders them as
`Vocabulary.build` does: by count, most frequent first, ties by the word
itself (Python's order of strings, code point by code point).

The counts are exact, so the result is the single-machine vocabulary
whenever that one is exact too: always without ``max_vocab_size``, and with
it whenever the corpus holds at most 2 x max(N, 1024) distinct words (beyond
that the single machine counts in bounded memory and its top N may differ
slightly; see ``Vocabulary.build``). The driver holds the kept words only;
each executor holds the distinct words of one partition while counting.
"""

from __future__ import annotations

import heapq
from functools import partial

from ..errors import VocabularyError
from ..settings import LIMITS, whole_number
from ..vocab import Vocabulary, _check_tokens_are_text
from .data import SparkInput, SparkReadStats, stats_accumulator
from .encoded import read_chunks, word_counts
from .session import spark_errors

__all__ = ["vocabulary_of", "vocabulary_of_chunks"]


def vocabulary_of(source: SparkInput, min_count: int = 5, max_vocab_size: int | None = None, *,
                lowercase: bool = True, max_sentence_length: int = 10_000,
                stats: SparkReadStats | None = None) -> Vocabulary:
    """Count ``source``'s words on the cluster and keep those seen ``min_count`` times.

    Parameters
    ----------
    source : SparkInput
        From `w2v.spark.data.open_input`.
    min_count : int
        Words seen fewer times are left out.
    max_vocab_size : int, optional
        Keep only the N most frequent words (exactly: ties broken by the word).
    lowercase, max_sentence_length :
        How text is read, as for ``Word2Vec``.
    stats : SparkReadStats, optional
        Filled with what reading found (rows, tokens, long lines cut...).

    Returns
    -------
    Vocabulary
        Words most frequent first, with ``corpus_tokens`` the tokens read.

    Raises
    ------
    VocabularyError
        If the input holds no token, or no word is seen ``min_count`` times.
    """
    read = stats_accumulator(source.frame.sparkSession.sparkContext)
    chunks = read_chunks(source, lowercase, max_sentence_length, read)
    vocab = vocabulary_of_chunks(chunks, min_count, max_vocab_size, name=source.name)
    if stats is not None:
        stats.add(read.value)
    return vocab


def vocabulary_of_chunks(chunks, min_count: int = 5, max_vocab_size: int | None = None, *,
                         name: str = "the corpus") -> Vocabulary:
    """`vocabulary_of` the chunks of `w2v.spark.encoded.read_chunks` (an RDD)."""
    min_count = whole_number("min_count", min_count)
    if max_vocab_size is not None:
        max_vocab_size = whole_number("max_vocab_size", max_vocab_size,
                                      high=LIMITS["max_vocab_size"])
    summaries = chunks.flatMap(word_counts).reduceByKey(_add).mapPartitions(
        partial(_kept_in_partition, min_count, max_vocab_size))
    with spark_errors(f"counting the words of {name}"):
        parts = summaries.collect()
    tokens = sum(part[0] for part in parts)
    if tokens == 0:
        raise VocabularyError("the corpus holds no tokens: nothing to train on")
    kept = [pair for part in parts for pair in part[2]]
    _check_tokens_are_text(dict(kept))
    kept.sort(key=_frequency_order)
    if max_vocab_size is not None:
        kept = kept[:max_vocab_size]
    if not kept:
        most = max(part[1] for part in parts)
        raise VocabularyError(
            f"no word occurs at least min_count={min_count} times "
            f"(the most frequent occurs {most} times); lower --min-count")
    return Vocabulary([word for word, _ in kept], [count for _, count in kept],
                      corpus_tokens=tokens)


def _frequency_order(pair):
    word, count = pair
    return -count, word


def _add(a: int, b: int) -> int:
    return a + b


def _kept_in_partition(min_count, max_size, pairs):
    """Runs on an executor, over words whose counts are complete: the tokens
    they account for, the largest count, and the words kept (the best
    ``max_size`` of them if capped)."""
    tokens, most, kept = 0, 0, []
    for word, count in pairs:
        tokens += count
        most = max(most, count)
        if count >= min_count:
            kept.append((word, count))
    if max_size is not None and len(kept) > max_size:
        kept = heapq.nsmallest(max_size, kept, key=_frequency_order)
    return [(tokens, most, kept)]
