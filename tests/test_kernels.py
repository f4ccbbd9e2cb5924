"""The compiled kernel against the readable reference: same inputs, same
draws, same result."""

import numpy as np
import pytest

from w2v import kernels, reference, sgns, spinlock
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
    kernels.merge_hot_rows(W_out, hot_rows, spinlock.new_lock())
    np.testing.assert_allclose(W_out[:4], before[:4] + ours, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(W_out[4:], before[4:])
    # Both copies start again from the merged rows.
    np.testing.assert_array_equal(hot_rows[0], W_out[:4])
    np.testing.assert_array_equal(hot_rows[1], W_out[:4])



@pytest.mark.parametrize("score", [-100.0, -31.0, -30.0, -12.0, 12.0, 31.0, 100.0])
def test_loss_of_a_far_out_score_is_the_exact_one(score):
    # One positive and one noise word, both with score `score` against v: the
    # reported loss must be -log sigma(s) - log sigma(-s) (eq. 8), as the
    # reference computes it, not a clamped term beside an unclamped one
    # (which gave 30 - 100 = -70 for the noise word's term at s = -100).
    v = np.full(D, 1.0, np.float32)
    W_out = np.zeros((V, D), np.float32)
    W_out[1] = W_out[2] = score / D
    noise = np.array([2], np.int64)
    dv = np.empty(D, np.float32)
    loss = kernels._negative_sampling_step(v, W_out, NO_HOT_ROWS, 1, noise, np.float32(0.0), dv)
    expected = sgns.skipgram_loss(v.astype(np.float64), W_out[[1, 2]].astype(np.float64), [1, 0])
    assert loss == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert loss >= 0


def test_kernel_loss_matches_the_reference_when_scores_pass_30():
    ids, ends, keep, accept, alias, W_in, W_out = batch(8, sentences=30)
    W_in *= 60  # scores of +-100 and more
    W_out *= 60
    window, negative = 3, 4
    state_a, state_b = seed_state(8), seed_state(8)
    data = (ids, ends, keep, accept, alias, window, True)
    fast, _ = kernels.train_skipgram(W_in.copy(), W_out.copy(), *data, False, 0.0, 0.0, state_a,
                                     np.empty(64, np.int32), np.empty((6, negative), np.int64),
                                     np.empty(D, np.float32), NO_HOT_ROWS)
    slow, _ = reference.train_skipgram(W_in.copy(), W_out.copy(), *data, False, negative, 0.0,
                                       0.0, state_b)
    assert slow > 1_000  # far-out scores were met
    assert fast == pytest.approx(slow, rel=1e-4)


# --- two threads merging hot rows --------------------------------------------

import threading  # noqa: E402

from numba import njit  # noqa: E402


@njit(nogil=True)
def _train_and_merge(W_out, hot_rows, lock, step, rounds):
    """A stand-in for a training thread: add ``step`` to every private copy,
    merge, again and again (the GIL is released throughout)."""
    for _ in range(rounds):
        for r in range(hot_rows.shape[1]):
            for x in range(hot_rows.shape[2]):
                hot_rows[0, r, x] += step
        kernels.merge_hot_rows(W_out, hot_rows, lock)


def test_two_threads_merging_at_once_lose_nothing():
    # Each merge is a read-modify-write of the same 4,000 x 64 rows; on the
    # unlocked merge, two threads in it at once lost one thread's change
    # (this test failed there, every run, with thousands of rows short).
    H, d, rounds = 4_000, 64, 300
    W_out = np.zeros((H, d), np.float32)
    lock = spinlock.new_lock()
    hot = [np.empty((2, H, d), np.float32) for _ in range(2)]
    for rows in hot:
        kernels.load_hot_rows(W_out, rows)
    _train_and_merge(W_out, hot[0], lock, np.float32(0.0), 1)  # compile outside the threads
    threads = [threading.Thread(target=_train_and_merge, args=(W_out, rows, lock, step, rounds))
               for rows, step in zip(hot, (np.float32(1.0), np.float32(2.0)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whole numbers below 2**24 add exactly in float32: every update is there.
    np.testing.assert_array_equal(W_out, np.full((H, d), 3.0 * rounds, np.float32))
    assert lock[0] == 0  # released


def test_spin_lock_is_exclusive_under_two_threads():
    @njit(nogil=True)
    def count(lock, counter, n):
        for _ in range(n):
            spinlock.acquire(lock)
            counter[0] += 1  # not atomic: only the lock makes it exact
            spinlock.release(lock)

    lock, counter = spinlock.new_lock(), np.zeros(1, np.int64)
    count(lock, counter, 1)
    counter[0] = 0
    threads = [threading.Thread(target=count, args=(lock, counter, 500_000)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter[0] == 1_000_000


# --- the checked entry points ---------------------------------------------------

def good_arguments(mode):
    ids, ends, keep, accept, alias, W_in, W_out = batch(9)
    window, negative = 3, 4
    args = dict(W_in=W_in, W_out=W_out, ids=ids, sentence_ends=ends, keep_prob=keep,
                accept=accept, alias=alias, window=window, shrink=True, share_noise=False,
                eta_start=0.025, eta_end=0.02, state=seed_state(9), kept=np.empty(64, np.int32),
                noise=np.empty((2 * window, negative), np.int64), dv=np.empty(D, np.float32),
                h=np.empty(D, np.float32), hot_rows=NO_HOT_ROWS)
    if mode == "skipgram":
        del args["h"]
    else:
        del args["share_noise"]
    return args


def call(mode, args):
    kernel = kernels.train_skipgram if mode == "skipgram" else kernels.train_cbow
    return kernel(*args.values())


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
@pytest.mark.parametrize("name, bad, message", [
    ("dv", np.empty(D - 3, np.float32), "dv has shape"),
    ("dv", np.empty(D, np.float64), "dv must be float32"),
    ("W_out", np.zeros((V, D + 1), np.float32), "W_out has shape"),
    ("W_in", np.zeros((V, 2 * D), np.float32)[:, ::2], "W_in must be C-contiguous"),
    ("hot_rows", np.empty((2, 3, D - 1), np.float32), "hot_rows has shape"),
    ("kept", np.empty(5, np.int32), "kept holds 5 words"),
    ("ids", np.array([0, 1, V], np.int32), "outside"),
    ("keep_prob", np.ones(V - 1, np.float32), "keep_prob has shape"),
    ("state", np.zeros(1, np.int64), "state must be uint64"),
    ("window", 0, "window must be"),
])
def test_kernels_refuse_buffers_that_do_not_fit(mode, name, bad, message):
    args = good_arguments(mode)
    if name == "ids":
        args["sentence_ends"] = np.array([3], np.int64)
    args[name] = bad
    with pytest.raises(ValueError, match=message):
        call(mode, args)


def test_skipgram_refuses_a_noise_buffer_smaller_than_the_window_needs():
    args = good_arguments("skipgram")
    args["window"] = 10  # raised after the scratch buffers were made for window 3
    with pytest.raises(ValueError, match="noise has 6 rows, window 10 needs"):
        call("skipgram", args)
    args["share_noise"] = True  # one row is all it needs then
    loss, pairs = call("skipgram", args)
    assert pairs > 0


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_checked_kernels_train_as_before(mode):
    args = good_arguments(mode)
    before = args["W_in"].copy()
    loss, pairs = call(mode, args)
    assert pairs > 0 and np.isfinite(loss) and np.abs(args["W_in"] - before).max() > 0


@pytest.mark.parametrize("sg", [True, False])
def test_changing_dim_after_build_vocab_is_a_clear_error(sg):
    sentences = [["a", "b", "c", "d", "e", "f"][i % 3:i % 3 + 4] for i in range(300)]
    model = w2v.Word2Vec(sg=sg, dim=10, min_count=1, epochs=1, workers=2, seed=1)
    model.build_vocab(sentences)
    model.dim = 4  # the vectors are 10 wide: dv and the hot rows would be 4
    with pytest.raises(SettingsError, match="dim is 4 but the vectors are 6 x 10"):
        model.train(sentences, progress=None)
    model.dim = 10
    model.window = 12  # fine: the scratch buffers are made for each training run
    model.train(sentences, progress=None)
    assert model.words_trained_ > 0

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
        # the gradient's sigma is clamped at +-30, the loss is not
        assert abs(neg_log_sig + log_sigmoid(np.float64(s))) < 3e-6 * max(1, abs(s)), s


# --- NaN must stay visible ------------------------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402

import numba  # noqa: E402

import w2v  # noqa: E402
from w2v import SettingsError, TrainingDivergedError  # noqa: E402
from w2v.sampling import draw_alias  # noqa: E402


def test_kernels_compile_without_assuming_no_nan_or_inf():
    # fastmath=True means 'fast', which includes 'nnan' and 'ninf': LLVM may
    # then fold away every test that would see a NaN (math.isnan(NaN) was
    # False under it, and a NaN score passed the table's range test).
    compiled = {name: f for name, f in vars(kernels).items()
                if isinstance(f, numba.core.registry.CPUDispatcher)}
    assert {"_train_skipgram", "_train_cbow", "_negative_sampling_step", "_sigmoid_and_loss",
            "merge_hot_rows"} <= set(compiled)
    for name, f in compiled.items():
        flags = f.targetoptions.get("fastmath", False)
        assert flags is not True, name
        assert not {"fast", "nnan", "ninf"} & set(flags or ()), name
    assert kernels.FAST_MATH >= {"reassoc", "contract"}  # still vectorised


def test_tabled_sigmoid_of_nan_is_nan_and_of_inf_its_limits():
    sig, loss = kernels._sigmoid_and_loss(np.float32("nan"))
    assert np.isnan(sig) and np.isnan(loss)
    assert kernels._sigmoid_and_loss(np.float32("inf")) == pytest.approx((1.0, 0.0), abs=1e-12)
    sig, loss = kernels._sigmoid_and_loss(np.float32("-inf"))
    assert sig == pytest.approx(0.0, abs=1e-12) and loss == np.inf
    # The two ends of the tabled range, where (s + 8) * 128 rounds to 0 and 2048.
    for s in (np.nextafter(np.float32(8), np.float32(0)), np.nextafter(np.float32(-8), np.float32(0))):
        sig, loss = kernels._sigmoid_and_loss(s)
        assert sig == pytest.approx(1 / (1 + np.exp(-float(s))), abs=1e-5)
        assert loss == pytest.approx(np.log1p(np.exp(-float(s))), abs=1e-5)


# Run in a child process, so that a kernel reading or writing out of bounds
# is a failed test with its message rather than a crash of the whole run.
NAN_VECTORS = """
import numpy as np
from w2v import kernels
from w2v.sampling import alias_table, seed_state

V, D, GUARD = 30, 8, 4
rng = np.random.default_rng(0)
lengths = rng.integers(1, 12, size=40)
ids, ends = rng.integers(0, V, lengths.sum()).astype(np.int32), np.cumsum(lengths)
keep, (accept, alias) = np.ones(V, np.float32), alias_table(rng.random(V))

def guarded(shape, fill):
    # A buffer with GUARD sentinel rows on each side; the kernel gets the middle.
    buffer = np.full((shape[0] + 2 * GUARD,) + shape[1:], 7.0, np.float32)
    buffer[GUARD:-GUARD] = fill
    return buffer, buffer[GUARD:-GUARD]

for bad in (np.nan, np.inf, -np.inf, 1e30):
    for mode, share, hot in (("sg", False, 0), ("sg", True, 0), ("sg", False, 3), ("cbow", False, 0),
                             ("cbow", False, 3)):
        for poisoned in ("all", "one row"):
            fill = np.full((V, D), bad) if poisoned == "all" else rng.normal(0, 0.3, (V, D))
            fill[5] = bad  # word 5 occurs in the batch
            (in_buf, W_in), (out_buf, W_out) = guarded((V, D), fill), guarded((V, D), fill)
            hot_buf, hot_rows = guarded((2 * hot + 1, D), 0.0)
            hot_rows = hot_rows[:2 * hot].reshape(2, hot, D)
            kept, noise = np.full(64 + 2 * GUARD, -1, np.int32), np.zeros((6, 4), np.int64)
            dv, h = np.empty(D, np.float32), np.empty(D, np.float32)
            args = (W_in, W_out, ids, ends, keep, accept, alias, 3, True)
            scratch = (seed_state(1), kept[GUARD:-GUARD], noise, dv)
            if mode == "sg":
                loss, pairs = kernels.train_skipgram(*args, share, 0.025, 0.01, *scratch, hot_rows)
            else:
                loss, pairs = kernels.train_cbow(*args, 0.025, 0.01, *scratch, h, hot_rows)
            case = (bad, mode, share, hot, poisoned)
            assert pairs > 0, case
            assert not np.isfinite(loss), (case, loss)
            for buffer in (in_buf, out_buf, hot_buf):
                assert (buffer[:GUARD] == 7).all() and (buffer[-GUARD:] == 7).all(), case
            assert (kept[:GUARD] == -1).all() and (kept[-GUARD:] == -1).all(), case
print("ok")
"""


def test_kernel_fed_nan_or_inf_vectors_stays_in_bounds_and_returns_a_non_finite_loss():
    done = subprocess.run([sys.executable, "-c", NAN_VECTORS], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_kernel_reports_divergence_as_a_non_finite_loss(mode):
    ids, ends, keep, accept, alias, W_in, W_out = batch(7, sentences=200)
    args = (W_in, W_out, ids, ends, keep, accept, alias, 3, True)
    scratch = (seed_state(7), np.empty(64, np.int32), np.empty((6, 4), np.int64),
               np.empty(D, np.float32))
    eta = 1e6  # each update multiplies the vectors by about this much
    if mode == "skipgram":
        loss, _ = kernels.train_skipgram(*args, False, eta, eta, *scratch, NO_HOT_ROWS)
    else:
        loss, _ = kernels.train_cbow(*args, eta, eta, *scratch, np.empty(D, np.float32), NO_HOT_ROWS)
    assert not np.isfinite(loss)
    assert not np.isfinite(W_in).all()


@pytest.mark.parametrize("sg", [True, False])
def test_a_diverging_run_raises_training_diverged(sg):
    sentences = [["a", "b", "c", "d", "e", "f"][i % 3:i % 3 + 4] for i in range(300)]
    model = w2v.Word2Vec(sg=sg, dim=10, min_count=1, alpha=1e6, epochs=1, workers=1, seed=1)
    with pytest.raises(TrainingDivergedError, match="diverged in epoch 1.*alpha is 1e\\+06"):
        model.train(sentences, progress=None)


@pytest.mark.parametrize("weights", [[np.nan, 1.0], [np.inf, 1.0], [-1.0, 2.0], [0.0, 0.0], [],
                                     [[1.0, 2.0]], ["a", "b"]])
def test_alias_table_refuses_weights_it_cannot_draw_from(weights):
    with pytest.raises(SettingsError, match="finite weights >= 0"):
        alias_table(weights)


def test_alias_table_draws_from_weights_near_the_largest_float():
    accept, alias = alias_table([1e308, 1e308, 0.0])
    state = seed_state(0)
    draws = np.bincount([draw_alias(state, accept, alias) for _ in range(20_000)], minlength=3)
    assert draws[2] == 0 and abs(draws[0] - 10_000) < 400
