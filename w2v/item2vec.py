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

import math
import sys
from pathlib import Path

import numpy as np

from .model import Word2Vec
from .topk import top_k
from .errors import SettingsError
from .settings import real_number
from .sessions import read_sessions
from .tables import is_table_object

__all__ = ["HISTORY_EVEN_SHARE", "HISTORY_HALF_LIFE", "Item2Vec", "MAX_SESSION_LENGTH", "MODES", "SCORES", "history_weights"]

#: Scores `Item2Vec.recommend` can rank by.
SCORES = ("context", "cosine")
#: How `Item2Vec` reads its data: see its ``mode``.
MODES = ("auto", "sessions", "baskets")
# Defaults for sessions, chosen on the validation split of MovieLens-100K
# (benchmarks/movielens.py; benchmarks/results/movielens.md):
#: Context window for sessions.
WINDOW = 10
#: How many items back a query item's weight halves, for sessions.
HISTORY_HALF_LIFE = 1.0
#: Share of a query's weight spread evenly over the whole history, for
#: sessions: what comes next is mostly like what came last, but not only.
HISTORY_EVEN_SHARE = 0.5
#: Vector size.
DIM = 64
#: Noise distribution: item counts to this power.
NS_EXPONENT = 0.5
#: Passes over the data.
EPOCHS = 40

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
    mode : {"auto", "sessions", "baskets"}
        ``"sessions"``: each session is in time order, so near items are
        context (``window``) and a query weighs recent items more
        (``history_half_life``). ``"baskets"``: each basket is a set: every
        item of it is context of every other, and a query weighs its items
        alike. ``"auto"`` (default): sessions for data in time order (a
        `Sessions` read from a table with timestamps, or a plain list of
        lists), baskets for a baskets file or a table without timestamps.
    window : int, optional
        Context: items at most this many positions apart. Default: `WINDOW`
        for sessions, the whole basket for baskets.
    history_half_life, history_even_share : float, optional
        How a history becomes a query in `recommend` (see `history_weights`):
        ``history_even_share`` of the weight is spread evenly over all its
        items, the rest goes to the recent ones, halving every
        ``history_half_life`` items back. Defaults: `HISTORY_HALF_LIFE` and
        `HISTORY_EVEN_SHARE` for sessions; all items alike for baskets.
    dim, negative, ns_exponent, epochs, min_count :
        As for ``Word2Vec``; the defaults are the settings that did best on
        validation splits of MovieLens-100K under five protocols
        (benchmarks/item2vec_defaults.py). The noise exponent sets how much
        popularity counts in the context score of `recommend`: 0 (uniform
        noise) makes it estimate log P(item | query) up to a constant, so
        popular items rank high; 1 takes popularity out of it (pointwise
        mutual information); 0.5 did best.
    sample : float
        Subsampling threshold; off by default, since popular items are what
        recommendations are largely about.
    **params
        Any other ``Word2Vec`` parameter (``alpha``, ``workers``, ``seed``,
        ``max_sentence_length``...). Skip-gram, unshrunk windows and ids kept
        as written are the defaults.

    Examples
    --------
    >>> from w2v.item2vec import Item2Vec
    >>> baskets = [["milk", "bread"], ["milk", "eggs", "bread"], ["tea", "cake"]] * 50
    >>> model = Item2Vec(dim=16, mode="baskets").train(baskets, progress=None)
    >>> [item for item, score in model.recommend("milk", topn=2)]  # doctest: +SKIP
    ['bread', 'eggs']
    >>> model.recommend(["tea"], topn=1, exclude=["cake"], score="cosine")  # doctest: +SKIP
    """

    KIND = "item2vec"
    PARAMS = Word2Vec.PARAMS + ("mode", "history_half_life", "history_even_share")

    def __init__(self, *, mode: str = "auto", window: int | None = None,
                 history_half_life: float | None = None, history_even_share: float | None = None,
                 dim: int = DIM, negative: int = 5,
                 ns_exponent: float = NS_EXPONENT, epochs: int = EPOCHS, min_count: int = 1,
                 sample: float = 0.0, **params):
        params.setdefault("sg", True)
        params.setdefault("shrink_windows", False)
        params.setdefault("lowercase", False)  # ids from files are never lower-cased
        params.setdefault("max_sentence_length", MAX_SESSION_LENGTH)
        super().__init__(window=window, dim=dim, negative=negative, ns_exponent=ns_exponent,
                         epochs=epochs, min_count=min_count, sample=sample, **params)
        self.mode = mode
        self.history_half_life = history_half_life
        self.history_even_share = history_even_share
        self.tuning_ = None  # what Item2Vec.tune tried, for a tuned model
        self._recs_index = None  # (the "ip" index of W_out_, the vectors' version it indexes)
        # Settings left to the mode, filled in once the mode is known.
        self._by_mode = {name for name in ("window", "history_half_life", "history_even_share")
                         if getattr(self, name) is None}
        self._fill_mode_settings()

    def _validate(self, memory: bool = True) -> None:
        if self.mode not in MODES:
            raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        self._fill_mode_settings()
        self.history_half_life = real_number("history_half_life", self.history_half_life,
                                             low=0, low_open=True, finite=False)
        self.history_even_share = real_number("history_even_share", self.history_even_share,
                                              low=0, high=1)
        super()._validate(memory)
        if self.negative == 0:  # hierarchical softmax alone leaves W_out_ at zero
            raise SettingsError("item2vec needs negative >= 1: recommendations score items with "
                                "the output vectors, which only negative sampling trains")

    def _fill_mode_settings(self) -> None:
        """Window and half-life for the mode, where not given; "auto" counts as
        sessions until the data says otherwise (see `_sentences`)."""
        baskets = self.mode == "baskets"
        if "window" in self._by_mode:
            self.window = self.max_sentence_length if baskets else WINDOW
        # A window spanning whole sessions treats them as sets, whatever the mode.
        as_sets = baskets or self.window >= self.max_sentence_length
        if "history_half_life" in self._by_mode:
            self.history_half_life = math.inf if as_sets else HISTORY_HALF_LIFE
        if "history_even_share" in self._by_mode:
            self.history_even_share = 1.0 if as_sets else HISTORY_EVEN_SHARE

    def settle_mode(self, ordered: bool) -> None:
        """Decide "auto" from the first data read, which is the first training's
        (or its vocabulary's): ``ordered`` data (in time order) are sessions,
        other data baskets. Once decided, the mode is no longer "auto". A
        vocabulary from a file (``build_vocab_from``) has not seen the data,
        so it leaves the mode to the training that reads it."""
        if self.mode == "auto":
            self.mode = "sessions" if ordered else "baskets"
            self._fill_mode_settings()

    @property
    def whole_session(self) -> bool:
        """Whether every two items of a session are each other's context."""
        return not self.shrink_windows and self.window >= self.max_sentence_length

    def _sentences(self, corpus):
        # A path or a DataFrame is baskets or an interactions table here, not text.
        is_file = isinstance(corpus, (str, Path)) or is_table_object(corpus)
        data = read_sessions(corpus) if is_file else corpus
        self.settle_mode(getattr(data, "ordered", True))  # a list of sessions is in time order
        return super()._sentences(data)

    @classmethod
    def tune(cls, sessions, budget: float = 600, *, seed: int = 1, workers: int = 1,
             progress=sys.stderr, **fixed) -> Item2Vec:
        """Search the settings on a validation split, then train on all of ``sessions``.

        Each user's last item of ``sessions`` is held out for validation and
        settings are searched within ``budget`` seconds (`w2v.tune.tune`: the
        defaults first, then successive halving); the best are used to train
        the returned model on everything. Its ``tuning_`` holds what was tried
        (`w2v.tune.TuneResult`; ``w2v.tune.format_trials`` prints it).

        ``fixed`` settings (e.g. ``dim=32``) are kept as given, not searched.

        Examples
        --------
        >>> model = Item2Vec.tune(read_sessions("u.data"), budget=600)  # doctest: +SKIP
        """
        from .tune import tune  # tune builds on this module

        result = tune(sessions, budget, seed=seed, workers=workers, progress=progress,
                      fixed=fixed)
        model = cls(**{**result.best, "seed": seed, "workers": workers})
        model.train(sessions, progress=progress)
        model.tuning_ = result
        return model

    # --- approximate indexes --------------------------------------------------

    def _indexed_matrices(self) -> dict:
        return {"cosine": self.W_in_, "ip": self.W_out_}  # ip: the context score's

    def load_indexes(self, path) -> Item2Vec:
        """Use the indexes ``w2v index`` saved beside ``path``: the cosine one
        for ``most_similar`` and ``score="cosine"``, the inner-product one of
        the output vectors for ``score="context"``."""
        super().load_indexes(path)
        from .ann import usable_index_beside
        index = usable_index_beside(path, self.W_out_, "ip")
        self._recs_index = None if index is None else (index, self._vectors_version())
        return self

    def _vectors_version(self):
        """Changes whenever training moves the vectors (an index must not outlive them)."""
        return id(self.W_out_), self.words_trained_, self.epochs_trained_

    def _index_for(self, score: str, exact: bool | None):
        """The approximate index to answer ``score`` queries with, or None for exact search."""
        from .ann import INDEX_THRESHOLD
        if exact not in (None, True, False):
            raise ValueError(f"exact must be True, False or None, not {exact!r}")
        if score == "context":
            kept = self._recs_index
            index = kept[0] if kept and kept[1] == self._vectors_version() else None
        else:
            index = self.wv.ann_index
        if exact is False and index is None:
            raise SettingsError(f"exact=False needs an approximate index of the {score} scores: "
                                "run w2v index MODEL, then load the model with w2v.load")
        if exact or index is None:
            return None
        return index if exact is False or len(self.wv) >= INDEX_THRESHOLD else None

    def recommend(self, items, topn: int = 10, exclude=(), score: str = "context",
                  half_life: float | None = None, even_share: float | None = None,
                  skip_unknown: bool = False, exact: bool | None = None
                  ) -> list[tuple[str, float]]:
        """Items for someone who has ``items``, best first.

        Parameters
        ----------
        items : str or list of str
            One item, a basket, or a user's whole history in time order (oldest
            first): pass everything the user did. The query is a weighted mean
            of their vectors (`history_weights`): ``even_share`` of the weight
            is spread evenly over all items, the rest goes to the recent ones,
            halving every ``half_life`` items back, since what a user did last
            says most about what comes next, but not all. Items
            not in the model (too rare to have a vector) are skipped; at least
            one must be in it.
        topn : int
            How many items to return (fewer if the model has fewer).
        exclude : iterable of str
            Items never to return, e.g. those the user already has; ids
            not in the model are ignored. The query items are always excluded.
        score : {"context", "cosine"}
            ``"context"``: the model's own prediction of the items found in the
            same session, ``v . u_c`` for the query's input vector ``v`` and
            each item's output vector ``u_c`` (the "IN-OUT" score of Nalisnick
            et al. 2016): items that go *with* the query. With ``ns_exponent=0``
            it estimates the weighted mean over query items q of log P(c | q),
            up to a constant, so popular items rank high; higher exponents
            discount popularity (1: pointwise mutual information).
            ``"cosine"``: cosine similarity between input vectors (``wv``):
            items *like* the query, used in the same contexts (substitutes).
        half_life, even_share : float, optional
            The query's weights, as above; ``even_share=1`` (or ``half_life=inf``)
            weighs every item alike (a basket). Defaults: the model's
            ``history_half_life`` and ``history_even_share``.
        skip_unknown : bool
            Leave out query items the model does not know (newer than the
            model, or rarer than ``min_count``) instead of raising; at least
            one must be known.
        exact : bool, optional
            Whether to search exactly or with the approximate index, as in
            `recommend_many`.

        Returns
        -------
        list of (str, float)
            Item ids and their scores.

        Raises
        ------
        UnknownWordError
            A query item is not in the model (with ``skip_unknown``: none is);
            a ``KeyError``.
        """
        items = [items] if isinstance(items, str) else list(items)
        if not items:
            raise ValueError("recommend needs at least one item")
        known = [item for item in items if item in self.wv]
        if not known or not skip_unknown:
            for item in items:
                self.wv.index(item)  # an UnknownWordError, with suggestions
        return self.recommend_many([items], topn=topn, exclude=[exclude], score=score,
                                   half_life=half_life, even_share=even_share, exact=exact)[0]

    def recommend_many(self, histories, topn: int = 10, exclude=None, score: str = "context",
                       half_life: float | None = None, even_share: float | None = None,
                       exact: bool | None = None) -> list[list[tuple[str, float]]]:
        """`recommend` for many users at once: one list of (item, score) per history.

        ``exclude``, when given, holds one iterable of items per history. The
        scores of all histories are computed together, as matrix products, so
        this is much faster than one `recommend` call per user. Items the model
        does not know are left out of the queries (a history may hold items
        newer than the model); a history with no known item gets an empty list.

        ``exact=None`` answers from the approximate index (``w2v index``; loaded
        by ``w2v.load``) when there is one and the catalog has 200,000 items or
        more; ``False`` always from the index, ``True`` never. Scores are exact
        either way; the index may (rarely) miss one of the true top items.
        """
        if not isinstance(topn, int) or isinstance(topn, bool) or topn < 1:
            raise ValueError(f"topn must be a whole number >= 1, got {topn!r}")
        if score not in SCORES:
            raise ValueError(f"score must be 'context' or 'cosine', not {score!r}")
        histories = [[h] if isinstance(h, str) else list(h) for h in histories]
        exclude = [()] * len(histories) if exclude is None else list(exclude)
        if len(exclude) != len(histories):
            raise ValueError(f"{len(histories)} histories but {len(exclude)} exclusion lists")
        rule = (self.history_half_life if half_life is None else half_life,
                self.history_even_share if even_share is None else even_share)
        index = self._index_for(score, exact)
        weights, seen = self._query_weights(histories, exclude, rule)
        if score == "context":
            queries = np.asarray(weights @ self.W_in_)
            targets = self.W_out_
        else:
            targets = self.wv.unit_vectors
            queries = np.asarray(weights @ targets)
            queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
        if index is not None:
            best, scores = index.search(queries, topn, exclude=seen)
        else:
            scores = queries @ targets.T
            scores[seen.nonzero()] = -np.inf
            best = top_k(scores, topn)
            scores = np.take_along_axis(scores, best, axis=1)
        keys = self.wv.index_to_key
        asked = weights.getnnz(axis=1) > 0  # a history with no known item gets nothing
        return [[(keys[j], float(s)) for j, s in zip(row, row_scores) if j >= 0 and np.isfinite(s)]
                if known else [] for row, row_scores, known in zip(best, scores, asked)]

    def _query_weights(self, histories, exclude, rule):
        """Sparse (history x item) matrices: each history's query weights
        (summing to 1: the query is a weighted mean), and the items each may
        not be recommended (its own and its exclusions)."""
        index = self.wv.key_to_index
        rows, cols, values, seen_rows, seen_cols = [], [], [], [], []
        for r, (history, excluded) in enumerate(zip(histories, exclude)):
            known = [index[item] for item in history if item in index]
            rows += [r] * len(known)
            cols += known
            values += list(history_weights(len(known), *rule))
            banned = set(known) | {index[item] for item in excluded if item in index}
            seen_rows += [r] * len(banned)
            seen_cols += banned
        from scipy import sparse  # here, not at import: training a word model never needs it

        shape = (len(histories), len(index))
        # A repeated item's weights add up (csr_matrix sums duplicates).
        weights = sparse.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float32)
        seen = sparse.csr_matrix((np.ones(len(seen_rows), bool), (seen_rows, seen_cols)),
                                 shape=shape)
        return weights, seen


def history_weights(length: int, half_life: float, even_share: float = 0.0) -> np.ndarray:
    """Weights of a history's items in its query, oldest first, summing to 1.

    ``even_share`` of the weight is spread evenly over all ``length`` items;
    the rest goes by recency: the most recent item's part is the largest, and
    each step back multiplies it by ``2 ** (-1 / half_life)``.
    """
    if not half_life > 0:
        raise ValueError(f"half_life must be > 0, got {half_life!r}")
    if not 0 <= even_share <= 1:
        raise ValueError(f"even_share must be between 0 and 1, got {even_share!r}")
    if length == 0:
        return np.zeros(0)
    age = np.arange(length - 1, -1, -1, dtype=np.float64)
    recent = np.exp2(-age / half_life)
    return (1 - even_share) * recent / recent.sum() + even_share / length
