"""The compiled hot loops of hierarchical softmax: skip-gram and CBOW over a
batch, alone or summed with negative sampling (docs/derivation.md, section 11).

The loops of w2v/kernels.py (subsampling, dynamic window, the learning rate
falling within a batch, the draws in the same order), with the centre word's
path through the Huffman tree (w2v/huffman.py) as the output side: each pair
steps the path's inner-node rows of ``W_hs`` (eq. 43). With negatives, the
negative-sampling step of kernels.py runs first on ``W_out``. Each thread
may keep private copies of the first rows of both matrices, merged every
``MERGE_WORDS`` words (kernels.py): ``W_hs``'s first rows are the nodes
nearest the root, which every example updates (section 11.4).
w2v/reference_hs.py is the readable version these are tested against.
"""

import numpy as np
from numba import njit

from .kernels import (FAST_MATH, MERGE_WORDS, _check_array, _draw_noise,
                      _negative_sampling_step, _output_row, _prefetch_output, _sigmoid_and_loss,
                      _start_sentence, _window, check_batch, load_hot_rows, merge_hot_rows)
from .prefetch import prefetch_row


@njit(nogil=True, fastmath=FAST_MATH, cache=True, inline="always")
def _hs_step(x, W_hs, hs_hot, codes, points, lo, hi, eta, dx):
    """Step the path ``points[lo:hi]`` (root first, branches ``codes[lo:hi]``)
    for the input ``x``: u_j <- u_j - eta g_j x (eq. 43), adding g_j u_j
    (u_j before its update, eq. 42) to ``dx``. Returns the loss (eq. 39)."""
    dim = x.shape[0]
    loss = 0.0
    for k in range(lo, hi):
        u = _output_row(W_hs, hs_hot, points[k])
        s = np.float32(0.0)
        for i in range(dim):
            s += u[i] * x[i]
        sig, neg_log_sig = _sigmoid_and_loss(s)
        label = np.float32(1.0) - np.float32(codes[k])  # t_j = 1 - d_j (eq. 40)
        g = sig - label  # eq. 41
        loss += neg_log_sig + (1.0 - label) * s  # l(s_j, t_j), as in kernels.py (eqs. 9, 40)
        for i in range(dim):
            dx[i] += g * u[i]  # eq. 42
            u[i] -= eta * g * x[i]  # eq. 43
    return loss


@njit(nogil=True, cache=True, inline="always")
def _prefetch_path(W_hs, hs_hot, code_offsets, points, word):
    """Start loading ``word``'s path rows, all at once rather than one after
    another: once per centre word, since all its examples share the path."""
    for k in range(code_offsets[word], code_offsets[word + 1]):
        _prefetch_output(W_hs, hs_hot, points[k])


