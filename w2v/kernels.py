"""The compiled hot loop: SGD with negative sampling over a batch of sentences.

The same equations as the NumPy reference (w2v/sgns.py, docs/derivation.md),
written as scalar loops that numba compiles to machine code: float32 vectors,
no Python objects, no allocation, the GIL released so that several threads can
train at once on shared matrices (Hogwild, Recht et al. 2011).

Threads that share W_out keep stealing each other's cache lines for the
output rows of the most frequent words, which nearly every update touches: on
this project's 2-core machine that halved a second thread's gain. So each
thread may work on private copies of those rows (``hot_rows``) and add what
it changed to the shared matrix every ``MERGE_WORDS`` words (Hogwild's stale
reads, made explicit and bounded; docs/derivation.md, section 9).

A batch is a flat array of word ids with the end offset of each sentence.
The draws (subsampling, window, negatives) come from w2v/sampling.py in a fixed
order that w2v/reference.py repeats, so both can be compared update for update.
"""

import math

import numpy as np
from numba import njit

from . import spinlock
from .prefetch import prefetch_row
from .sampling import draw_alias, random_below, random_unit

# Fast-math lets LLVM vectorise the dot products (reassoc), fuse multiply-adds
# (contract), use reciprocals and fast exp/log (arcp, afn) and ignore the sign
# of zero (nsz). Not 'nnan' and 'ninf', which fastmath=True would add: they let
# LLVM assume that no value is ever NaN or infinite, and then fold away
# exactly the comparisons that must see one: with numba 0.68, under them a
# NaN score passed the table's range test below (in a function with just that
# test) and int(NaN) gave the index -2**63, and math.isnan(NaN) was False. A
# run that diverges must stay visible: its loss becomes NaN and the trainer
# stops it (TrainingDivergedError).
FAST_MATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

# Scores are clamped so exp() stays finite in float32; at |s| = 30 the
# logistic is 1 or 0 to float32 precision, so the gradient is unchanged.
MAX_SCORE = np.float32(30.0)

# exp() and log1p() per target cost as much as the dot products, so for the
# common scores, |s| < 8, sigma(s) and -log sigma(s) are read from tables with
# linear interpolation (step 1/128: error < 2e-6, far below the noise of SGD;
# word2vec C instead rounds to a 1000-entry table over [-6, 6] and saturates
# beyond). Outside that range the exact formulas are used.
TABLE_MAX = 8.0
TABLE_STEPS = 128  # entries per unit of s
_grid = -TABLE_MAX + np.arange(int(2 * TABLE_MAX * TABLE_STEPS) + 2) / TABLE_STEPS
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_grid))).astype(np.float32)
NEG_LOG_SIGMOID_TABLE = np.log1p(np.exp(-_grid)).astype(np.float32)
TABLE_LAST_START = len(_grid) - 2  # the last t for which entries t and t + 1 exist
del _grid


@njit(nogil=True, fastmath=FAST_MATH, cache=True, inline="always")
def _sigmoid_and_loss(s):
    """sigma(s) and -log sigma(s) (eqs. 1, 5), from the tables where they reach.
    A NaN score gives NaN for both, an infinite one the limits."""
    if -TABLE_MAX < s < TABLE_MAX:  # False for NaN
        x = (s + np.float32(TABLE_MAX)) * np.float32(TABLE_STEPS)
        # For every s that passes the test int(x) is in [0, TABLE_LAST_START]
        # (s just below 8 rounds to x = 2048, hence the table's second extra
        # entry); the clamp costs two integer compares and keeps the index
        # inside the tables whatever int(x) returns.
        t = min(max(int(x), 0), TABLE_LAST_START)
        f = x - np.float32(t)
        sig = SIGMOID_TABLE[t] + f * (SIGMOID_TABLE[t + 1] - SIGMOID_TABLE[t])
        nls = NEG_LOG_SIGMOID_TABLE[t] + f * (NEG_LOG_SIGMOID_TABLE[t + 1] - NEG_LOG_SIGMOID_TABLE[t])
        return sig, nls
    # Outside the tables: sigma from the score clamped to +-30 (exp stays
    # finite; the logistic is 0 or 1 there to float32 precision), and
    # -log sigma(s) = max(-s, 0) + log(1 + e^-|s|) exactly (eq. 5), which is
    # finite for every finite s and needs no clamp: clamping it as well would
    # report 30 where the loss is 100, and -70 for a noise word's term.
    c = min(max(s, -MAX_SCORE), MAX_SCORE)  # NaN stays NaN: min and max keep their first argument
    nls = max(-s, np.float32(0.0)) + math.log1p(math.exp(-abs(s)))
    return np.float32(1.0 / (1.0 + math.exp(-c))), np.float32(nls)


