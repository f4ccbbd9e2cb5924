import numpy as np

from w2v.batches import BatchCache, make_batches

INDEX = {"a": 0, "b": 1, "c": 2}


def test_batches_keep_known_words_and_cut_long_sentences():
    sentences = [["a", "x", "b"], ["c"] * 5, ["y"], ["b", "a"]]
    batches = list(make_batches(sentences, INDEX, batch_words=4, max_sentence_length=2))
    ids = np.concatenate([b[0] for b in batches]).tolist()
    assert ids == [0, 1, 2, 2, 2, 2, 2, 1, 0]
    first_ids, first_ends = batches[0]
    assert first_ids.dtype == np.int32 and first_ends.dtype == np.int64
    # "a b" is one sentence; the five c's become pieces of 2, 2 and 1.
    assert first_ends.tolist() == [2, 4, 6, 7]
    assert all(len(b[0]) >= 4 for b in batches[:-1])


def test_cache_replays_exactly_what_it_recorded():
    sentences = [["a", "b", "c"] * (i % 7 + 1) for i in range(500)]
    original = list(make_batches(sentences, INDEX, batch_words=100, max_sentence_length=10))
    cache = BatchCache()
    passed = list(cache.record(iter(original)))
    assert cache.complete
    for replay in (list(cache.replay()), list(cache.replay())):
        assert len(replay) == len(original) == len(passed)
        for (ids, ends), (want_ids, want_ends) in zip(replay, original):
            assert np.array_equal(ids, want_ids) and np.array_equal(ends, want_ends)
            assert ids.flags.writeable  # the kernel's argument types stay the same
    cache.close()


def test_a_full_disk_stops_caching_without_losing_batches(monkeypatch):
    cache = BatchCache()

    def full(data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache._file, "write", full)
    batches = [(np.arange(3, dtype=np.int32), np.array([3]))] * 4
    assert len(list(cache.record(iter(batches)))) == 4
    assert not cache.complete