@njit(nogil=True, fastmath=FAST_MATH, cache=True, inline="always")
def _output_step(x, W_out, W_hs, hot_rows, hs_hot, word, noise, code_offsets, codes, points,
                 eta, dx):
    """Both losses for input ``x`` and the positive ``word``: negative
    sampling against ``noise`` if it has columns (it zeroes ``dx`` first),
    then ``word``'s path. Leaves dL/dx in ``dx``; returns the summed loss."""
    loss = 0.0
    if noise.shape[0] > 0:
        loss += _negative_sampling_step(x, W_out, hot_rows, word, noise, eta, dx)
    else:
        dx[:] = 0.0
    loss += _hs_step(x, W_hs, hs_hot, codes, points, code_offsets[word], code_offsets[word + 1],
                     eta, dx)
    return loss


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def _train_skipgram_hs(W_in, W_out, W_hs, ids, sentence_ends, keep_prob, accept, alias,
                       code_offsets, codes, points, window, shrink, share_noise, eta_start,
                       eta_end, state, kept, noise, dv, hot_rows, hs_hot, merge_lock):
    """Skip-gram with hierarchical softmax over one batch (``kernels._train_skipgram``
    documents the shared arguments). ``W_hs`` float32 (V - 1, d), the tree as
    ``code_offsets`` int64 (V + 1,), ``codes`` uint8 and ``points`` int32.
    ``noise`` has ``negative`` columns, 0 for hierarchical softmax alone.
    ``hs_hot`` float32 (2, H, d): this thread's copies of ``W_hs``'s first H
    rows, as ``hot_rows`` for ``W_out``; both merge under ``merge_lock``.
    Returns ``(loss_sum, pairs)``."""
    loss = 0.0
    pairs = 0
    start = 0
    load_hot_rows(W_out, hot_rows)
    load_hot_rows(W_hs, hs_hot)
    for end in sentence_ends:
        if start // MERGE_WORDS != end // MERGE_WORDS:
            merge_hot_rows(W_hs, hs_hot, merge_lock)
        eta, m = _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end,
                                 W_out, hot_rows, merge_lock)
        start = end
        for i in range(m):
            lo, hi = _window(i, m, window, shrink, state)
            n_pairs = hi - lo - 1
            for p in range(1 if share_noise else n_pairs):
                _draw_noise(noise[p], state, accept, alias)
            if n_pairs:
                _prefetch_path(W_hs, hs_hot, code_offsets, points, kept[i])
            p = 0
            for j in range(lo, hi):
                if j == i:
                    continue
                if p + 1 < n_pairs:
                    prefetch_row(W_in, kept[j + 1 if j + 1 != i else j + 2])
                # the context word is the input, the centre word's path the output (eq. 43)
                v = W_in[kept[j]]
                loss += _output_step(v, W_out, W_hs, hot_rows, hs_hot, kept[i],
                                     noise[0 if share_noise else p], code_offsets, codes,
                                     points, eta, dv)
                for x in range(v.shape[0]):
                    v[x] -= eta * dv[x]  # eq. 43
                p += 1
            pairs += n_pairs
    merge_hot_rows(W_out, hot_rows, merge_lock)
    merge_hot_rows(W_hs, hs_hot, merge_lock)
    return loss, pairs


@njit(nogil=True, fastmath=FAST_MATH, cache=True)
def _train_cbow_hs(W_in, W_out, W_hs, ids, sentence_ends, keep_prob, accept, alias,
                   code_offsets, codes, points, window, shrink, eta_start, eta_end, state,
                   kept, noise, dv, h, hot_rows, hs_hot, merge_lock):
    """CBOW with hierarchical softmax over one batch: the centre word's path
    scored against the context mean h (eq. 15), every context occurrence
    stepped by -eta dL/dh (eq. 44). Arguments as ``_train_skipgram_hs``
    (less ``share_noise``) and ``h``, float32 (d,) scratch. Returns
    ``(loss_sum, pairs)``, a pair per centre word with context."""
    dim = W_in.shape[1]
    loss = 0.0
    pairs = 0
    start = 0
    load_hot_rows(W_out, hot_rows)
    load_hot_rows(W_hs, hs_hot)
    for end in sentence_ends:
        if start // MERGE_WORDS != end // MERGE_WORDS:
            merge_hot_rows(W_hs, hs_hot, merge_lock)
        eta, m = _start_sentence(ids, start, end, keep_prob, state, kept, eta_start, eta_end,
                                 W_out, hot_rows, merge_lock)
        start = end
        for i in range(m):
            lo, hi = _window(i, m, window, shrink, state)
            count = hi - lo - 1
            if count == 0:
                continue
            _draw_noise(noise[0], state, accept, alias)
            _prefetch_path(W_hs, hs_hot, code_offsets, points, kept[i])  # loads while h is summed
            for j in range(lo, hi):
                prefetch_row(W_in, kept[j])
            h[:] = 0.0
            for j in range(lo, hi):
                if j != i:
                    row = W_in[kept[j]]
                    for x in range(dim):
                        h[x] += row[x]
            for x in range(dim):
                h[x] /= count  # eq. 15
            loss += _output_step(h, W_out, W_hs, hot_rows, hs_hot, kept[i], noise[0],
                                 code_offsets, codes, points, eta, dv)
            for j in range(lo, hi):
                if j != i:
                    row = W_in[kept[j]]
                    for x in range(dim):
                        row[x] -= eta * dv[x]  # eq. 44
            pairs += 1
    merge_hot_rows(W_out, hot_rows, merge_lock)
    merge_hot_rows(W_hs, hs_hot, merge_lock)
    return loss, pairs