# How many corpus words a thread trains between merges of its hot rows: often
# enough that the others see its updates within milliseconds, seldom enough
# that merging costs about 1% of the time.
MERGE_WORDS = 10_000


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def load_hot_rows(W_out, hot_rows):
    """Copy W_out's first H rows (the most frequent words) into the working
    copies ``hot_rows[0]`` and the snapshot ``hot_rows[1]``, both (H, d)."""
    for r in range(hot_rows.shape[1]):
        for x in range(W_out.shape[1]):
            hot_rows[0, r, x] = hot_rows[1, r, x] = W_out[r, x]


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def merge_hot_rows(W_out, hot_rows, merge_lock):
    """Add this thread's changes since the last merge (working copy minus
    snapshot) to the shared rows, keeping what other threads added meanwhile,
    then start again from the merged rows (eq. 25).

    The read-modify-write of the shared rows is done holding ``merge_lock``
    (w2v/spinlock.py), shared by all threads that merge into ``W_out``:
    without it, two threads merging at once could both read a row before
    either wrote it, and the second write would erase the first thread's
    change. Returns how often the lock was found held (0 uncontended)."""
    if hot_rows.shape[1] == 0:
        return 0
    spins = spinlock.acquire(merge_lock)
    for r in range(hot_rows.shape[1]):
        for x in range(W_out.shape[1]):
            W_out[r, x] += hot_rows[0, r, x] - hot_rows[1, r, x]
            hot_rows[0, r, x] = hot_rows[1, r, x] = W_out[r, x]
    spinlock.release(merge_lock)
    return spins


@njit(nogil=True, cache=True, inline="always")
def _output_row(W_out, hot_rows, word):
    """The row this thread updates for ``word``: its private copy if ``word``
    is among the hot rows, otherwise the shared row."""
    return hot_rows[0, word] if word < hot_rows.shape[1] else W_out[word]


@njit(nogil=True, cache=True, inline="always")
def _prefetch_output(W_out, hot_rows, word):
    if word >= hot_rows.shape[1]:  # private copies are small and stay in cache
        prefetch_row(W_out, word)


@njit(nogil=True, cache=True, inline="always")
def _draw_noise(noise, state, accept, alias):
    """Fill ``noise`` with words drawn from the noise distribution (eq. 6)."""
    for k in range(noise.shape[0]):
        noise[k] = draw_alias(state, accept, alias)


@njit(nogil=True, fastmath=FAST_MATH, cache=True, inline="always")
def _negative_sampling_step(v, W_out, hot_rows, positive, noise, eta, dv):
    """Score ``v`` against the positive word and the ``noise`` words, update
    their output rows (eq. 13 of docs/derivation.md), and leave dL/dv (eq. 12)
    in ``dv`` for the caller to apply. Returns the loss before the step (eq. 8)."""
    dim = v.shape[0]
    _prefetch_output(W_out, hot_rows, positive)  # all rows load at once, not one after another
    for k in range(noise.shape[0]):
        _prefetch_output(W_out, hot_rows, noise[k])
    dv[:] = 0.0
    loss = 0.0
    for k in range(noise.shape[0] + 1):
        if k == 0:
            target, label = positive, np.float32(1.0)
        else:
            target = noise[k - 1]
            if target == positive:
                continue  # as word2vec: a positive drawn as noise is skipped
            label = np.float32(0.0)
        u = _output_row(W_out, hot_rows, target)
        s = np.float32(0.0)
        for i in range(dim):
            s += u[i] * v[i]
        sig, neg_log_sig = _sigmoid_and_loss(s)
        g = sig - label  # g_j = sigma(s_j) - y_j  (eq. 10)
        # l(s_j, y_j) of eq. 9: -log sigma(s), or -log sigma(-s) = s - log sigma(s) by eq. 2,
        # with the same, unclamped s in both terms
        loss += neg_log_sig + (1.0 - label) * s
        for i in range(dim):
            dv[i] += g * u[i]  # dL/dv accumulates u_j before its update (eq. 12)
            u[i] -= eta * g * v[i]  # u_j <- u_j - eta g_j v  (eqs. 11, 13)
    return loss


