import numpy as np
import pytest

from w2v import CorpusError, Vocabulary, VocabularyError


def test_counts_frequency_order_and_min_count():
    vocab = Vocabulary.build([["b", "a", "b"], ["c", "b", "a"], ["d"]], min_count=2)
    assert vocab.words == ["b", "a"]
    assert vocab.counts.tolist() == [3, 2]
    assert vocab.corpus_tokens == 7
    assert vocab.total_count == 5
    assert vocab.index == {"b": 0, "a": 1}
    assert "c" not in vocab


def test_ties_are_broken_alphabetically_for_reproducible_builds():
    assert Vocabulary.build([["z", "y", "x"]], min_count=1).words == ["x", "y", "z"]


def test_empty_corpus_and_empty_vocabulary_are_clear_errors():
    with pytest.raises(VocabularyError, match="no tokens"):
        Vocabulary.build([[], []], min_count=1)
    with pytest.raises(VocabularyError, match="min_count=3.*occurs 2 times"):
        Vocabulary.build([["a", "a", "b"]], min_count=3)


def test_max_size_bounds_memory_while_counting_and_keeps_frequent_words():
    rng = np.random.default_rng(0)
    frequent = [f"f{i}" for i in range(5)]
    sentences = [[frequent[i % 5]] * 3 + [f"rare{rng.integers(10**9)}"] for i in range(3000)]

    def watch(sentences):
        for s in sentences:
            yield s

    vocab = Vocabulary.build(watch(sentences), min_count=1, max_size=50)
    assert len(vocab) <= 50
    assert set(frequent) <= set(vocab.words[:5])
    assert vocab.pruned_words > 2000
    assert vocab.corpus_tokens == 4 * 3000


def test_keep_probabilities_follow_word2vecs_rule():
    vocab = Vocabulary(["the", "cat", "rare"], np.array([10_000, 100, 1]))
    keep = vocab.keep_probabilities(1e-3)
    t = 1e-3 * vocab.total_count
    for i, count in enumerate([10_000, 100]):
        assert keep[i] == pytest.approx((np.sqrt(count / t) + 1) * t / count, rel=1e-6)
    assert keep[0] < keep[1] < 1.0 and keep[2] == 1.0  # capped at 1
    assert (vocab.keep_probabilities(0) == 1).all()


def test_noise_distribution_uses_the_exponent():
    vocab = Vocabulary(["a", "b"], np.array([16, 1]))
    p = vocab.noise_distribution(0.75)
    assert p.sum() == pytest.approx(1)
    assert p[0] / p[1] == pytest.approx(8)
    assert vocab.noise_distribution(0.0).tolist() == [0.5, 0.5]


def test_words_come_back_intact_after_being_packed_together():
    # Words of different lengths and scripts, some prefixes of others, one with
    # a character outside the BMP: the packed copy must cut them where they end.
    words = ["a", "ab", "abc", "é", "日本語", "x\U0001F600y", "b"]
    sentences = [words * (i + 2) for i in range(3)]
    vocab = Vocabulary.build(sentences, min_count=1)
    assert sorted(vocab.words) == sorted(words)
    assert all(vocab.counts[vocab.index[w]] == 2 + 3 + 4 for w in words)


def test_tokens_that_are_not_strings_are_a_clear_error():
    with pytest.raises(CorpusError, match=r"tokens must be strings, found 7 \(int\).*str\(\)"):
        Vocabulary.build([["a", 7], ["a", 7]], min_count=1)
