"""The minibatched kernels (docs/derivation.md 4.6 and 5.4): the NumPy
reference's gradients against finite differences, and the compiled kernels
against the reference, update for update."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import topic_corpus

import w2v
from w2v import kernels, reference, sgns
from w2v.sampling import seed_state

from test_gradients import central_difference, rel_err
from test_kernels import D, NO_HOT_ROWS, V, batch


@pytest.mark.parametrize("seed", range(4))
def test_minibatch_gradients_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.7, (6, 5))
    U = rng.normal(0, 0.7, (4, 5))
    labels = np.array([1, 0, 0, 0], np.float64)
    dX, dU = sgns.minibatch_gradients(X, U, labels)
    assert rel_err(central_difference(lambda: sgns.minibatch_loss(X, U, labels), X), dX) < 1e-6
    assert rel_err(central_difference(lambda: sgns.minibatch_loss(X, U, labels), U), dU) < 1e-6


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("noise", [[3, 8, 11], [3, 3, 5], [2, 9, 4]])  # a repeat; a centre word
def test_cbow_group_gradients_match_finite_differences(seed, noise):
    rng = np.random.default_rng(seed)
    W_in, W_out = rng.normal(0, 0.6, (2, 15, 4))
    contexts = [[1, 5, 7], [5, 7, 7, 0], [12]]  # overlapping, a repeat, a single word
    centres = [2, 6, 9]
    loss = lambda: sgns.cbow_group_loss(W_in, W_out, contexts, centres, noise)  # noqa: E731
    d_in, d_out = sgns.cbow_group_gradients(W_in, W_out, contexts, centres, noise)
    assert rel_err(central_difference(loss, W_in), d_in) < 1e-6
    assert rel_err(central_difference(loss, W_out), d_out) < 1e-6


def test_minibatch_step_takes_every_gradient_at_the_snapshot():
    # A context word twice in the window and a noise word twice: each row's
    # step is the sum of its occurrences' gradients, all taken before any step.
    rng = np.random.default_rng(3)
    W_in, W_out = rng.normal(0, 0.5, (2, V, D))
    inputs, targets, labels, eta = [4, 9, 4], [2, 7, 7, 11], [1, 0, 0, 0], 0.1
    X, U = W_in[inputs].copy(), W_out[targets].copy()
    dX, dU = sgns.minibatch_gradients(X, U, labels)
    expect_in, expect_out = W_in.copy(), W_out.copy()
    expect_in[4] -= eta * (dX[0] + dX[2])
    expect_in[9] -= eta * dX[1]
    expect_out[2] -= eta * dU[0]
    expect_out[7] -= eta * (dU[1] + dU[2])
    expect_out[11] -= eta * dU[3]
    loss = sgns.skipgram_minibatch_update(W_in, W_out, inputs, targets, labels, eta)
    assert loss == pytest.approx(sgns.minibatch_loss(X, U, labels))
    np.testing.assert_allclose(W_in, expect_in, rtol=1e-12)
    np.testing.assert_allclose(W_out, expect_out, rtol=1e-12)


def test_small_minibatch_step_decreases_the_loss():
    rng = np.random.default_rng(4)
    W_in, W_out = rng.normal(0, 0.5, (2, V, D))
    inputs, targets, labels = [1, 3, 5, 3], [0, 8, 9], [1, 0, 0]
    before = sgns.skipgram_minibatch_update(W_in, W_out, inputs, targets, labels, 1e-3)
    after = sgns.minibatch_loss(W_in[inputs], W_out[targets], labels)
    assert after < before


def run(mode, seed, shrink, group=3, hot=0, sentences=15, eta=(0.1, 0.05)):
    ids, ends, keep, accept, alias, W_in, W_out = batch(seed, sentences)
    window, negative = 3, 4
    fast_in, fast_out, slow_in, slow_out = W_in.copy(), W_out.copy(), W_in.copy(), W_out.copy()
    fast_state, slow_state = seed_state(seed), seed_state(seed)
    data = (ids, ends, keep, accept, alias, window, shrink)
    scratch = kernels.MinibatchScratch(D, window, negative, group)
    buffers = (np.empty(64, np.int32), np.empty((1, negative), np.int64), np.empty(D, np.float32),
               scratch, np.empty((2, hot, D), np.float32))
    if mode == "skipgram":
        fast = kernels.train_skipgram_minibatch(fast_in, fast_out, *data, *eta, fast_state,
                                                *buffers)
        slow = reference.train_skipgram_minibatch(slow_in, slow_out, *data, negative, *eta,
                                                  slow_state)
    else:
        fast = kernels.train_cbow_minibatch(fast_in, fast_out, *data, *eta, fast_state, *buffers)
        slow = reference.train_cbow_minibatch(slow_in, slow_out, *data, negative, group, *eta,
                                              slow_state)
    assert fast_state[0] == slow_state[0], "the kernel and the reference drew differently"
    return W_in, (fast, fast_in, fast_out), (slow, slow_in, slow_out)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("mode, group", [("skipgram", 1), ("cbow", 1), ("cbow", 3), ("cbow", 8)])
@pytest.mark.parametrize("shrink", [True, False])
def test_minibatch_kernels_match_the_reference(mode, group, seed, shrink):
    W_in, ((fast_loss, fast_pairs), fast_in, fast_out), ((slow_loss, slow_pairs), slow_in, slow_out) = \
        run(mode, seed, shrink, group)
    assert fast_pairs == slow_pairs > 0
    # Both score every target at the snapshot, so the losses agree closely too.
    assert fast_loss == pytest.approx(slow_loss, rel=1e-5)
    assert np.abs(fast_in - W_in).max() > 1e-3
    np.testing.assert_allclose(fast_in, slow_in, rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(fast_out, slow_out, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_minibatch_kernels_with_private_hot_rows_end_where_they_would_without(mode):
    runs = [run(mode, 4, True, 4, hot, sentences=6_000, eta=(0.02, 0.01)) for hot in (0, 7)]
    (_, (loss_a, pairs_a), in_a, out_a), (_, (loss_b, pairs_b), in_b, out_b) = \
        [(r[0], *r[1]) for r in runs]
    assert pairs_a == pairs_b
    assert loss_b == pytest.approx(loss_a, rel=1e-5)
    np.testing.assert_allclose(out_b, out_a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(in_b, in_a, rtol=1e-4, atol=1e-5)


def test_cbow_groups_of_one_are_the_per_pair_kernel():
    ids, ends, keep, accept, alias, W_in, W_out = batch(6, sentences=40)
    window, negative = 3, 4
    a_in, a_out, b_in, b_out = W_in.copy(), W_out.copy(), W_in.copy(), W_out.copy()
    data = (ids, ends, keep, accept, alias, window, True, 0.005, 0.002)  # O(eta^2) apart
    buffers = (np.empty(64, np.int32), np.empty((6, negative), np.int64), np.empty(D, np.float32))
    loss_a, pairs_a = kernels.train_cbow(a_in, a_out, *data, seed_state(6), *buffers,
                                         np.empty(D, np.float32), NO_HOT_ROWS)
    loss_b, pairs_b = kernels.train_cbow_minibatch(b_in, b_out, *data, seed_state(6), *buffers,
                                                   kernels.MinibatchScratch(D, window, negative, 1),
                                                   NO_HOT_ROWS)
    assert pairs_a == pairs_b
    # Only a noise word drawn twice differs: sequential there, simultaneous here.
    assert loss_b == pytest.approx(loss_a, rel=1e-3)
    assert np.abs(b_in - W_in).max() > 1e-3
    np.testing.assert_allclose(b_in, a_in, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(b_out, a_out, rtol=1e-3, atol=1e-4)


def test_minibatch_kernels_refuse_scratch_made_for_other_settings():
    ids, ends, keep, accept, alias, W_in, W_out = batch(1)
    common = (W_in, W_out, ids, ends, keep, accept, alias, 3, True, 0.1, 0.1, seed_state(1),
              np.empty(64, np.int32), np.empty((1, 4), np.int64), np.empty(D, np.float32))
    with pytest.raises(ValueError, match="window 3 needs 6"):
        kernels.train_skipgram_minibatch(*common, kernels.MinibatchScratch(D, 2, 4), NO_HOT_ROWS)
    with pytest.raises(ValueError, match="scratch.dU has shape"):
        kernels.train_skipgram_minibatch(*common, kernels.MinibatchScratch(D + 1, 3, 4),
                                         NO_HOT_ROWS)
    with pytest.raises(ValueError, match="scratch.H has shape"):
        kernels.train_cbow_minibatch(*common, kernels.MinibatchScratch(D - 1, 3, 4, 2),
                                     NO_HOT_ROWS)


def test_the_cli_trains_with_minibatch_and_refuses_what_it_cannot_combine(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in topic_corpus(150, seed=3)) + "\n")
    out = tmp_path / "m.w2v"
    cli = [sys.executable, "-c", "from w2v_cli.main import main; main()"]
    done = subprocess.run([*cli, "train", str(corpus), "-o", str(out), "--minibatch", "--min-count",
                           "1", "--dim", "8", "--epochs", "1", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert w2v.load(out).minibatch is True
    for extra, message in ((["--hs"], "--hs cannot be used with --minibatch"),
                           (["--spark", "local[1]"], "--minibatch cannot be used with --spark")):
        refused = subprocess.run([*cli, "train", str(corpus), "-o", str(tmp_path / "x.w2v"),
                                  "--minibatch", *extra], capture_output=True, text=True,
                                 timeout=120)
        assert refused.returncode != 0 and message in refused.stderr
        assert "Traceback" not in refused.stderr and not (tmp_path / "x.w2v").exists()
