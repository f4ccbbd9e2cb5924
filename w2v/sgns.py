"""Readable NumPy reference for one SGD step of skip-gram and CBOW with
negative sampling (SGNS).

Each function follows the hand derivation in ``docs/derivation.md`` line by
line, with the same names (``W_in``, ``W_out``, ``v``, ``h``, ``u_j``, ``s_j``,
``g_j``, ``eta``); the comments cite its equation numbers as ``(n)``.

This module is the specification the fast kernels in ``w2v/kernels.py`` are
tested against, not the code that trains: it favours clarity over speed. The
loop over targets is written out on purpose, because its order is part of the
definition of the update (derivation, Section 4.4); only the element-wise work
on one d-vector is vectorised, which gives the same result as a scalar loop.

Arithmetic happens in the dtype of the arrays passed in (float32 for the model
matrices, like the kernels); losses are returned as Python floats.
"""

import numpy as np

# Scores are clamped to [-MAX_SCORE, MAX_SCORE] before forming a gradient
# (derivation, Section 2). In float32 this changes g by less than e^-30.
MAX_SCORE = 30.0


def _as_float_array(x):
    """``x`` as a NumPy array; integers and bools become float64."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def sigmoid(x):
    """Logistic function sigma(x) = 1 / (1 + e^-x), eq. (1).

    Evaluated with the stable form (5), which only exponentiates -|x| <= 0, so
    it neither overflows nor warns for any finite x. Works on scalars and
    arrays and keeps a floating dtype (float32 stays float32).
    """
    x = _as_float_array(x)
    e = np.exp(-np.abs(x))  # in (0, 1]
    one = x.dtype.type(1)
    # x >= 0: 1 / (1 + e^-x);  x < 0: e^x / (1 + e^x), both with e = e^-|x|   (5)
    out = np.where(x >= 0, one / (one + e), e / (one + e))
    return out.astype(x.dtype, copy=False)[()]


def log_sigmoid(x):
    """log sigma(x) = -log(1 + e^-x) = min(x, 0) - log(1 + e^-|x|), eq. (5).

    Finite for every finite x: log_sigmoid(-1000) == -1000, log_sigmoid(1000) == 0.
    """
    x = _as_float_array(x)
    out = np.minimum(x, x.dtype.type(0)) - np.log1p(np.exp(-np.abs(x)))  # (5)
    return out.astype(x.dtype, copy=False)[()]


def _score_gradient(s, y):
    """g = sigma(s) - y, eq. (10), with s clamped to +-MAX_SCORE (Section 2)."""
    s = np.asarray(s)
    s = np.clip(s, -MAX_SCORE, MAX_SCORE).astype(s.dtype, copy=False)
    return (sigmoid(s) - y).astype(s.dtype, copy=False)[()]


# --------------------------------------------------------------------------
# Skip-gram (derivation, Section 4)
# --------------------------------------------------------------------------

def skipgram_loss(v, u_targets, labels):
    """Loss (8)/(9) of one (centre, context) pair.

    v:          (d,) input vector of the centre word, v = W_in[w]          (7)
    u_targets:  (K+1, d) output vectors u_j of the targets, positive first
    labels:     (K+1,) y_j: 1 for the positive, 0 for each negative
    """
    v = np.asarray(v)
    u_targets = np.asarray(u_targets)
    y = np.asarray(labels, dtype=v.dtype)
    s = u_targets @ v  # s_j = u_j . v                                  (7)
    # L = sum_j -[y_j log sigma(s_j) + (1 - y_j) log sigma(-s_j)]        (9)
    terms = -(y * log_sigmoid(s) + (1 - y) * log_sigmoid(-s))
    return float(np.sum(terms))


def skipgram_gradients(v, u_targets, labels):
    """Exact gradients of the loss (9) at the given point.

    Returns ``(dL/dv, dL/du_targets)`` with shapes (d,) and (K+1, d). Row j of
    the second array is the gradient for the j-th target; if a word id occurs
    twice among the targets, the gradient for its W_out row is the sum of its
    rows.
    """
    v = np.asarray(v)
    u_targets = np.asarray(u_targets)
    y = np.asarray(labels, dtype=v.dtype)
    s = u_targets @ v                  # s_j = u_j . v                  (7)
    g = _score_gradient(s, y)          # g_j = sigma(s_j) - y_j         (10)
    dL_du = np.outer(g, v)             # dL/du_j = g_j v                (11)
    dL_dv = g @ u_targets              # dL/dv = sum_j g_j u_j          (12)
    return dL_dv.astype(v.dtype, copy=False), dL_du.astype(v.dtype, copy=False)


def skipgram_update(W_in, W_out, center, targets, labels, eta):
    """One in-place SGD step, (13)-(14), for the pair (center, targets[0]).

    W_in, W_out: (V, d) matrices, modified in place (rows W_in[center] and
                 W_out[targets]; nothing else).
    center:      id of the word whose input vector is v = W_in[center].
    targets:     ids, the positive word first, then the negatives (negatives
                 equal to the positive already removed by the caller). An id
                 may occur more than once among the negatives.
    labels:      y_j for each target (1, then 0s).
    eta:         learning rate.

    The targets are processed one at a time, in order, exactly like the scalar
    kernel (derivation, Section 4.4):

        dv = 0
        for each target j:
            s_j  = u_j . v          with the CURRENT u_j        (7)
            g_j  = sigma(s_j) - y_j                             (10)
            dv  += g_j * u_j        u_j BEFORE its update       (12)
            u_j -= eta * g_j * v                                (13)
        v -= eta * dv                                           (14)

    With distinct targets this is the plain gradient step; a repeated negative
    sees the u_j already moved by its earlier occurrence (as in word2vec C).

    Returns the loss (8) at the point before the step.
    """
    targets = np.asarray(targets, dtype=np.intp)
    dtype = W_in.dtype
    y = np.asarray(labels, dtype=dtype)
    eta = dtype.type(eta)

    v = W_in[center].copy()            # v = W_in[w]                    (7)
    loss = skipgram_loss(v, W_out[targets], y)  # before any change     (8)

    dv = np.zeros_like(v)              # buffer for dL/dv               (12)
    for j, y_j in zip(targets, y):
        u_j = W_out[j]                 # a view: updating it updates W_out
        s_j = dtype.type(u_j @ v)      # (7), current u_j
        g_j = _score_gradient(s_j, y_j)  # (10)
        dv += g_j * u_j                # (12), u_j before its update
        u_j -= (eta * g_j) * v         # (13)
    W_in[center] = v - eta * dv        # (14)
    return loss


# --------------------------------------------------------------------------
# CBOW (derivation, Section 5)
# --------------------------------------------------------------------------

def _context_mean(W_in, context):
    """h = (1/|C|) sum_{c in C} W_in[c], eq. (15); rows added in order."""
    context = np.asarray(context, dtype=np.intp)
    if context.size == 0:
        raise ValueError("CBOW needs at least one context word (|C| >= 1)")
    h = np.zeros(W_in.shape[1], dtype=W_in.dtype)
    for c in context:
        h += W_in[c]
    return h / W_in.dtype.type(len(context))


def cbow_loss(h, u_targets, labels):
    """Loss (9) with scores s_j = u_j . h, eq. (16).

    h:          (d,) mean of the context input vectors, eq. (15)
    u_targets:  (K+1, d) output vectors, the centre word first, then negatives
    labels:     (K+1,) 1 then 0s
    """
    # Same function of (input vector, targets) as skip-gram, with h for v.
    return skipgram_loss(h, u_targets, labels)


def cbow_gradients(W_in, context, u_targets, labels):
    """Exact gradients of the CBOW loss at the given point.

    Returns ``(dL/dW_in[context], dL/du_targets)`` with shapes (|C|, d) and
    (K+1, d). Row i of the first array is the contribution of the i-th
    position of ``context``, eq. (19); a word occurring twice in ``context``
    has two rows, and its total gradient is their sum.
    """
    context = np.asarray(context, dtype=np.intp)
    u_targets = np.asarray(u_targets)
    h = _context_mean(W_in, context)  # (15)
    y = np.asarray(labels, dtype=h.dtype)
    s = u_targets @ h                  # s_j = u_j . h                  (16)
    g = _score_gradient(s, y)          # g_j = sigma(s_j) - y_j         (10)
    dL_du = np.outer(g, h)             # dL/du_j = g_j h                (17)
    dL_dh = g @ u_targets              # dL/dh = sum_j g_j u_j          (18)
    # dL/dW_in[c] = (1/|C|) dL/dh for each occurrence of c               (19)
    dL_dctx = np.tile(dL_dh / h.dtype.type(len(context)), (len(context), 1))
    return dL_dctx.astype(h.dtype, copy=False), dL_du.astype(h.dtype, copy=False)


def cbow_update(W_in, W_out, context, targets, labels, eta):
    """One in-place CBOW step, (20)-(21), predicting targets[0] from context.

    W_in, W_out: (V, d) matrices, modified in place (rows W_in[context] and
                 W_out[targets]; nothing else).
    context:     ids of the window words, |C| >= 1; repeats allowed.
    targets:     the centre word first, then the negatives (negatives equal to
                 the centre word already removed by the caller).
    labels:      1, then 0s.
    eta:         learning rate.

    Order of operations (derivation, Section 5.3):

        h = mean of W_in[context]                               (15)
        dh = 0
        for each target j:
            s_j  = u_j . h          with the CURRENT u_j        (16)
            g_j  = sigma(s_j) - y_j                             (10)
            dh  += g_j * u_j        u_j BEFORE its update       (18)
            u_j -= eta * g_j * h                                (20)
        for each c in context, in order, once per occurrence:
            W_in[c] -= eta * dh                                 (21)

    Step (21) is the word2vec C / gensim (cbow_mean=1) convention: NOT divided
    by |C|, i.e. |C| times the exact gradient step of (19).

    Returns the loss at the point before the step.
    """
    context = np.asarray(context, dtype=np.intp)
    targets = np.asarray(targets, dtype=np.intp)
    dtype = W_in.dtype
    y = np.asarray(labels, dtype=dtype)
    eta = dtype.type(eta)

    h = _context_mean(W_in, context)   # (15)
    loss = cbow_loss(h, W_out[targets], y)  # before any change

    dh = np.zeros_like(h)              # buffer for dL/dh               (18)
    for j, y_j in zip(targets, y):
        u_j = W_out[j]                 # a view: updating it updates W_out
        s_j = dtype.type(u_j @ h)      # (16), current u_j
        g_j = _score_gradient(s_j, y_j)  # (10)
        dh += g_j * u_j                # (18), u_j before its update
        u_j -= (eta * g_j) * h         # (20)
    step = eta * dh
    for c in context:                  # (21), once per occurrence
        W_in[c] -= step
    return loss


# --------------------------------------------------------------------------
# Minibatched steps (derivation, Sections 4.6 and 5.4)
# --------------------------------------------------------------------------

def minibatch_loss(X, U, labels):
    """Loss (29) of a minibatch: every input row x_b of X (B, d) against every
    target row u_t of U (T, d), L = sum_b sum_t l(x_b . u_t, y_t)."""
    X, U = np.asarray(X), np.asarray(U)
    y = np.asarray(labels, dtype=X.dtype)
    S = X @ U.T                                                  # (29)
    return float(np.sum(-(y * log_sigmoid(S) + (1 - y) * log_sigmoid(-S))))


def minibatch_gradients(X, U, labels):
    """Exact gradients of (29): ``(dL/dX, dL/dU) = (G U, G^T X)`` with
    G = sigma(X U^T) - Y, eqs. (30)-(32)."""
    X, U = np.asarray(X), np.asarray(U)
    y = np.asarray(labels, dtype=X.dtype)
    G = _score_gradient(X @ U.T, y[None, :])                     # (30)
    return (G @ U).astype(X.dtype, copy=False), (G.T @ X).astype(X.dtype, copy=False)


def skipgram_minibatch_update(W_in, W_out, inputs, targets, labels, eta):
    """One minibatch step, (33): rows W_in[inputs] against W_out[targets], all
    scores and gradients taken at the snapshot, then the updates added back;
    a row that occurs twice (a repeated context word or noise word) gets the
    sum of its updates. Returns the loss (29) before the step."""
    inputs = np.asarray(inputs, dtype=np.intp)
    targets = np.asarray(targets, dtype=np.intp)
    eta = W_in.dtype.type(eta)
    X, U = W_in[inputs], W_out[targets]                          # the snapshot (copies)
    loss = minibatch_loss(X, U, labels)
    dX, dU = minibatch_gradients(X, U, labels)
    np.subtract.at(W_in, inputs, eta * dX)                       # (33)
    np.subtract.at(W_out, targets, eta * dU)
    return loss


def _cbow_group(W_in, W_out, contexts, centres, noise):
    """The snapshot of a CBOW group: the context means H (M, d), for each
    member its targets (its centre word, then the shared noise words), their
    rows, labels and mask (0 for a noise word equal to that member's centre)."""
    H = np.stack([_context_mean(W_in, c) for c in contexts])     # (15) per member
    noise = np.asarray(noise, dtype=np.intp)
    targets = np.array([[w, *noise] for w in centres], dtype=np.intp)  # (M, K+1)
    labels = np.zeros(targets.shape, dtype=W_in.dtype)
    labels[:, 0] = 1
    mask = np.ones(targets.shape, dtype=W_in.dtype)
    mask[:, 1:] = noise[None, :] != np.asarray(centres)[:, None]
    return H, targets, labels, mask


def cbow_group_loss(W_in, W_out, contexts, centres, noise):
    """Loss (34) of a CBOW group: sum over members c and their kept targets t
    of l(u_t . h_c, y_t)."""
    H, targets, labels, mask = _cbow_group(W_in, W_out, contexts, centres, noise)
    S = np.einsum("ctd,cd->ct", W_out[targets], H)
    terms = -(labels * log_sigmoid(S) + (1 - labels) * log_sigmoid(-S))
    return float(np.sum(mask * terms))


def cbow_group_gradients(W_in, W_out, contexts, centres, noise):
    """Exact gradients of (34) with respect to the whole matrices:
    ``(dL/dW_in, dL/dW_out)``, each (V, d), eqs. (35)-(37) and (19)."""
    H, targets, labels, mask = _cbow_group(W_in, W_out, contexts, centres, noise)
    U = W_out[targets]                                           # (M, K+1, d)
    G = mask * _score_gradient(np.einsum("ctd,cd->ct", U, H), labels)  # (35)
    dH = np.einsum("ct,ctd->cd", G, U)                           # (36)
    d_in, d_out = np.zeros_like(W_in), np.zeros_like(W_out)
    for c, context in enumerate(contexts):
        np.add.at(d_in, np.asarray(context, dtype=np.intp), dH[c] / len(context))  # (19)
    np.add.at(d_out, targets.ravel(), (G[:, :, None] * H[:, None, :]).reshape(-1, H.shape[1]))  # (37)
    return d_in, d_out


def cbow_minibatch_update(W_in, W_out, contexts, centres, noise, eta):
    """One CBOW group step, (38): from the snapshot, every output row takes
    -eta G^T H and every context occurrence of member c takes -eta dH_c (the
    word2vec convention of (21), |C_c| times the exact gradient step).
    Returns the loss (34) before the step."""
    eta = W_in.dtype.type(eta)
    H, targets, labels, mask = _cbow_group(W_in, W_out, contexts, centres, noise)
    loss = cbow_group_loss(W_in, W_out, contexts, centres, noise)
    U = W_out[targets]
    G = mask * _score_gradient(np.einsum("ctd,cd->ct", U, H), labels)
    dH = np.einsum("ct,ctd->cd", G, U)
    np.subtract.at(W_out, targets.ravel(), eta * (G[:, :, None] * H[:, None, :]).reshape(-1, H.shape[1]))
    for c, context in enumerate(contexts):
        np.subtract.at(W_in, np.asarray(context, dtype=np.intp), eta * dH[c])
    return loss


# --------------------------------------------------------------------------
# Hierarchical softmax (derivation, Section 11)
# --------------------------------------------------------------------------

def hs_loss(x, u_path, codes):
    """Loss (39) of one word given the input x: the path's node vectors
    ``u_path`` (L, d), root first, and its code bits ``codes`` (L,)."""
    x, u_path = np.asarray(x), np.asarray(u_path)
    d = np.asarray(codes, dtype=x.dtype)
    s = u_path @ x                                        # s_j = u_j . x   (39)
    return float(np.sum(-log_sigmoid((1 - 2 * d) * s)))   # (39)


def hs_gradients(x, u_path, codes):
    """Exact gradients of (39): ``(dL/dx, dL/du_path)``, (d,) and (L, d)."""
    x, u_path = np.asarray(x), np.asarray(u_path)
    t = 1 - np.asarray(codes, dtype=x.dtype)              # label t_j = 1 - d_j  (40)
    g = _score_gradient(u_path @ x, t)                    # g_j = sigma(s_j) - t_j  (41)
    return (g @ u_path).astype(x.dtype, copy=False), np.outer(g, x).astype(x.dtype, copy=False)  # (42)


def _hs_steps(W_hs, points, codes, x, eta, dx):
    """Step every node of a path, root first (43): u_j -= eta g_j x, adding
    g_j u_j (u_j before its update) to ``dx``. Returns the loss (39)."""
    loss = hs_loss(x, W_hs[np.asarray(points, dtype=np.intp)], codes)
    for p, d in zip(points, codes):
        u_j = W_hs[p]                                     # a view into W_hs
        g_j = _score_gradient(x.dtype.type(u_j @ x), x.dtype.type(1 - d))  # (41)
        dx += g_j * u_j                                   # (42)
        u_j -= (eta * g_j) * x                            # (43)
    return loss


def _ns_steps(W_out, targets, labels, x, eta, dx):
    """The negative-sampling loop of (12)-(13) on input x, adding to ``dx``."""
    targets = np.asarray(targets, dtype=np.intp)
    y = np.asarray(labels, dtype=x.dtype)
    loss = skipgram_loss(x, W_out[targets], y)
    for j, y_j in zip(targets, y):
        u_j = W_out[j]
        g_j = _score_gradient(x.dtype.type(u_j @ x), y_j)  # (10)
        dx += g_j * u_j                                    # (12)
        u_j -= (eta * g_j) * x                             # (13)
    return loss


def skipgram_hs_update(W_in, W_hs, context, points, codes, eta, W_out=None, targets=(),
                       labels=()):
    """One in-place skip-gram step with hierarchical softmax, (43): the input
    vector of ``context`` against the path (``points``, ``codes``) of the
    centre word; with ``W_out``, also against ``targets`` by negative
    sampling (both losses summed; the negative-sampling loop first, as the
    kernel). Returns the loss before the step."""
    dtype = W_in.dtype
    eta = dtype.type(eta)
    v = W_in[context].copy()
    dv = np.zeros_like(v)
    loss = 0.0
    if W_out is not None and len(targets):
        loss += _ns_steps(W_out, targets, labels, v, eta, dv)
    loss += _hs_steps(W_hs, points, codes, v, eta, dv)
    W_in[context] = v - eta * dv                          # (43)
    return loss


def cbow_hs_update(W_in, W_hs, context, points, codes, eta, W_out=None, targets=(), labels=()):
    """One in-place CBOW step with hierarchical softmax, (44): the mean h of
    the ``context`` rows against the centre word's path (and ``targets`` by
    negative sampling with ``W_out``); each context occurrence then takes
    -eta dL/dh. Returns the loss before the step."""
    eta = W_in.dtype.type(eta)
    h = _context_mean(W_in, context)                      # (15)
    dh = np.zeros_like(h)
    loss = 0.0
    if W_out is not None and len(targets):
        loss += _ns_steps(W_out, targets, labels, h, eta, dh)
    loss += _hs_steps(W_hs, points, codes, h, eta, dh)
    step = eta * dh
    for c in np.asarray(context, dtype=np.intp):          # (44), once per occurrence
        W_in[c] -= step
    return loss
