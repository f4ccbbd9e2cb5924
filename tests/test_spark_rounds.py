"""The merge of a round (eqs. 27-28 of docs/derivation.md, w2v/spark/rounds.py),
checked as plain functions: no Spark needed."""

import numpy as np
import pytest

from w2v.spark.rounds import (HALF_LIMIT, Update, _changes, expected_updates, for_transport,
                              merge, saturation)


def test_saturation_is_the_share_of_summed_steps_that_n_steps_move():
    n = np.array([1, 3, 10, 1_000, 100_000], dtype=float)
    a = 0.01
    assert np.allclose(saturation(n, a) * n * a, 1 - (1 - a) ** n)
    assert saturation([1.0], a)[0] == pytest.approx(1.0)       # one step: all of it
    assert saturation([1e-3], 1e-4)[0] == pytest.approx(1.0, rel=1e-4)  # rare: the sum
    assert saturation([1e6], a)[0] == pytest.approx(1 / (1e6 * a))  # frequent: the mean
    assert np.all(saturation(n, 0.0) == 1.0)


def random_update(rng, rows_of, dim=4, size=6):
    rows = np.sort(rng.choice(rows_of, size=size, replace=False)).astype(np.int64)
    sums = rng.normal(size=(size, dim)).astype(np.float32)
    return rows, sums, rng.uniform(1, 50, size)


def test_merge_is_associative_and_commutative():
    rng = np.random.default_rng(0)
    parts = [Update(*random_update(rng, 20), *random_update(rng, 20), words=w, pairs=2 * w,
                    loss=0.5 * w) for w in (10, 20, 30)]
    a, b, c = parts
    for one, other in ((merge(a, merge(b, c)), merge(merge(a, b), c)),
                       (merge(a, b), merge(b, a))):
        for name in ("in_rows", "out_rows"):
            assert np.array_equal(getattr(one, name), getattr(other, name))
        for name in ("in_counts", "out_counts", "in_sums", "out_sums"):
            assert np.allclose(getattr(one, name), getattr(other, name), atol=1e-6)
        assert (one.words, one.pairs) == (other.words, other.pairs)


def test_rare_rows_take_the_sum_and_frequent_rows_the_mean():
    dim, a = 3, 0.01
    change = np.ones((1, dim), dtype=np.float32)
    W = np.zeros((2, dim), dtype=np.float32)
    start = W.copy()
    halves = []
    for updates in (np.array([1e-6, 1e6]),) * 2:  # row 0 rarely updated, row 1 very often
        trained = start + np.vstack([change, change])
        rows, sums, counts = _changes(trained, start, updates, a, None)
        halves.append(Update(rows, sums, counts, *_changes(start, start, updates, a, None)))
    merged = merge(*halves)
    merged.apply(W, np.zeros_like(W), a)
    assert np.allclose(W[0], 2.0, rtol=1e-3)  # two partitions' rare changes add up
    assert np.allclose(W[1], 1.0, rtol=1e-3)  # two saturated moves to the same place: one move


def test_half_precision_transport_loses_nothing_of_the_vectors():
    rng = np.random.default_rng(1)
    master = rng.uniform(8, 16, size=(50, 10)).astype(np.float32)  # float16 steps of 0.0078 here
    sent = for_transport(master)
    assert sent.dtype == np.float16
    step = rng.normal(scale=1e-3, size=master.shape).astype(np.float32)
    trained = sent.astype(np.float32) + step  # a partition trains from what it was sent
    rows, sums, counts = _changes(trained, sent, np.ones(len(master)), 0.0, None)
    assert sums.dtype == np.float16
    update = Update(rows, sums, counts, *_changes(master, master, np.ones(50), 0.0, None))
    after = master.copy()
    update.apply(after, np.zeros_like(master), 0.0)
    # The driver moves its own rows by the partition's change, rounded relative to the
    # change (and to float32 at 16): not by the rounding of the rows it sent.
    assert np.allclose(after - master, step, rtol=2e-3, atol=4e-6)
    assert not np.allclose(sent.astype(np.float32) + step, master + step, atol=1e-4)


@pytest.mark.parametrize("value", [HALF_LIMIT * 2, np.inf, np.nan])
def test_values_half_precision_cannot_hold_travel_as_they_are(value):
    values = np.ones((3, 2), dtype=np.float32)
    values[1, 1] = value
    sent = for_transport(values)
    assert sent.dtype == np.float32 and np.array_equal(sent, values, equal_nan=True)


def test_expected_updates_add_up_to_the_examples():
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 100, size=30)
    keep = rng.uniform(0.2, 1.0, size=30).astype(np.float32)
    noise = rng.uniform(size=30)
    noise /= noise.sum()
    for inputs in (1.0, 6.0):
        n_in, n_out = expected_updates(counts, keep, noise, pairs=1_000, negative=5,
                                       inputs_per_example=inputs)
        assert n_in.sum() == pytest.approx(1_000 * inputs)
        assert n_out.sum() == pytest.approx(1_000 * (1 + 5))
        assert np.all(n_in[counts == 0] == 0)