@njit(nogil=True, cache=True)
def _subsample(ids, start, end, keep_prob, state, kept):
    """Copy the words of ids[start:end] that survive subsampling into ``kept``."""
    m = 0
    for i in range(start, end):
        word = ids[i]
        if keep_prob[word] < 1.0 and random_unit(state) >= keep_prob[word]:
            continue
        kept[m] = word
        m += 1
    return m


@njit(nogil=True, cache=True, inline="always")
def _window(i, m, window, shrink, state):
    """Bounds [lo, hi) of centre word i's window in a sentence of m kept words:
    a dynamic window of 1..window words each side (eq. 24), or all of it
    (item2vec baskets)."""
    b = 1 + random_below(state, window) if shrink else window
    return max(0, i - b), min(m, i + b + 1)


@njit(nogil=True, cache=True, inline="always")
def _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end, W_out, hot_rows,
                    merge_lock):
    """What both kernels do first for the sentence ids[start:end]: merge the
    hot rows when it passes a multiple of ``MERGE_WORDS`` words into the batch,
    then return the learning rate at its first word (linear over the batch)
    and how many of its words survive subsampling (now in ``kept``)."""
    if start // MERGE_WORDS != end // MERGE_WORDS:
        merge_hot_rows(W_out, hot_rows, merge_lock)
    eta = np.float32(eta_start + (eta_end - eta_start) * start / max(ids.shape[0], 1))
    return eta, _subsample(ids, start, end, keep_prob, state, kept)


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def _train_skipgram(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                    window, shrink, share_noise, eta_start, eta_end, state, kept, noise, dv,
                    hot_rows, merge_lock):
    """Skip-gram over one batch: every (centre, context) pair in a dynamic window.

    Parameters
    ----------
    W_in, W_out : float32 (V, d), updated in place.
    ids : int32 (n,), the batch's word ids; sentence_ends : int64, end offsets.
    keep_prob : float32 (V,), subsampling; accept, alias : the noise alias table.
    window : largest context distance; shrink : draw each centre word's window
    from 1..window (word2vec), or always use all of it (item2vec baskets).
    share_noise : draw the noise words once per centre word and use them for
    all its context words (Ji et al. 2016), instead of once per pair: the
    output rows they touch stay in cache, which is most of the speed-up.
    Each pair updates the context word's input vector and the centre word's
    and noise words' output vectors (word2vec C's orientation).
    eta_start, eta_end : learning rate at the batch's first and last word.
    state : uint64 (1,) generator state; kept : int32 scratch as long as the
    longest sentence; noise : int64 (2 * window, negative) scratch, its width
    sets how many noise words per positive; dv : float32 (d,) scratch.
    hot_rows : float32 (2, H, d), this thread's copies of W_out's first H rows
    (see ``load_hot_rows``); H = 0 updates W_out directly, as one thread should.
    merge_lock : int64 (1,), the lock (w2v/spinlock.py) shared by every thread
    that merges hot rows into this W_out.

    Called through ``train_skipgram``, which checks every buffer first: this
    compiled loop trusts their shapes and does no bounds checks.

    Returns ``(loss_sum, pairs)``: the summed loss (eq. 8) and pair count.
    """
    loss = 0.0
    pairs = 0
    start = 0
    load_hot_rows(W_out, hot_rows)
    for end in sentence_ends:
        eta, m = _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end,
                                 W_out, hot_rows, merge_lock)
        start = end
        for i in range(m):
            lo, hi = _window(i, m, window, shrink, state)
            n_pairs = hi - lo - 1
            # The window's noise is drawn up front, so the next pair's rows can
            # be prefetched while the current pair is computed.
            for p in range(1 if share_noise else n_pairs):
                _draw_noise(noise[p], state, accept, alias)
            p = 0
            for j in range(lo, hi):
                if j == i:
                    continue
                if p + 1 < n_pairs:
                    prefetch_row(W_in, kept[j + 1 if j + 1 != i else j + 2])
                    if not share_noise:
                        for k in range(noise.shape[1]):
                            _prefetch_output(W_out, hot_rows, noise[p + 1, k])
                # As in word2vec C, the context word is the input and the centre
                # word the positive output: with shared noise, each input vector
                # then meets the window's noise words once, not 2b times.
                v = W_in[kept[j]]
                loss += _negative_sampling_step(v, W_out, hot_rows, kept[i],
                                                noise[0 if share_noise else p], eta, dv)
                for x in range(v.shape[0]):
                    v[x] -= eta * dv[x]  # v <- v - eta dL/dv  (eq. 14)
                p += 1
            pairs += n_pairs
    merge_hot_rows(W_out, hot_rows, merge_lock)
    return loss, pairs


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def _train_cbow(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                window, shrink, eta_start, eta_end, state, kept, noise, dv, h, hot_rows,
                merge_lock):
    """CBOW over one batch: predict each centre word from the mean of its
    context (eq. 15). Same parameters as ``train_skipgram`` (less
    ``share_noise``: there is one positive per centre word), and ``h``, a
    float32 (d,) scratch for the context mean, just before ``hot_rows``.
    Called through ``train_cbow``, which checks the buffers. Returns ``(loss_sum, pairs)`` with one "pair" per centre word that has
    context."""
    dim = W_in.shape[1]
    loss = 0.0
    pairs = 0
    start = 0
    load_hot_rows(W_out, hot_rows)
    for end in sentence_ends:
        eta, m = _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end,
                                 W_out, hot_rows, merge_lock)
        start = end
        for i in range(m):
            lo, hi = _window(i, m, window, shrink, state)
            count = hi - lo - 1
            if count == 0:
                continue
            _draw_noise(noise[0], state, accept, alias)
            for j in range(lo, hi):
                prefetch_row(W_in, kept[j])
            h[:] = 0.0
            for j in range(lo, hi):
                if j != i:
                    row = W_in[kept[j]]
                    for x in range(dim):
                        h[x] += row[x]
            for x in range(dim):
                h[x] /= count  # h = mean of the context vectors (eq. 15)
            loss += _negative_sampling_step(h, W_out, hot_rows, kept[i], noise[0], eta, dv)
            for j in range(lo, hi):
                if j != i:
                    row = W_in[kept[j]]
                    for x in range(dim):
                        row[x] -= eta * dv[x]  # word2vec's convention (eq. 21)
            pairs += 1
    merge_hot_rows(W_out, hot_rows, merge_lock)
    return loss, pairs



