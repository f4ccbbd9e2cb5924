"""The readable reference trainer: the batch loops of kernels.py in plain
Python, each update done by the NumPy functions of sgns.py.

It is hundreds of times slower than the kernel and exists to check it: from
the same matrices, batch and generator state, both must end with the same
matrices (up to float32 rounding), because they make the same draws in the
same order: subsampling for each word of a sentence, then for each centre
word its window, then for each target its negatives.
"""

import numpy as np

from . import sgns
from .sampling import draw_alias, random_below, random_unit


def _subsample(sentence, keep_prob, state):
    return [w for w in sentence
            if not (keep_prob[w] < 1.0 and random_unit(state) >= keep_prob[w])]


def _noise(negative, accept, alias, state):
    return [draw_alias(state, accept, alias) for _ in range(negative)]


def _targets(positive, noise):
    """The positive word then the noise words, skipping noise equal to the positive."""
    targets = [positive] + [w for w in noise if w != positive]
    labels = np.zeros(len(targets), dtype=np.float32)
    labels[0] = 1.0
    return np.array(targets, dtype=np.int64), labels


def _context(i, kept, window, shrink, state):
    """Positions of centre word i's context: as ``kernels._window`` (eq. 24)."""
    b = 1 + random_below(state, window) if shrink else window
    return [j for j in range(max(0, i - b), min(len(kept), i + b + 1)) if j != i]


def _sentences(ids, sentence_ends):
    start = 0
    for end in sentence_ends:
        yield start, ids[start:end]
        start = end


def _eta(eta_start, eta_end, offset, n_words):
    return np.float32(eta_start + (eta_end - eta_start) * offset / max(n_words, 1))


def train_skipgram(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                   window, shrink, share_noise, negative, eta_start, eta_end, state):
    """Reference of ``kernels.train_skipgram``; returns ``(loss_sum, pairs)``."""
    loss, pairs = 0.0, 0
    for offset, sentence in _sentences(ids, sentence_ends):
        eta = _eta(eta_start, eta_end, offset, len(ids))
        kept = _subsample(sentence, keep_prob, state)
        for i, center in enumerate(kept):
            context = _context(i, kept, window, shrink, state)
            # the window's noise is drawn up front: once, or once per pair
            draws = [_noise(negative, accept, alias, state)
                     for _ in range(1 if share_noise else len(context))]
            for p, j in enumerate(context):
                noise = draws[0 if share_noise else p]
                # the context word is the input, the centre word the positive output
                targets, labels = _targets(center, noise)
                loss += sgns.skipgram_update(W_in, W_out, kept[j], targets, labels, eta)
                pairs += 1
    return loss, pairs


def train_cbow(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
               window, shrink, negative, eta_start, eta_end, state):
    """Reference of ``kernels.train_cbow``; returns ``(loss_sum, pairs)``."""
    loss, pairs = 0.0, 0
    for offset, sentence in _sentences(ids, sentence_ends):
        eta = _eta(eta_start, eta_end, offset, len(ids))
        kept = _subsample(sentence, keep_prob, state)
        for i, center in enumerate(kept):
            context = [kept[j] for j in _context(i, kept, window, shrink, state)]
            if not context:
                continue
            targets, labels = _targets(center, _noise(negative, accept, alias, state))
            loss += sgns.cbow_update(W_in, W_out, np.array(context), targets, labels, eta)
            pairs += 1
    return loss, pairs


def train_skipgram_minibatch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                             window, shrink, negative, eta_start, eta_end, state):
    """Reference of ``kernels.train_skipgram_minibatch``: the draws of
    ``train_skipgram`` with shared noise, one snapshot step per window."""
    loss, pairs = 0.0, 0
    for offset, sentence in _sentences(ids, sentence_ends):
        eta = _eta(eta_start, eta_end, offset, len(ids))
        kept = _subsample(sentence, keep_prob, state)
        for i, center in enumerate(kept):
            context = _context(i, kept, window, shrink, state)
            noise = _noise(negative, accept, alias, state)
            if not context:
                continue
            targets, labels = _targets(center, noise)
            loss += sgns.skipgram_minibatch_update(W_in, W_out, [kept[j] for j in context],
                                                   targets, labels, eta)
            pairs += len(context)
    return loss, pairs


def train_cbow_minibatch(W_in, W_out, ids, sentence_ends, keep_prob, accept, alias,
                         window, shrink, negative, group, eta_start, eta_end, state):
    """Reference of ``kernels.train_cbow_minibatch``: groups of ``group``
    consecutive centre words, their windows drawn in order, then one noise
    draw for the group if any member has context."""
    loss, pairs = 0.0, 0
    for offset, sentence in _sentences(ids, sentence_ends):
        eta = _eta(eta_start, eta_end, offset, len(ids))
        kept = _subsample(sentence, keep_prob, state)
        for first in range(0, len(kept), group):
            members = []
            for i in range(first, min(len(kept), first + group)):
                context = [kept[j] for j in _context(i, kept, window, shrink, state)]
                if context:
                    members.append((kept[i], context))
            if not members:
                continue
            noise = _noise(negative, accept, alias, state)
            loss += sgns.cbow_minibatch_update(W_in, W_out, [c for _, c in members],
                                               [w for w, _ in members], noise, eta)
            pairs += len(members)
    return loss, pairs