# --- the checked entry points (see kernels.py) ---------------------------------


def check_tree(W_in, W_hs, tree, hs_hot) -> np.ndarray:
    """Check the tree, ``W_hs`` and its hot rows against the vectors: a
    ValueError says what is wrong (the compiled loops index them without
    bounds checks). Returns ``hs_hot``, or no hot rows when None."""
    V, d = W_in.shape
    _check_array("W_hs", W_hs, np.float32, (max(V - 1, 0), d), writable=True)
    if hs_hot is None:
        hs_hot = np.empty((2, 0, d), np.float32)
    _check_array("hs_hot", hs_hot, np.float32, (2, None, d), writable=True)
    if hs_hot.shape[1] > len(W_hs):
        raise ValueError(f"{hs_hot.shape[1]:,} hot rows for {len(W_hs):,} inner nodes")
    _check_array("tree.offsets", tree.offsets, np.int64, (V + 1,))
    _check_array("tree.codes", tree.codes, np.uint8, (None,))
    _check_array("tree.points", tree.points, np.int32, tree.codes.shape)
    offsets = tree.offsets
    if offsets[0] != 0 or (np.diff(offsets) < 0).any() or offsets[-1] != len(tree.codes):
        raise ValueError("tree.offsets must rise from 0 to the length of tree.codes")
    if len(tree.points) and not 0 <= tree.points.min() <= tree.points.max() < V - 1:
        raise ValueError(f"tree.points holds nodes outside 0..{V - 2}")
    return hs_hot


def train_skipgram_hs(W_in, W_out, W_hs, tree, ids, sentence_ends, keep_prob, accept, alias,
                      window, shrink, share_noise, eta_start, eta_end, state, kept, noise, dv,
                      hot_rows, hs_hot=None, merge_lock=None):
    """``_train_skipgram_hs`` after checking every buffer; ``tree`` a
    ``huffman.HuffmanTree`` of the vocabulary, ``noise`` (rows, negative)
    with ``negative`` 0 for hierarchical softmax alone; ``hs_hot`` None for
    no private rows of ``W_hs`` (right for one thread)."""
    merge_lock = check_batch(
        W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window, state, kept, noise,
        dv, hot_rows, merge_lock,
        lambda longest: 1 if share_noise else min(2 * window, max(longest - 1, 1)))
    hs_hot = check_tree(W_in, W_hs, tree, hs_hot)
    return _train_skipgram_hs(
        W_in, W_out, W_hs, ids, sentence_ends, keep_prob, accept, alias, tree.offsets,
        tree.codes, tree.points, int(window), bool(shrink), bool(share_noise), float(eta_start),
        float(eta_end), state, kept, noise, dv, hot_rows, hs_hot, merge_lock)


def train_cbow_hs(W_in, W_out, W_hs, tree, ids, sentence_ends, keep_prob, accept, alias,
                  window, shrink, eta_start, eta_end, state, kept, noise, dv, h, hot_rows,
                  hs_hot=None, merge_lock=None):
    """``_train_cbow_hs`` after checking every buffer, as ``train_skipgram_hs``."""
    merge_lock = check_batch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias, window,
                             state, kept, noise, dv, hot_rows, merge_lock, lambda longest: 1)
    hs_hot = check_tree(W_in, W_hs, tree, hs_hot)
    _check_array("h", h, np.float32, dv.shape, writable=True)
    return _train_cbow_hs(
        W_in, W_out, W_hs, ids, sentence_ends, keep_prob, accept, alias, tree.offsets,
        tree.codes, tree.points, int(window), bool(shrink), float(eta_start), float(eta_end),
        state, kept, noise, dv, h, hot_rows, hs_hot, merge_lock)