# --- minibatched kernels (docs/derivation.md, 4.6 and 5.4) ---------------------
#
# HogBatch (Ji et al. 2016): the pairs of one window share their noise words,
# so they form a small dense problem, B inputs against T = 1 + K' targets.
# Scores and both gradients are computed from the rows as they are before any
# of the window's updates (the snapshot), then the updates are added back: the
# products S = X U^T, dX = G U and dU = G^T X, with B <= 2 window, T <= K + 1.


@njit(nogil=True, cache=True, inline="always")
def _targets(positive, noise, targets):
    """targets[0] = the positive word, then the noise words that differ from
    it (eq. 8's discarded draws); returns how many."""
    targets[0] = positive
    T = 1
    for k in range(noise.shape[0]):
        if noise[k] != positive:
            targets[T] = noise[k]
            T += 1
    return T


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def _train_skipgram_minibatch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                              window, shrink, eta_start, eta_end, state, kept, noise,
                              targets, U, dX, dU, hot_rows, merge_lock):
    """Skip-gram over one batch, one minibatch step per window (eqs. 29-32):
    the window's context words are the inputs (word2vec C's orientation), the
    centre word and K noise words drawn once per centre word are the targets.
    The draws are those of ``_train_skipgram`` with ``share_noise``, so the
    two differ only in snapshot versus sequential updates.

    Scratch: noise int64 (>= 1, K); targets int64 (K + 1,); U and dU float32
    (K + 1, d); dX float32 (2 window, d). Other
    arguments as ``_train_skipgram``. Returns ``(loss_sum, pairs)``."""
    dim = W_in.shape[1]
    loss = 0.0
    pairs = 0
    start = 0
    load_hot_rows(W_out, hot_rows)
    for end in sentence_ends:
        eta, m = _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end,
                                 W_out, hot_rows, merge_lock)
        start = end
        for i in range(m):
            lo, hi = _window(i, m, window, shrink, state)
            _draw_noise(noise[0], state, accept, alias)
            B = hi - lo - 1
            if B == 0:
                continue
            T = _targets(kept[i], noise[0], targets)
            for t in range(T):
                _prefetch_output(W_out, hot_rows, targets[t])
            for j in range(lo, hi):
                if j != i:
                    prefetch_row(W_in, kept[j])
            # A copy of the target rows: the snapshot U, contiguous and read
            # without the hot-row test in the inner loops.
            for t in range(T):
                u = _output_row(W_out, hot_rows, targets[t])
                for k in range(dim):
                    U[t, k] = u[k]
                    dU[t, k] = 0.0
            # One pass over the window's inputs, two at a time (each row of U
            # loaded once serves both): s_bt = x_b . u_t, then
            # g_bt = eta (sigma(s_bt) - y_t) (eqs. 29, 30) goes at once into
            # dX = G U and dU = G^T X (eqs. 31, 32); no row is written yet, so
            # every product is taken at the snapshot.
            b = 0
            j = lo
            while b < B:
                if j == i:
                    j += 1
                x1 = W_in[kept[j]]
                j += 1
                two = b + 1 < B
                if two:
                    if j == i:
                        j += 1
                    x2 = W_in[kept[j]]
                    j += 1
                else:
                    x2 = x1
                for k in range(dim):
                    dX[b, k] = 0.0
                    dX[b + 1 if two else b, k] = 0.0
                for t in range(T):
                    s1 = np.float32(0.0)
                    s2 = np.float32(0.0)
                    for k in range(dim):
                        s1 += U[t, k] * x1[k]
                        s2 += U[t, k] * x2[k]
                    label = np.float32(1.0) if t == 0 else np.float32(0.0)
                    sig1, nls1 = _sigmoid_and_loss(s1)
                    loss += nls1 + (1.0 - label) * s1
                    g1 = eta * (sig1 - label)
                    if two:
                        sig2, nls2 = _sigmoid_and_loss(s2)
                        loss += nls2 + (1.0 - label) * s2
                        g2 = eta * (sig2 - label)
                        for k in range(dim):
                            u = U[t, k]
                            dX[b, k] += g1 * u
                            dX[b + 1, k] += g2 * u
                            dU[t, k] += g1 * x1[k] + g2 * x2[k]
                    else:
                        for k in range(dim):
                            dX[b, k] += g1 * U[t, k]
                            dU[t, k] += g1 * x1[k]
                b += 2 if two else 1
            # the updates, added back; a row met twice gets both (eq. 33)
            for t in range(T):
                u = _output_row(W_out, hot_rows, targets[t])
                for k in range(dim):
                    u[k] -= dU[t, k]
            b = 0
            for j in range(lo, hi):
                if j == i:
                    continue
                x = W_in[kept[j]]
                for k in range(dim):
                    x[k] -= dX[b, k]
                b += 1
            pairs += B
    merge_hot_rows(W_out, hot_rows, merge_lock)
    return loss, pairs


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def _train_cbow_minibatch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                          window, shrink, eta_start, eta_end, state, kept, noise,
                          bounds, G, H, dH, U, dU, hot_rows, merge_lock):
    """CBOW over one batch, one minibatch step per group of up to ``G.shape[0]``
    consecutive centre words that share K noise words (eqs. 34-37): each
    group member's context mean h_c is scored against its own centre word and
    the shared noise words (those equal to its centre word skipped), all from
    the snapshot; then the output rows and, word2vec's way (eq. 21), every
    context occurrence of every member take their summed updates.

    Draws: the windows of the group's centre words in order, then, if any has
    context, the group's noise. With groups of 1 this is ``_train_cbow``.
    Scratch: bounds int64 (M, 3); G float32 (M, K + 1); H, dH float32 (M, d);
    U, dU float32 (>= K, d). Returns ``(loss_sum, pairs)``, a pair per centre word
    with context."""
    dim = W_in.shape[1]
    group = G.shape[0]
    K = noise.shape[1]
    loss = 0.0
    pairs = 0
    start = 0
    load_hot_rows(W_out, hot_rows)
    for end in sentence_ends:
        eta, m = _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end,
                                 W_out, hot_rows, merge_lock)
        start = end
        for first in range(0, m, group):
            n = 0
            for i in range(first, min(m, first + group)):
                lo, hi = _window(i, m, window, shrink, state)
                if hi - lo - 1 > 0:
                    bounds[n, 0], bounds[n, 1], bounds[n, 2] = i, lo, hi
                    n += 1
            if n == 0:
                continue
            _draw_noise(noise[0], state, accept, alias)
            for k in range(K):
                _prefetch_output(W_out, hot_rows, noise[0, k])
            # h_c = mean of the context rows (eq. 15), for every member first
            for c in range(n):
                i, lo, hi = bounds[c, 0], bounds[c, 1], bounds[c, 2]
                _prefetch_output(W_out, hot_rows, kept[i])
                for k in range(dim):
                    H[c, k] = 0.0
                for j in range(lo, hi):
                    if j != i:
                        row = W_in[kept[j]]
                        for k in range(dim):
                            H[c, k] += row[k]
                inverse = np.float32(1.0) / np.float32(hi - lo - 1)
                for k in range(dim):
                    H[c, k] *= inverse
            # the shared noise rows, copied: the snapshot, read without the hot-row test
            for t in range(K):
                u = _output_row(W_out, hot_rows, noise[0, t])
                for k in range(dim):
                    U[t, k] = u[k]
                    dU[t, k] = 0.0
            # scores and G (eqs. 34, 35), straight into dH = G U (eq. 36) and,
            # for the noise words, dU = G^T H (eq. 37): nothing is written yet
            for c in range(n):
                centre = kept[bounds[c, 0]]
                for k in range(dim):
                    dH[c, k] = 0.0
                for t in range(K + 1):
                    if t == 0:
                        u = _output_row(W_out, hot_rows, centre)
                    elif noise[0, t - 1] == centre:
                        G[c, t] = 0.0  # a draw equal to this member's centre word: discarded
                        continue
                    else:
                        u = U[t - 1]
                    s = np.float32(0.0)
                    for k in range(dim):
                        s += u[k] * H[c, k]
                    sig, neg_log_sig = _sigmoid_and_loss(s)
                    label = np.float32(1.0) if t == 0 else np.float32(0.0)
                    loss += neg_log_sig + (1.0 - label) * s
                    g = eta * (sig - label)
                    G[c, t] = g
                    for k in range(dim):
                        dH[c, k] += g * u[k]
                    if t > 0:
                        for k in range(dim):
                            dU[t - 1, k] += g * H[c, k]
            # the updates, added back: output rows, then every context occurrence
            for c in range(n):
                u = _output_row(W_out, hot_rows, kept[bounds[c, 0]])
                g = G[c, 0]
                for k in range(dim):
                    u[k] -= g * H[c, k]
            for t in range(K):
                u = _output_row(W_out, hot_rows, noise[0, t])
                for k in range(dim):
                    u[k] -= dU[t, k]
            for c in range(n):
                i, lo, hi = bounds[c, 0], bounds[c, 1], bounds[c, 2]
                for j in range(lo, hi):
                    if j != i:
                        row = W_in[kept[j]]
                        for k in range(dim):
                            row[k] -= dH[c, k]
            pairs += n
    merge_hot_rows(W_out, hot_rows, merge_lock)
    return loss, pairs


