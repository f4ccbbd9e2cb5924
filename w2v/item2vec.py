"""item2vec: item vectors for "people who liked this also liked" recommendations.

Skip-gram with negative sampling, trained on baskets or sessions of item ids
instead of sentences (Barkan and Koenigstein 2016, item2vec; Grbovic et al.
2015, prod2vec). The differences from words are only settings:

- the context of an item is the whole rest of its basket (the window is not
  shrunk, and by default spans the whole session), or, for time-ordered
  sessions, a chosen window;
- no subsampling of frequent items by default, and a lower ``min_count``;
- item ids are opaque strings, never lower-cased or tokenized;
- the noise exponent matters for recommendation (Caselles-Dupre et al. 2018).

Recommendations score candidates either by the model's own prediction of
what shares a session with the query (input . output vectors, the default), or
by the cosine of input vectors (items alike). The same compiled kernel trains
the vectors, and the model file is an ordinary w2v model: ``Item2Vec.load``
reads any of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .model import Word2Vec
from .sessions import read_baskets

__all__ = ["Item2Vec", "MAX_SESSION_LENGTH"]

#: Sessions longer than this are cut into consecutive pieces (no item is lost,
#: but items in different pieces are not each other's context).
MAX_SESSION_LENGTH = 10_000


class Item2Vec(Word2Vec):
    """Item vectors from baskets or sessions, with recommendations.

    A ``Word2Vec`` with settings for items: everything it has (``wv``,
    ``W_in_``, ``W_out_``, ``loss_history_``, ``save``, continued training)
    works the same, and ``load`` returns an ``Item2Vec``.

    Parameters
    ----------
    window : int, optional
        None (default): every other item of a session is context, whatever
        the distance (a basket is a set); the window is then
        ``max_sentence_length``. An int: only items at most this many
        positions away, for time-ordered sessions where what is near matters
        (on MovieLens, 5 did far better than whole histories).
    min_count : int
        Items seen fewer times are left out (and cannot be recommended).
    sample : float
        Subsampling threshold; off by default, since popular items are what
        recommendations are largely about.
    epochs : int
        Passes over the sessions; item data sets are small and rare items
        need many passes to move away from their random start.
    ns_exponent : float
        Noise distribution: item counts to this power. 0 (uniform noise, not
        word2vec's 0.75) makes the context score of ``recommend`` estimate
        log P(item | query) up to a constant; on MovieLens
        (``benchmarks/movielens.py``) it did best, 0.75 worse, and 1, which
        takes popularity out of that score, worst.
    **params
        Any other ``Word2Vec`` parameter (``dim``, ``negative``, ``alpha``,
        ``workers``, ``seed``, ``max_sentence_length``...). Skip-gram, the
        whole window and ids kept as written are the defaults.

    Examples
    --------
    >>> from w2v.item2vec import Item2Vec
    >>> baskets = [["milk", "bread"], ["milk", "eggs", "bread"], ["tea", "cake"]] * 50
    >>> model = Item2Vec(dim=16).train(baskets, progress=None)
    >>> [item for item, score in model.recommend("milk", topn=2)]  # doctest: +SKIP
    ['bread', 'eggs']
    >>> model.recommend(["tea"], topn=1, exclude=["cake"], score="cosine")  # doctest: +SKIP
    """

    def __init__(self, *, window: int | None = None, min_count: int = 1, sample: float = 0.0,
                 epochs: int = 20, ns_exponent: float = 0.0, **params):
        params.setdefault("sg", True)
        params.setdefault("shrink_windows", False)
        params.setdefault("lowercase", False)  # ids from files are never lower-cased
        params.setdefault("max_sentence_length", MAX_SESSION_LENGTH)
        if window is None:
            # A window as long as the longest session pairs every two items of it.
            window = params["max_sentence_length"]
        super().__init__(window=window, min_count=min_count, sample=sample, epochs=epochs,
                         ns_exponent=ns_exponent, **params)

    @property
    def whole_session(self) -> bool:
        """Whether every two items of a session are each other's context."""
        return not self.shrink_windows and self.window >= self.max_sentence_length

    def _sentences(self, corpus):
        # A path is a baskets file here, not text to tokenize.
        if isinstance(corpus, (str, Path)):
            return read_baskets(corpus)
        return super()._sentences(corpus)

    def recommend(self, items, topn: int = 10, exclude=(),
                  score: str = "context") -> list[tuple[str, float]]:
        """Items for someone who has ``items``, best first.

        Parameters
        ----------
        items : str or list of str
            One item or several (a user's recent history, a basket); the query
            is the mean of their vectors, so repeating an item weighs it more.
            Each must be in the model.
        topn : int
            How many items to return (fewer if the model has fewer).
        exclude : iterable of str
            Items never to return, e.g. those the user already has; ids
            not in the model are ignored. The query items are always excluded.
        score : {"context", "cosine"}
            ``"context"``: the model's own prediction of the items found in the
            same session, ``v . u_c`` for the mean input vector ``v`` of the
            query and each item's output vector ``u_c`` (the "IN-OUT" score of
            Nalisnick et al. 2016): items that go *with* the query. With
            ``ns_exponent=0`` it estimates the mean over query items q of
            log P(c | q), up to a constant, so popular items rank high;
            higher exponents discount popularity (1: pointwise mutual information).
            ``"cosine"``: cosine similarity between input vectors (``wv``):
            items *like* the query, used in the same contexts (substitutes).

        Returns
        -------
        list of (str, float)
            Item ids and their scores.

        Raises
        ------
        UnknownWordError
            A query item is not in the model (a ``KeyError``).
        """
        items = [items] if isinstance(items, str) else list(items)
        if not items:
            raise ValueError("recommend needs at least one item")
        if not isinstance(topn, int) or topn < 1:
            raise ValueError(f"topn must be a whole number >= 1, got {topn!r}")
        wv = self.wv
        rows = [wv.index(item) for item in items]  # UnknownWordError names a missing one
        if score == "context":
            scores = self.W_out_ @ self.W_in_[rows].mean(axis=0)
        elif score == "cosine":
            query = wv.unit_vectors[rows].mean(axis=0)
            scores = wv.unit_vectors @ (query / max(float(np.linalg.norm(query)), 1e-30))
        else:
            raise ValueError(f"score must be 'context' or 'cosine', not {score!r}")
        scores[rows] = -np.inf
        scores[[wv.key_to_index[item] for item in exclude if item in wv]] = -np.inf
        return _best(scores, topn, wv.index_to_key)


def _best(scores: np.ndarray, topn: int, keys: list[str]) -> list[tuple[str, float]]:
    """The ``topn`` highest finite scores with their keys, best first."""
    topn = min(topn, len(scores))
    best = np.argpartition(-scores, topn - 1)[:topn] if topn < len(scores) else np.arange(topn)
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(keys[i], float(scores[i])) for i in best if np.isfinite(scores[i])]
