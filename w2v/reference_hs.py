"""The readable reference of the hierarchical-softmax kernels
(w2v/kernels_hs.py): the batch loops of w2v/reference.py, each update done
by the NumPy functions of sgns.py (docs/derivation.md, section 11).

Same draws in the same order as the kernels: subsampling, then for each
centre word its window, then its negatives (none with ``negative=0``).
"""

import numpy as np

from . import sgns
from .reference import _context, _eta, _noise, _sentences, _subsample, _targets


def _ns_targets(center, noise, negative):
    """Negative-sampling targets and labels, or none when it is off."""
    return _targets(center, noise) if negative else ((), ())


def train_skipgram_hs(W_in, W_out, W_hs, tree, ids, sentence_ends, keep_prob, accept, alias,
                      window, shrink, share_noise, negative, eta_start, eta_end, state):
    """Reference of ``kernels_hs.train_skipgram_hs``; ``tree`` a
    ``huffman.HuffmanTree``. Returns ``(loss_sum, pairs)``."""
    loss, pairs = 0.0, 0
    for offset, sentence in _sentences(ids, sentence_ends):
        eta = _eta(eta_start, eta_end, offset, len(ids))
        kept = _subsample(sentence, keep_prob, state)
        for i, center in enumerate(kept):
            context = _context(i, kept, window, shrink, state)
            draws = [_noise(negative, accept, alias, state)
                     for _ in range(1 if share_noise else len(context))]
            points, codes = tree.path(center)
            for p, j in enumerate(context):
                targets, labels = _ns_targets(center, draws[0 if share_noise else p], negative)
                loss += sgns.skipgram_hs_update(W_in, W_hs, kept[j], points, codes, eta,
                                                W_out if negative else None, targets, labels)
                pairs += 1
    return loss, pairs


def train_cbow_hs(W_in, W_out, W_hs, tree, ids, sentence_ends, keep_prob, accept, alias,
                  window, shrink, negative, eta_start, eta_end, state):
    """Reference of ``kernels_hs.train_cbow_hs``. Returns ``(loss_sum, pairs)``."""
    loss, pairs = 0.0, 0
    for offset, sentence in _sentences(ids, sentence_ends):
        eta = _eta(eta_start, eta_end, offset, len(ids))
        kept = _subsample(sentence, keep_prob, state)
        for i, center in enumerate(kept):
            context = [kept[j] for j in _context(i, kept, window, shrink, state)]
            if not context:
                continue
            targets, labels = _ns_targets(center, _noise(negative, accept, alias, state), negative)
            points, codes = tree.path(center)
            loss += sgns.cbow_hs_update(W_in, W_hs, np.array(context), points, codes, eta,
                                        W_out if negative else None, targets, labels)
            pairs += 1
    return loss, pairs