# --- the checked entry points -------------------------------------------------
#
# The compiled loops above index their buffers without bounds checks (numba's
# default): a buffer shorter than the loop believes is memory corruption, not
# an error. Every call from Python goes through these functions, which check
# the shapes and dtypes that the loops rely on and raise ValueError with what
# is wrong. They cost a few microseconds per batch (a batch takes tens of
# milliseconds).


def _check_array(name, array, dtype, shape, writable=False):
    """``array`` is a C-contiguous NumPy array of ``dtype`` whose shape matches
    ``shape`` (None: any length on that axis)."""
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{name} must be a NumPy array, got {type(array).__name__}")
    if array.dtype != dtype:
        raise ValueError(f"{name} must be {np.dtype(dtype).name}, got {array.dtype.name}")
    if array.ndim != len(shape) or any(want is not None and got != want
                                       for got, want in zip(array.shape, shape)):
        wanted = "(" + ", ".join("n" if w is None else str(w) for w in shape) + ")"
        raise ValueError(f"{name} has shape {array.shape}, the kernel needs {wanted}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if writable and not array.flags.writeable:
        raise ValueError(f"{name} must be writable")


def check_batch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window, state, kept,
                noise, dv, hot_rows, merge_lock, noise_rows):
    """Check what both kernels index; ``noise_rows(longest_sentence)`` is how
    many rows of ``noise`` the kernel uses. Returns ``merge_lock``, or a new
    one when None (right for a single thread only)."""
    _check_array("W_in", W_in, np.float32, (None, None), writable=True)
    V, d = W_in.shape
    _check_array("W_out", W_out, np.float32, (V, d), writable=True)
    _check_array("ids", ids, np.int32, (None,))
    _check_array("sentence_ends", sentence_ends, np.int64, (None,))
    _check_array("keep_prob", keep_prob, np.float32, (V,))
    _check_array("accept", accept, np.float64, (None,))
    _check_array("alias", alias, np.int32, accept.shape)
    _check_array("state", state, np.uint64, (1,), writable=True)
    _check_array("kept", kept, np.int32, (None,), writable=True)
    _check_array("dv", dv, np.float32, (d,), writable=True)
    _check_array("hot_rows", hot_rows, np.float32, (2, None, d), writable=True)
    if not 0 < len(accept) <= V:
        raise ValueError(f"the noise table has {len(accept):,} words, the vectors {V:,}")
    if len(alias) and not 0 <= alias.min() <= alias.max() < len(accept):
        raise ValueError("alias holds word ids outside the noise table")
    if hot_rows.shape[1] > V:
        raise ValueError(f"{hot_rows.shape[1]:,} hot rows for {V:,} words")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a whole number >= 1, got {window!r}")
    if len(ids) and not 0 <= ids.min() <= ids.max() < V:
        raise ValueError(f"ids holds word ids outside 0..{V - 1}")
    longest = 0
    if len(sentence_ends):
        lengths = np.diff(sentence_ends, prepend=0)
        if lengths.min() < 0 or sentence_ends[-1] > len(ids):
            raise ValueError("sentence_ends must rise from 0 to at most len(ids)")
        longest = int(lengths.max())
    if longest > len(kept):
        raise ValueError(f"kept holds {len(kept):,} words, the longest sentence has {longest:,}")
    _check_array("noise", noise, np.int64, (None, None), writable=True)
    needed = noise_rows(longest)
    if noise.shape[0] < needed:
        raise ValueError(f"noise has {noise.shape[0]} rows, window {window} needs {needed}: "
                         "make the scratch buffers again after changing the window")
    if merge_lock is None:
        return spinlock.new_lock()
    _check_array("merge_lock", merge_lock, np.int64, (1,), writable=True)
    return merge_lock


