"""The k highest scores of a vector or of each row of a matrix, best first.

Written once for every query of w2v (nearest words, recommendations): a
partial sort (``argpartition``, linear time) keeps the k best, and only those
are sorted. Ties keep index order, so results do not depend on the platform.
"""

from __future__ import annotations

import numpy as np

__all__ = ["top_k"]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores (of each row, for a matrix), best first.

    Scores of ``-inf`` (excluded) sort last; the caller drops them. ``k`` above
    the number of scores returns them all.
    """
    scores = np.asarray(scores)
    k = min(int(k), scores.shape[-1])
    if k < 1:
        return np.empty(scores.shape[:-1] + (0,), dtype=np.intp)
    if k < scores.shape[-1]:
        best = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    else:
        best = np.broadcast_to(np.arange(k), scores.shape[:-1] + (k,))
    # Sort the kept ones by score, then by index for equal scores.
    kept = np.take_along_axis(scores, best, axis=-1)
    order = np.lexsort((best, -kept), axis=-1)
    return np.take_along_axis(best, order, axis=-1)
