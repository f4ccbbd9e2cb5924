"""Checks of the NumPy reference w2v/sgns.py against docs/derivation.md.

* the analytic gradients, eqs. (10)-(12) and (17)-(19), against central finite
  differences of the losses;
* the in-place updates against an independent pure-Python implementation of
  the documented SGD step, eqs. (13)-(14) and (20)-(21), in the documented order;
* the CBOW convention: input-vector step = |C| x the exact gradient step;
* numerical stability of sigmoid / log_sigmoid.
"""

import math
import warnings

import numpy as np
import pytest

from w2v import sgns

V, D, K = 20, 10, 5
SEEDS = [0, 1, 2, 3, 4]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def random_model(seed, dtype=np.float32, scale=0.5):
    rng = np.random.default_rng(seed)
    W_in = (rng.standard_normal((V, D)) * scale).astype(dtype)
    W_out = (rng.standard_normal((V, D)) * scale).astype(dtype)
    return rng, W_in, W_out


def labels_for(n_targets):
    return np.array([1] + [0] * (n_targets - 1), dtype=np.float32)


def distinct_targets(rng, n=K + 1):
    return rng.choice(V, size=n, replace=False)


def central_difference(f, x, eps=1e-5):
    """Numerical gradient of the scalar function f() with respect to the
    float64 array x, which f reads and which is perturbed in place."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f()
        x[i] = old - eps
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def rel_err(numeric, analytic):
    return np.max(np.abs(numeric - analytic)) / max(np.max(np.abs(numeric)), 1e-12)


def py_sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def py_loss(v, us, labels):
    """Eq. (8) written out directly: -log s(s_c) - sum_k log s(-s_nk)."""
    total = 0.0
    for u, y in zip(us, labels):
        s = sum(a * b for a, b in zip(u, v))
        total -= math.log(py_sigmoid(s)) if y == 1 else math.log(py_sigmoid(-s))
    return total


def py_output_loop(W_out, x, targets, labels, eta):
    """The target loop of derivation 4.4 / 5.3 in plain Python floats.
    Updates the list-of-lists W_out in place; returns the buffer sum g_j u_j."""
    buf = [0.0] * len(x)
    for j, y in zip(targets, labels):
        u = W_out[j]
        s = sum(a * b for a, b in zip(u, x))
        g = py_sigmoid(s) - y
        for i in range(len(x)):
            buf[i] += g * u[i]
        for i in range(len(x)):
            u[i] -= eta * g * x[i]
    return buf


def py_skipgram_update(W_in, W_out, center, targets, labels, eta):
    W_in, W_out = W_in.astype(np.float64).tolist(), W_out.astype(np.float64).tolist()
    v = list(W_in[center])
    dv = py_output_loop(W_out, v, [int(t) for t in targets], [float(y) for y in labels], eta)
    W_in[center] = [v[i] - eta * dv[i] for i in range(len(v))]
    return np.array(W_in), np.array(W_out)


def py_cbow_update(W_in, W_out, context, targets, labels, eta):
    W_in, W_out = W_in.astype(np.float64).tolist(), W_out.astype(np.float64).tolist()
    n = len(context)
    h = [sum(W_in[c][i] for c in context) / n for i in range(D)]
    dh = py_output_loop(W_out, h, [int(t) for t in targets], [float(y) for y in labels], eta)
    for c in context:
        W_in[c] = [W_in[c][i] - eta * dh[i] for i in range(D)]
    return np.array(W_in), np.array(W_out)


def assert_only_rows_changed(before, after, rows):
    untouched = np.setdiff1d(np.arange(before.shape[0]), rows)
    np.testing.assert_array_equal(after[untouched], before[untouched])


# --------------------------------------------------------------------------
# sigmoid / log_sigmoid
# --------------------------------------------------------------------------

def test_sigmoid_and_log_sigmoid_match_definition():
    x = np.linspace(-20, 20, 81)
    np.testing.assert_allclose(sgns.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(sgns.log_sigmoid(x), -np.log1p(np.exp(-x)), rtol=1e-13)
    np.testing.assert_allclose(sgns.sigmoid(x) + sgns.sigmoid(-x), 1.0, rtol=1e-15)  # (2)
    assert sgns.sigmoid(0.0) == 0.5
    assert sgns.sigmoid(np.float32(1.5)).dtype == np.float32
    assert sgns.sigmoid(x.astype(np.float32)).dtype == np.float32
    assert sgns.log_sigmoid(x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_log_sigmoid_stable_at_extremes(dtype):
    x = np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            s = sgns.sigmoid(x)
            ls = sgns.log_sigmoid(x)
            s_scalars = [sgns.sigmoid(dtype(1000)), sgns.sigmoid(dtype(-1000))]
            ls_scalars = [sgns.log_sigmoid(dtype(1000)), sgns.log_sigmoid(dtype(-1000))]
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls))
    assert s[0] == 0.0 and s[-1] == 1.0
    assert 0.0 <= s[1] < 1e-40 and s[2] == 1.0
    assert s_scalars == [1.0, 0.0]
    # log sigma(x) -> x for x -> -inf, -> 0 for x -> +inf
    np.testing.assert_allclose(ls, [-1000.0, -100.0, 0.0, 0.0], atol=1e-30)
    assert ls_scalars == [0.0, -1000.0]
    assert s.dtype == dtype and ls.dtype == dtype


def test_losses_finite_for_huge_scores():
    v = np.full(D, 100.0, dtype=np.float32)
    u = np.ones((3, D), dtype=np.float32)          # s_j = 1000 for every target
    labels = np.array([1, 0, 0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = sgns.skipgram_loss(v, u, labels)
        g_v, g_u = sgns.skipgram_gradients(v, u, labels)
    # positive: -log s(1000) = 0; each negative: -log s(-1000) = 1000
    assert loss == pytest.approx(2000.0, rel=1e-6)
    assert np.all(np.isfinite(g_v)) and np.all(np.isfinite(g_u))
    np.testing.assert_array_equal(g_v, 2 * u[0])   # g = (0, 1, 1)


# --------------------------------------------------------------------------
# gradients vs finite differences
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_skipgram_gradients_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(D)
    u = rng.standard_normal((K + 1, D))
    labels = labels_for(K + 1).astype(np.float64)

    g_v, g_u = sgns.skipgram_gradients(v, u, labels)
    assert g_v.shape == (D,) and g_u.shape == (K + 1, D)

    loss = lambda: sgns.skipgram_loss(v, u, labels)
    assert rel_err(central_difference(loss, v), g_v) < 1e-6
    assert rel_err(central_difference(loss, u), g_u) < 1e-6


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("context", [[4], [3, 7, 11, 2], [3, 7, 3, 11, 5, 3]])
def test_cbow_gradients_match_finite_differences(seed, context):
    rng, W_in, _ = random_model(seed, dtype=np.float64, scale=1.0)
    context = np.array(context)
    u = rng.standard_normal((K + 1, D))
    labels = labels_for(K + 1).astype(np.float64)

    g_ctx, g_u = sgns.cbow_gradients(W_in, context, u, labels)
    assert g_ctx.shape == (len(context), D) and g_u.shape == (K + 1, D)

    def loss():
        h = W_in[context].mean(axis=0)   # (15), written independently
        return sgns.cbow_loss(h, u, labels)

    # d/dW_in: the gradient of a W_in row is the sum over its occurrences in C.
    numeric = central_difference(loss, W_in)
    for c in range(V):
        analytic = g_ctx[context == c].sum(axis=0) if np.any(context == c) else np.zeros(D)
        if np.any(context == c):
            assert rel_err(numeric[c], analytic) < 1e-6, c
        else:
            np.testing.assert_allclose(numeric[c], 0.0, atol=1e-9)
    assert rel_err(central_difference(loss, u), g_u) < 1e-6


def test_cbow_repeated_context_word_gets_gradient_per_occurrence():
    rng, W_in, _ = random_model(7, dtype=np.float64)
    u = rng.standard_normal((K + 1, D))
    labels = labels_for(K + 1)
    context = np.array([3, 8, 3])
    g_ctx, _ = sgns.cbow_gradients(W_in, context, u, labels)
    h = W_in[context].mean(axis=0)
    s = u @ h
    dL_dh = (1 / (1 + np.exp(-s)) - labels) @ u          # (10), (18)
    np.testing.assert_allclose(g_ctx, np.tile(dL_dh / 3, (3, 1)), rtol=1e-12)  # (19)


# --------------------------------------------------------------------------
# skip-gram update
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("duplicate_negative", [False, True])
def test_skipgram_update_is_the_documented_step(seed, duplicate_negative):
    rng, W_in, W_out = random_model(seed)
    center = int(rng.integers(V))
    targets = distinct_targets(rng)
    if duplicate_negative:
        targets[4] = targets[2]            # the same negative drawn twice
    targets[1] = center                    # centre id may appear in W_out rows
    labels = labels_for(len(targets))
    eta = 0.5                              # large, so that orderings differ visibly
    W_in0, W_out0 = W_in.copy(), W_out.copy()

    loss = sgns.skipgram_update(W_in, W_out, center, targets, labels, eta)

    ref_in, ref_out = py_skipgram_update(W_in0, W_out0, center, targets, labels, eta)
    np.testing.assert_allclose(W_in, ref_in, rtol=0, atol=2e-5)
    np.testing.assert_allclose(W_out, ref_out, rtol=0, atol=2e-5)
    assert W_in.dtype == np.float32 and W_out.dtype == np.float32
    assert_only_rows_changed(W_in0, W_in, [center])
    assert_only_rows_changed(W_out0, W_out, targets)

    assert isinstance(loss, float)
    expected = py_loss(W_in0[center].tolist(), W_out0[targets].tolist(), labels)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_skipgram_duplicate_negative_is_sequential_not_simultaneous():
    """With a repeated negative, the second occurrence must see the u_j moved by
    the first (derivation 4.4); a simultaneous step gives a different result."""
    rng, W_in, W_out = random_model(11)
    center = 0
    targets = np.array([1, 2, 3, 2])
    labels = labels_for(4)
    eta = 0.5
    W_in0, W_out0 = W_in.copy(), W_out.copy()
    sgns.skipgram_update(W_in, W_out, center, targets, labels, eta)

    # simultaneous step: all gradients at the starting point
    g_v, g_u = sgns.skipgram_gradients(W_in0[center].astype(np.float64),
                                       W_out0[targets].astype(np.float64), labels)
    simultaneous_u2 = W_out0[2] - eta * (g_u[1] + g_u[3])
    assert np.max(np.abs(W_out[2] - simultaneous_u2)) > 1e-3

    ref_in, ref_out = py_skipgram_update(W_in0, W_out0, center, targets, labels, eta)
    np.testing.assert_allclose(W_out[2], ref_out[2], atol=2e-5)
    np.testing.assert_allclose(W_in[center], ref_in[center], atol=2e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_skipgram_update_with_distinct_targets_is_a_gradient_step(seed):
    rng, W_in, W_out = random_model(seed)
    center = int(rng.integers(V))
    targets = distinct_targets(rng)
    labels = labels_for(K + 1)
    eta = 0.3
    W_in0, W_out0 = W_in.copy(), W_out.copy()
    g_v, g_u = sgns.skipgram_gradients(W_in0[center].astype(np.float64),
                                       W_out0[targets].astype(np.float64), labels)
    sgns.skipgram_update(W_in, W_out, center, targets, labels, eta)
    np.testing.assert_allclose(W_in[center], W_in0[center] - eta * g_v, atol=2e-6)   # (14)
    np.testing.assert_allclose(W_out[targets], W_out0[targets] - eta * g_u, atol=2e-6)  # (13)


@pytest.mark.parametrize("seed", SEEDS)
def test_small_skipgram_step_decreases_loss(seed):
    rng, W_in, W_out = random_model(seed)
    center = int(rng.integers(V))
    targets = distinct_targets(rng)
    labels = labels_for(K + 1)
    before = sgns.skipgram_loss(W_in[center].astype(np.float64),
                                W_out[targets].astype(np.float64), labels)
    returned = sgns.skipgram_update(W_in, W_out, center, targets, labels, 1e-2)
    after = sgns.skipgram_loss(W_in[center].astype(np.float64),
                               W_out[targets].astype(np.float64), labels)
    assert returned == pytest.approx(before, rel=1e-6)
    assert after < before - 1e-4


# --------------------------------------------------------------------------
# CBOW update
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("context", [[5], [2, 9, 14, 6], [2, 9, 2, 6, 2]])
@pytest.mark.parametrize("duplicate_negative", [False, True])
def test_cbow_update_is_the_documented_step(seed, context, duplicate_negative):
    rng, W_in, W_out = random_model(seed)
    context = np.array(context)
    targets = distinct_targets(rng)
    if duplicate_negative:
        targets[5] = targets[3]
    labels = labels_for(len(targets))
    eta = 0.5
    W_in0, W_out0 = W_in.copy(), W_out.copy()

    loss = sgns.cbow_update(W_in, W_out, context, targets, labels, eta)

    ref_in, ref_out = py_cbow_update(W_in0, W_out0, context.tolist(), targets, labels, eta)
    np.testing.assert_allclose(W_in, ref_in, rtol=0, atol=2e-5)
    np.testing.assert_allclose(W_out, ref_out, rtol=0, atol=2e-5)
    assert W_in.dtype == np.float32 and W_out.dtype == np.float32
    assert_only_rows_changed(W_in0, W_in, context)
    assert_only_rows_changed(W_out0, W_out, targets)

    assert isinstance(loss, float)
    h = W_in0[context].astype(np.float64).mean(axis=0)
    expected = py_loss(h.tolist(), W_out0[targets].tolist(), labels)
    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("context", [[2, 9, 14, 6], [2, 9, 2, 6, 2], [13]])
def test_cbow_input_step_is_C_times_exact_gradient_step(seed, context):
    """Derivation (21) vs (19): each context row moves by |C| x (-eta x exact
    per-row gradient), summed over the row's occurrences in C."""
    rng, W_in, W_out = random_model(seed)
    context = np.array(context)
    targets = distinct_targets(rng)
    labels = labels_for(K + 1)
    eta = 0.1
    W_in0 = W_in.copy()
    g_ctx, g_u = sgns.cbow_gradients(W_in0.astype(np.float64), context,
                                     W_out[targets].astype(np.float64), labels)
    W_out0 = W_out.copy()

    sgns.cbow_update(W_in, W_out, context, targets, labels, eta)

    n = len(context)
    for c in np.unique(context):
        exact_step = -eta * g_ctx[context == c].sum(axis=0)
        actual_step = W_in[c].astype(np.float64) - W_in0[c]
        np.testing.assert_allclose(actual_step, n * exact_step, rtol=1e-4, atol=1e-6)
        if n > 1:   # and it is really not the plain gradient step
            assert np.max(np.abs(actual_step - exact_step)) > 1e-3
    # output vectors take the plain gradient step (20)
    np.testing.assert_allclose(W_out[targets], W_out0[targets] - eta * g_u, atol=2e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_small_cbow_step_decreases_loss(seed):
    rng, W_in, W_out = random_model(seed)
    context = np.array([1, 4, 1, 8])
    targets = distinct_targets(rng)
    labels = labels_for(K + 1)

    def loss_now():
        h = W_in[context].astype(np.float64).mean(axis=0)
        return sgns.cbow_loss(h, W_out[targets].astype(np.float64), labels)

    before = loss_now()
    returned = sgns.cbow_update(W_in, W_out, context, targets, labels, 1e-2)
    after = loss_now()
    assert returned == pytest.approx(before, rel=1e-6)
    assert after < before - 1e-4


def test_cbow_rejects_empty_context():
    _, W_in, W_out = random_model(0)
    with pytest.raises(ValueError):
        sgns.cbow_update(W_in, W_out, [], [1, 2], [1, 0], 0.1)