def train_skipgram(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                   window, shrink, share_noise, eta_start, eta_end, state, kept, noise, dv,
                   hot_rows, merge_lock=None):
    """Skip-gram over one batch (``_train_skipgram`` documents the arguments),
    after checking every buffer: a ValueError says which is wrong. Threads
    that share ``W_out`` and have hot rows must pass the same ``merge_lock``."""
    merge_lock = check_batch(
        W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window, state, kept, noise,
        dv, hot_rows, merge_lock,
        lambda longest: 1 if share_noise else min(2 * window, max(longest - 1, 1)))
    return _train_skipgram(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                           int(window), bool(shrink), bool(share_noise), float(eta_start),
                           float(eta_end), state, kept, noise, dv, hot_rows, merge_lock)


def train_cbow(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
               window, shrink, eta_start, eta_end, state, kept, noise, dv, h, hot_rows,
               merge_lock=None):
    """CBOW over one batch (``_train_cbow`` documents the arguments), after
    checking every buffer, as ``train_skipgram``."""
    merge_lock = check_batch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window,
                             state, kept, noise, dv, hot_rows, merge_lock, lambda longest: 1)
    _check_array("h", h, np.float32, dv.shape, writable=True)
    return _train_cbow(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, int(window),
                       bool(shrink), float(eta_start), float(eta_end), state, kept, noise, dv,
                       h, hot_rows, merge_lock)


