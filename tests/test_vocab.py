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
    assert vocab.pruned_words >= 3005 - 2048  # the table holds at most 2 x max(50, 1024) words
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


# --- the cap: about the N most frequent words in at most 2N distinct words ----

from collections import Counter  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402

from w2v import SettingsError, W2VError  # noqa: E402
from w2v import vocab as vocab_module  # noqa: E402


def zipf_corpus(tokens=400_000, types=50_000, late_words=20, late_count=600, seed=0):
    """Sentences of 20 words drawn i.i.d. from a Zipf(1) law over ``types`` words,
    like natural text, plus ``late_words`` words absent from the first half
    and frequent in the second (``late_count`` times each), as a topic that
    comes late in a corpus. Returns the sentences and the true counts."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, types + 1)
    ids = rng.choice(types, size=tokens, p=p / p.sum())
    words = np.array([f"w{i}" for i in range(types)] + [f"late{i}" for i in range(late_words)])
    positions = rng.choice(np.arange(tokens // 2, tokens), size=late_words * late_count, replace=False)
    ids[positions] = types + np.repeat(np.arange(late_words), late_count)
    sentences = [words[ids[i:i + 20]].tolist() for i in range(0, tokens, 20)]
    return sentences, Counter(words[ids].tolist())


@pytest.fixture(scope="module")
def zipf():
    return zipf_corpus()


@pytest.fixture
def small_tables(monkeypatch):
    """Let the table shrink to 2 x cap words for caps below 1,024, so that the
    pruning itself is tested at a small scale."""
    monkeypatch.setattr(vocab_module._BoundedCounter, "MIN_HELD", 1)


def test_cap_keeps_the_true_most_frequent_words_of_a_zipf_corpus(zipf, small_tables):
    sentences, true = zipf
    cap = 300
    vocab = Vocabulary.build(sentences, min_count=1, max_size=cap)
    ranked = sorted(true, key=lambda w: (-true[w], w))
    nth = true[ranked[cap - 1]]  # 123
    assert vocab.pruned_words > 10 * cap  # the cap was really at work
    assert len(vocab) == cap  # min_count=1: exactly N
    # Every reported count is a lower bound, and the order is by it.
    assert all(vocab.counts[i] <= true[w] for i, w in enumerate(vocab.words))
    assert (np.diff(vocab.counts) <= 0).all()
    # The words that came late, each 5 times the 300th count, are all kept:
    # ranking the table by counts alone drops them (the first words fill it
    # and a newcomer never gathers enough between two prunings to get in).
    assert {f"late{i}" for i in range(20)} <= set(vocab.words)
    # Near the boundary the counts differ by less than their noise
    # (the 250th and the 350th by ~40, against sqrt(123) ~ 11 for each), so
    # words may swap places with near neighbours, but no farther: at least
    # 97% of the kept words reach the true 300th count (299 do today), and
    # none is beyond the true top 1.5 N (the last kept is 304th).
    assert sum(true[w] >= nth for w in vocab.words) >= 0.97 * cap
    assert set(vocab.words) <= set(ranked[:3 * cap // 2])
    # A word never dropped is counted exactly. The first pruning comes after
    # about 1,200 tokens, when the 10th word has been seen ~10 times and the
    # pruning drops words seen once: the 10 most frequent are exact.
    assert [vocab.counts[vocab.index[w]] for w in ranked[:10]] == [true[w] for w in ranked[:10]]


def test_the_table_never_holds_more_than_twice_the_cap(zipf, monkeypatch):
    class Watched(Counter):
        """Records its size after every insertion (Counter.update then sets
        each token through __setitem__ instead of its C fast path)."""
        largest = 0

        def __setitem__(self, key, value):
            super().__setitem__(key, value)
            Watched.largest = max(Watched.largest, len(self))

    monkeypatch.setattr(vocab_module, "Counter", Watched)
    sentences, _ = zipf
    long_sentences = [sum(sentences[i:i + 50], []) for i in range(0, len(sentences), 50)]
    # (cap, smallest table allowed, corpora): caps below 1,024 get a table of
    # 2,048 words; with that floor lowered, the bound is 2 x cap itself.
    cases = [(1, 1024, (sentences[:10_000], long_sentences[:200])),
             (300, 1, (sentences, long_sentences)),
             (3, 1, (sentences[:250], long_sentences[:5]))]
    for cap, floor, corpora in cases:
        monkeypatch.setattr(vocab_module._BoundedCounter, "MIN_HELD", floor)
        limit = 2 * max(cap, floor)
        for corpus in corpora:  # pieces of 20 and of 1,000 tokens
            Watched.largest = 0
            vocab = Vocabulary.build(corpus, min_count=1, max_size=cap)
            assert len(vocab) == cap and vocab.pruned_words > 0
            assert vocab.corpus_tokens == sum(map(len, corpus))
            # Filled close to its bound (pruned only when a piece would not fit)...
            assert limit - max(1, limit // 16) - 20 <= Watched.largest
            # ...never past it, not even for one token.
            assert Watched.largest <= limit


def test_cap_bounds_the_memory_of_counting():
    def distinct_words(count):  # streamed: the corpus itself is never held
        for start in range(0, count, 100):
            yield [f"word{i}" for i in range(start, start + 100)]

    peaks = {}
    for cap in (None, 1000):
        tracemalloc.start()
        vocab = Vocabulary.build(distinct_words(100_000), min_count=1, max_size=cap)
        peaks[cap] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert vocab.corpus_tokens == 100_000
    # At most 2,048 words held (about 0.3 MB) and 4 x 2,048 counters (64 KB),
    # against about 12 MB for all 100,000 words.
    assert peaks[1000] < 1.5e6 < 6e6 < peaks[None]


def test_pruning_keeps_the_largest_bounds_and_the_newest_among_equals():
    largest = vocab_module._largest
    assert largest(np.array([5, 3, 3, 3, 1]), 3).tolist() == [True, False, True, True, False]
    assert largest(np.array([2, 2, 2]), 3).all()
    assert largest(np.array([1, 9, 9, 1]), 1).tolist() == [False, False, True, False]


def test_corpus_with_at_most_twice_the_cap_distinct_words_is_counted_exactly():
    rng = np.random.default_rng(1)
    sentences = [[f"w{i}" for i in rng.zipf(1.5, 30) % 200] for _ in range(500)]
    assert len({w for s in sentences for w in s}) <= 200
    exact = Vocabulary.build(sentences, min_count=2)
    capped = Vocabulary.build(sentences, min_count=2, max_size=100)
    assert capped.pruned_words == 0
    assert capped.words == exact.words[:100]
    assert capped.counts.tolist() == exact.counts[:100].tolist()


def test_capped_words_all_reach_min_count(zipf, small_tables):
    sentences, true = zipf
    vocab = Vocabulary.build(sentences, min_count=150, max_size=300)
    assert vocab.pruned_words > 0
    assert min(true[w] for w in vocab.words) >= vocab.counts.min() >= 150


def test_capped_build_is_the_same_in_every_process():
    # The sketch must not depend on hash(), which is salted per process.
    code = ("import hashlib, sys; sys.path.insert(0, 'tests'); from test_vocab import zipf_corpus; "
            "from w2v import Vocabulary, vocab; vocab._BoundedCounter.MIN_HELD = 1; "
            "s, _ = zipf_corpus(30_000, 10_000); "
            "v = Vocabulary.build(s, min_count=1, max_size=100); "
            "print(hashlib.sha256(repr((v.words, v.counts.tolist())).encode()).hexdigest())")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120, env={"PYTHONHASHSEED": seed, "PATH": ""},
                              check=True).stdout for seed in ("1", "2")}
    assert len(outputs) == 1


def test_tokens_that_are_not_strings_are_an_error_with_a_cap_too(small_tables):
    sentences = [[f"w{i}", f"v{i}"] for i in range(50)] + [["a", 7, "b"]] + [["z"]] * 100
    with pytest.raises(CorpusError, match=r"found 7 \(int\)"):
        Vocabulary.build(sentences, min_count=1, max_size=5)
    with pytest.raises(CorpusError, match=r"found \['b'\] \(list\)"):
        Vocabulary.build([["a", ["b"]]], min_count=1)
    with pytest.raises(CorpusError, match="each sentence must be a list of strings, found int"):
        Vocabulary.build([["a"], 5], min_count=1, max_size=5)
    with pytest.raises(CorpusError, match="found the string 'a b c': split it"):
        Vocabulary.build([["a"], "a b c"], min_count=1)
    with pytest.raises(CorpusError, match="iterable of token lists, got NoneType"):
        Vocabulary.build(None, min_count=1)


@pytest.mark.parametrize("setting, value", [
    ("min_count", 0), ("min_count", -3), ("min_count", 2.5), ("min_count", True),
    ("min_count", float("nan")), ("min_count", "5"), ("min_count", None),
    ("max_size", 0), ("max_size", 1.0), ("max_size", False), ("max_size", float("inf")),
    ("max_size", 2**41),
])
def test_bad_min_count_or_max_size_is_a_settings_error(setting, value):
    settings = {"min_count": 1, "max_size": None, setting: value}
    with pytest.raises(SettingsError, match=setting):
        Vocabulary.build([["a", "b"]], **settings)


@pytest.mark.parametrize("counts", [
    [3, float("nan")], [3, float("inf")], [3, 1.5], [True, False], ["3", "1"], [3, 0], [3, -1],
    [3, 2**70], np.array([3, 2**64 - 1], dtype=np.uint64), [[3, 1]], [3], [3, 1, 1], [1 + 1j, 1],
])
def test_counts_that_are_not_whole_numbers_are_a_settings_error(counts):
    with pytest.raises(SettingsError) as error:
        Vocabulary(["a", "b"], counts)
    assert isinstance(error.value, W2VError) and isinstance(error.value, ValueError)


def test_whole_counts_of_any_numeric_type_are_accepted():
    for counts in ([3.0, 1.0], np.array([3, 1], dtype=np.uint8), (3, 1)):
        assert Vocabulary(["a", "b"], counts).counts.tolist() == [3, 1]
    with pytest.raises(VocabularyError, match="strings, found 5"):
        Vocabulary(["a", 5], [3, 1])
    with pytest.raises(SettingsError, match="corpus_tokens"):
        Vocabulary(["a"], [1], corpus_tokens=-1)


def test_subsampling_and_noise_refuse_nan_and_stay_finite_at_extremes():
    vocab = Vocabulary(["the", "cat", "rare"], np.array([10**12, 100, 1]))
    for bad in (float("nan"), float("inf"), -1e-3, True, "1e-3"):
        with pytest.raises(SettingsError, match="sample"):
            vocab.keep_probabilities(bad)
        with pytest.raises(SettingsError, match="exponent"):
            vocab.noise_distribution(bad if bad != -1e-3 else float("-inf"))
    # A threshold so small that count / threshold overflows keeps nothing;
    # one so large that it overflows keeps everything.
    assert vocab.keep_probabilities(1e-320).max() == 0
    assert (vocab.keep_probabilities(1e300) == 1).all()
    for exponent in (1000.0, -1000.0, 0.75):
        p = vocab.noise_distribution(exponent)
        assert np.isfinite(p).all() and p.sum() == pytest.approx(1)
    assert vocab.noise_distribution(1000.0)[0] == 1.0
    assert vocab.noise_distribution(-1000.0)[2] == 1.0
