"""The compiled kernel against the readable reference: same inputs, same
draws, same result."""

import numpy as np
import pytest

from w2v import kernels, reference
from w2v.sampling import alias_table, seed_state

V, D = 30, 8
NO_HOT_ROWS = np.empty((2, 0, D), np.float32)  # one thread updates W_out directly


def batch(seed, sentences=15):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, size=sentences)
    ids = rng.integers(0, V, size=lengths.sum()).astype(np.int32)
    ends = np.cumsum(lengths).astype(np.int64)
    keep = np.where(rng.random(V) < 0.3, rng.uniform(0.2, 0.9, V), 1.0).astype(np.float32)
    accept, alias = alias_table(rng.random(V) ** 2)
    W_in = rng.normal(0, 0.3, (V, D)).astype(np.float32)
    W_out = rng.normal(0, 0.3, (V, D)).astype(np.float32)
    return ids, ends, keep, accept, alias, W_in, W_out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("mode, share_noise", [("skipgram", False), ("skipgram", True), ("cbow", False)])
@pytest.mark.parametrize("shrink", [True, False])
def test_kernel_matches_reference(mode, share_noise, seed, shrink):
    ids, ends, keep, accept, alias, W_in, W_out = batch(seed)
    window, negative, eta_start, eta_end = 3, 4, 0.1, 0.05
    fast_in, fast_out, slow_in, slow_out = W_in.copy(), W_out.copy(), W_in.copy(), W_out.copy()
    fast_state, slow_state = seed_state(seed), seed_state(seed)

    data = (ids, ends, keep, accept, alias, window, shrink)
    kept, noise, dv, h = (np.empty(64, np.int32), np.empty((2 * window, negative), np.int64),
                          np.empty(D, np.float32), np.empty(D, np.float32))
    if mode == "skipgram":
        fast_loss, fast_pairs = kernels.train_skipgram(
            fast_in, fast_out, *data, share_noise, eta_start, eta_end, fast_state, kept, noise, dv,
            NO_HOT_ROWS)
        slow_loss, slow_pairs = reference.train_skipgram(
            slow_in, slow_out, *data, share_noise, negative, eta_start, eta_end, slow_state)
    else:
        fast_loss, fast_pairs = kernels.train_cbow(
            fast_in, fast_out, *data, eta_start, eta_end, fast_state, kept, noise, dv, h, NO_HOT_ROWS)
        slow_loss, slow_pairs = reference.train_cbow(
            slow_in, slow_out, *data, negative, eta_start, eta_end, slow_state)

    assert fast_state[0] == slow_state[0], "the kernel and the reference drew differently"
    assert fast_pairs == slow_pairs > 0
    # The reference scores every target before the step, the kernel each one
    # as it goes: a noise word drawn twice is scored once after its update.
    assert fast_loss == pytest.approx(slow_loss, rel=1e-2)
    # Training moved the vectors, and both moved them the same way.
    assert np.abs(fast_in - W_in).max() > 1e-3
    np.testing.assert_allclose(fast_in, slow_in, rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(fast_out, slow_out, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
@pytest.mark.parametrize("hot", [1, 7, V])
def test_private_hot_rows_change_nothing_for_a_single_thread(mode, hot):
    # Long enough for several merges (every kernels.MERGE_WORDS words).
    ids, ends, keep, accept, alias, W_in, W_out = batch(4, sentences=6_000)
    assert len(ids) > 3 * kernels.MERGE_WORDS
    window, negative, eta_start, eta_end = 3, 4, 0.02, 0.01
    results = []
    for hot_rows in (NO_HOT_ROWS, np.empty((2, hot, D), np.float32)):
        w_in, w_out = W_in.copy(), W_out.copy()
        args = (w_in, w_out, ids, ends, keep, accept, alias, window, True)
        scratch = (seed_state(4), np.empty(64, np.int32),
                   np.empty((2 * window, negative), np.int64), np.empty(D, np.float32))
        if mode == "skipgram":
            loss, pairs = kernels.train_skipgram(*args, False, eta_start, eta_end, *scratch,
                                                 hot_rows)
        else:
            loss, pairs = kernels.train_cbow(*args, eta_start, eta_end, *scratch,
                                             np.empty(D, np.float32), hot_rows)
        results.append((w_in, w_out, loss, pairs))
    (in_a, out_a, loss_a, pairs_a), (in_b, out_b, loss_b, pairs_b) = results
    assert pairs_a == pairs_b
    assert loss_b == pytest.approx(loss_a, rel=1e-5)
    assert np.abs(out_b[:hot] - W_out[:hot]).max() > 1e-2  # the hot rows were trained...
    # ...and written back: only float32 rounding at the merges tells them apart.
    np.testing.assert_allclose(out_b, out_a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(in_b, in_a, rtol=1e-4, atol=1e-5)


def test_merging_hot_rows_keeps_what_other_threads_wrote_meanwhile():
    rng = np.random.default_rng(5)
    W_out = rng.normal(size=(V, D)).astype(np.float32)
    hot_rows = np.empty((2, 4, D), np.float32)
    kernels.load_hot_rows(W_out, hot_rows)
    np.testing.assert_array_equal(hot_rows[0], W_out[:4])
    ours, theirs = rng.normal(size=(2, 4, D)).astype(np.float32)
    hot_rows[0] += ours  # this thread's updates, on its copies
    W_out[:4] += theirs  # another thread's, on the shared rows
    before = W_out.copy()
    kernels.merge_hot_rows(W_out, hot_rows)
    np.testing.assert_allclose(W_out[:4], before[:4] + ours, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(W_out[4:], before[4:])
    # Both copies start again from the merged rows.
    np.testing.assert_array_equal(hot_rows[0], W_out[:4])
    np.testing.assert_array_equal(hot_rows[1], W_out[:4])


def test_subsampling_drops_words_with_low_keep_probability():
    ids = np.zeros(10_000, dtype=np.int32)
    ids[::2] = 1  # word 1 is always kept, word 0 kept with probability 0.25
    keep = np.array([0.25, 1.0], dtype=np.float32)
    kept = np.empty(len(ids), dtype=np.int32)
    m = kernels._subsample(ids, 0, len(ids), keep, seed_state(3), kept)
    zeros = int((kept[:m] == 0).sum())
    assert (kept[:m] == 1).sum() == 5_000
    assert 1_100 < zeros < 1_400  # 5,000 * 0.25 = 1,250


def test_tabled_sigmoid_and_loss_match_the_exact_formulas():
    from w2v.sgns import log_sigmoid, sigmoid
    for s in np.linspace(-40, 40, 20_001, dtype=np.float32):
        sig, neg_log_sig = kernels._sigmoid_and_loss(s)
        assert abs(sig - sigmoid(np.float64(s))) < 3e-6, s
        clamped = np.float64(np.clip(s, -30, 30))  # the kernel clamps scores to +-30
        assert abs(neg_log_sig + log_sigmoid(clamped)) < 3e-6 * max(1, abs(s)), s