class MinibatchScratch:
    """A thread's scratch buffers for the minibatched kernels: ``group``
    centre words per CBOW step (skip-gram's minibatch is one window)."""

    def __init__(self, dim: int, window: int, negative: int, group: int = 1):
        rows = 2 * window
        self.targets = np.empty(negative + 1, np.int64)
        self.G = np.empty((max(rows, group), negative + 1), np.float32)
        self.dX = np.empty((rows, dim), np.float32)
        self.U = np.empty((negative + 1, dim), np.float32)
        self.dU = np.empty((negative + 1, dim), np.float32)
        self.bounds = np.empty((group, 3), np.int64)
        self.H = np.empty((group, dim), np.float32)
        self.dH = np.empty((group, dim), np.float32)
        self.group = group


def train_skipgram_minibatch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                             window, shrink, eta_start, eta_end, state, kept, noise, dv,
                             scratch, hot_rows, merge_lock=None):
    """``_train_skipgram_minibatch`` after checking every buffer (``scratch``
    a ``MinibatchScratch``; ``dv`` is checked as for the other kernels, and
    unused)."""
    merge_lock = check_batch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window,
                             state, kept, noise, dv, hot_rows, merge_lock, lambda longest: 1)
    d, K = W_in.shape[1], noise.shape[1]
    rows = min(2 * window, max(len(kept) - 1, 1))
    _check_array("scratch.targets", scratch.targets, np.int64, (K + 1,), writable=True)
    _check_array("scratch.dU", scratch.dU, np.float32, (K + 1, d), writable=True)
    _check_array("scratch.U", scratch.U, np.float32, (K + 1, d), writable=True)
    _check_array("scratch.dX", scratch.dX, np.float32, (None, d), writable=True)
    if scratch.dX.shape[0] < rows:
        raise ValueError(f"the minibatch scratch holds {scratch.dX.shape[0]} inputs, window "
                         f"{window} needs {rows}: make it again after changing the window")
    return _train_skipgram_minibatch(
        W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, int(window), bool(shrink),
        float(eta_start), float(eta_end), state, kept, noise, scratch.targets, scratch.U,
        scratch.dX, scratch.dU, hot_rows, merge_lock)


