"""The chunks of w2v.spark.encoded give the counts and the batches that
reading the text again would: no Spark needed, they are plain functions."""

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from w2v.batches import make_batches
from w2v.spark.encoded import batches_of_chunks, encode_partition, word_counts

WORDS = [f"w{i}" for i in range(12)]
sentences = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=9), max_size=40)


def chunks_of(sentences, chunk_tokens):
    rows = iter(" ".join(sentence) for sentence in sentences)
    return list(encode_partition("text", True, 10_000, None, rows, chunk_tokens=chunk_tokens))


@settings(max_examples=200, deadline=None)
@given(sentences, st.integers(1, 60))
def test_counts_of_chunks_are_the_words_read(sentences, chunk_tokens):
    counts = Counter()
    for chunk in chunks_of(sentences, chunk_tokens):
        assert len(chunk.ids) <= chunk_tokens + 8  # a chunk ends after the sentence that fills it
        counts.update(dict(word_counts(chunk)))
    assert counts == Counter(word for sentence in sentences for word in sentence)


@settings(max_examples=200, deadline=None)
@given(sentences, st.sets(st.sampled_from(WORDS)), st.integers(1, 30))
def test_batches_of_one_chunk_are_make_batches(sentences, known, batch_words):
    index = {word: row for row, word in enumerate(sorted(known))}
    got = list(batches_of_chunks(index, batch_words, chunks_of(sentences, 1 << 20)))
    want = list(make_batches(sentences, index, batch_words, 10_000))
    assert len(got) == len(want)
    for (ids, ends), (want_ids, want_ends) in zip(got, want):
        assert ids.dtype == np.int32 and ends.dtype == np.int64
        assert ids.tolist() == want_ids.tolist() and ends.tolist() == want_ends.tolist()


@settings(max_examples=100, deadline=None)
@given(sentences, st.sets(st.sampled_from(WORDS)), st.integers(1, 30), st.integers(1, 25))
def test_batches_of_many_chunks_keep_every_sentence(sentences, known, batch_words, chunk_tokens):
    index = {word: row for row, word in enumerate(sorted(known))}
    got = []
    for ids, ends in batches_of_chunks(index, batch_words, chunks_of(sentences, chunk_tokens)):
        got += [ids[start:end].tolist() for start, end in zip(np.r_[0, ends[:-1]], ends)]
    rows = [[index[word] for word in sentence if word in index] for sentence in sentences]
    assert got == [row for row in rows if row]