def train_cbow_minibatch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                         window, shrink, eta_start, eta_end, state, kept, noise, dv,
                         scratch, hot_rows, merge_lock=None):
    """``_train_cbow_minibatch`` after checking every buffer; groups of
    ``scratch.group`` centre words."""
    merge_lock = check_batch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window,
                             state, kept, noise, dv, hot_rows, merge_lock, lambda longest: 1)
    d, K, M = W_in.shape[1], noise.shape[1], scratch.group
    if isinstance(M, bool) or not isinstance(M, (int, np.integer)) or M < 1:
        raise ValueError(f"the group size must be a whole number >= 1, got {M!r}")
    _check_array("scratch.bounds", scratch.bounds, np.int64, (M, 3), writable=True)
    _check_array("scratch.H", scratch.H, np.float32, (M, d), writable=True)
    _check_array("scratch.dH", scratch.dH, np.float32, (M, d), writable=True)
    _check_array("scratch.U", scratch.U, np.float32, (None, d), writable=True)
    _check_array("scratch.dU", scratch.dU, np.float32, scratch.U.shape, writable=True)
    _check_array("scratch.G", scratch.G, np.float32, (None, K + 1), writable=True)
    if scratch.dU.shape[0] < K or scratch.G.shape[0] < M:
        raise ValueError("the minibatch scratch was made for other settings: make it again")
    return _train_cbow_minibatch(
        W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, int(window), bool(shrink),
        float(eta_start), float(eta_end), state, kept, noise, scratch.bounds,
        scratch.G[:M], scratch.H, scratch.dH, scratch.U, scratch.dU, hot_rows, merge_lock)
