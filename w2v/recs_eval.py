"""Offline evaluation of recommendations: leave-last-out, three baselines, metrics.

The protocol (`leave_last_out`): each user's last ``n`` distinct items are
held out, everything before them is training data. A method learns from the
training data only, is asked for ``topn`` items for each user, given the
user's whole training history in time order and told to leave out what the
user already has, and is scored on whether the held-out items come back:

- **hit rate@N**: the share of users with at least one held-out item among
  their N recommendations;
- **NDCG@N**: ``sum 1 / log2(1 + rank)`` over the held-out items found, divided
  by its best possible value (``sum 1 / log2(1 + i)``, i = 1 .. min(n, N)), so
  one held-out item at rank 1 gives 1 and at rank 3 gives ``1 / log2(4)``;
- **coverage**: the share of the catalog (the items of the training data)
  recommended to at least one user.

Every user is counted, with the same rule for every method: a user left with
no training history (all their items were held out) is not asked, and counts
as a miss for every method (most-popular could only recite its one list, the
others have nothing to go on); a user whose held-out items never occur in the
training data is asked, but no method can recommend an item it never saw, so
it is a miss for all too. `Split` counts both kinds.

The baselines, each with ``fit(histories)`` and the
``recommend_many(histories, topn, exclude)`` of `w2v.item2vec.Item2Vec`:

- `MostPopular`: the items with the most users in the training data;
- `ItemKNN`: the sum of cosine similarities (of the items' columns in the
  binary user x item matrix) to the user's last 5 items;
- `EASE` (Steck 2019): a linear item x item model in closed form.

Every score matrix is made a chunk of users at a time, within `SCORE_BYTES`.
"""

from __future__ import annotations

import collections
import functools
import math
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import linalg, sparse

from .errors import CorpusError
from .sessions import SessionStats, Sessions
from .settings import available_memory, real_number, whole_number
from .topk import top_k

__all__ = ["EASE", "EASE_LAMBDA", "EASE_MAX_ITEMS", "ItemKNN", "KNN_HISTORY", "Metrics",
           "MostPopular", "Recommender", "Row", "Split", "baselines", "compare", "ease_weights",
           "evaluate", "held_out_seen", "hit_and_ndcg", "leave_last_out"]

#: Regularisation of `EASE`: Steck (2019) found 200-1000 best on MovieLens-20M,
#: Netflix and the Million Song Dataset, with 500 for the first two.
EASE_LAMBDA = 500.0
#: Most items `EASE` models: its two item x item float64 matrices take 16
#: bytes per pair (400 MB at 5,000 items), and inverting one takes time
#: growing as the cube (7 s at 4,000 items on two busy cores, 110 s at
#: 10,000). Beyond this (or what memory allows), it models the most popular
#: items only.
EASE_MAX_ITEMS = 5_000
#: How many of a user's last items `ItemKNN` sums similarities to.
KNN_HISTORY = 5
#: Columns of EASE's Gram matrix computed at once.
GRAM_BLOCK = 1024
#: Bytes of dense scores made at once: users are scored in chunks this size.
SCORE_BYTES = 64 << 20


class Recommender(Protocol):
    """What `evaluate` needs: `w2v.item2vec.Item2Vec` and the baselines have it."""

    def recommend_many(self, histories, topn, exclude) -> list[list[tuple[str, float]]]:
        """One list of (item, score), best first, per history; none of ``exclude``'s items."""


# --- the split ------------------------------------------------------------------------


@dataclass
class Split:
    """Training data and held-out items, one entry per user.

    Attributes
    ----------
    train : Sessions
        What methods may learn from: every session less its user's held-out
        items (and every earlier occurrence of them). Sessions left empty are
        dropped. ``ordered`` is the input's.
    users : list of str
        Every user, in the input's order.
    histories : list of list of str
        Each user's training items in time order (their sessions joined):
        what a method is asked to recommend for. May be empty.
    held_out : list of list of str
        Each user's held-out items, distinct, in time order.
    n : int
        Items held out per user.
    """

    train: Sessions
    users: list[str]
    histories: list[list[str]]
    held_out: list[list[str]]
    n: int = 1

    def validation(self) -> Split:
        """The same split applied again to the training data (for choosing
        settings without looking at the held-out items)."""
        return leave_last_out(self.train, self.n)

    @functools.cached_property
    def catalog(self) -> list[str]:
        """The distinct items of the training data, in order of first appearance."""
        return list(dict.fromkeys(item for session in self.train for item in session))

    @property
    def users_without_history(self) -> int:
        """Users all of whose items were held out: misses for every method."""
        return sum(not history for history in self.histories)

    @property
    def users_with_unknown_items(self) -> int:
        """Users with history none of whose held-out items is in the training
        data: misses for every method."""
        known = set(self.catalog)
        return sum(bool(history) and not known.intersection(held)
                   for history, held in zip(self.histories, self.held_out))


def leave_last_out(sessions, n: int = 1) -> Split:
    """Hold out each user's last ``n`` distinct items.

    Parameters
    ----------
    sessions : Sessions or list of list of str
        A `Sessions` with ``users`` (an interactions table: a user's sessions
        are joined, in order), or one session per user (a baskets file, or a
        plain list). "Last" is time order when the input had timestamps,
        else the order of the file.
    n : int
        Distinct items to hold out per user.

    Returns
    -------
    Split
        The held-out items are the distinct items of the shortest tail of
        the user's history that holds ``n`` of them; the training part is
        what comes before that tail, less any earlier occurrence of a
        held-out item, so that no held-out item is ever in a user's training
        data (and it can be recommended: what a user has is left out).

    Examples
    --------
    >>> split = leave_last_out([["a", "b", "c"], ["a", "d"]])
    >>> split.histories, split.held_out
    ([['a', 'b'], ['a']], [['c'], ['d']])
    """
    n = whole_number("holdout", n, high=1_000_000)
    ordered = getattr(sessions, "ordered", True)
    users, histories, held_out, kept, kept_users = [], [], [], [], []
    for user, user_sessions in _by_user(sessions):
        cut, held = _tail(user_sessions, n)
        users.append(user)
        held_out.append(held)
        history = []
        for session in _truncate(user_sessions, cut):
            session = [item for item in session if item not in held]
            if session:
                kept.append(session)
                kept_users.append(user)
                history += session
        histories.append(history)
    stats = SessionStats(sessions=len(kept), items=sum(map(len, kept)))
    train = Sessions(kept, kept_users, stats, ordered=ordered)
    return Split(train, users, histories, held_out, n)


def _by_user(sessions):
    """(user, [sessions]) for each user, in the order of their first session."""
    users = getattr(sessions, "users", None)
    data = getattr(sessions, "sessions", sessions)
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise CorpusError(f"expected sessions (a Sessions, as w2v.sessions.read_sessions gives, "
                          f"or a list of lists of item ids), got {type(data).__name__}")
    if users is None:
        return [(str(number), [_items(session, number)]) for number, session in enumerate(data)]
    if len(users) != len(data):
        raise CorpusError(f"{len(data):,} sessions but {len(users):,} users")
    grouped: dict[str, list[list[str]]] = {}
    for number, (user, session) in enumerate(zip(users, data)):
        grouped.setdefault(user, []).append(_items(session, number))
    return list(grouped.items())


def _items(session, number) -> list[str]:
    if isinstance(session, str) or not all(isinstance(item, str) for item in session):
        raise CorpusError(f"session {number:,} is not a list of item ids (strings): "
                          f"{str(session)[:80]!r}")
    return list(session)


def _tail(user_sessions: list[list[str]], n: int) -> tuple[int, list[str]]:
    """Where the shortest tail holding ``n`` distinct items starts (a position
    in the joined sessions) and its distinct items in time order."""
    items = [item for session in user_sessions for item in session]
    found: set[str] = set()
    cut = len(items)
    while cut > 0 and len(found) < n:
        cut -= 1
        found.add(items[cut])
    return cut, list(dict.fromkeys(items[cut:]))


def _truncate(user_sessions, cut):
    """The user's sessions up to position ``cut`` of their joined items."""
    left = cut
    for session in user_sessions:
        if left <= 0:
            return
        yield session[:left]
        left -= len(session)


# --- metrics --------------------------------------------------------------------------


@dataclass
class Metrics:
    """What `evaluate` measures.

    Attributes
    ----------
    hit_rate, ndcg : float
        Means over ``users`` (see the module docstring).
    coverage : float
        Share of the ``catalog`` items recommended to at least one user.
    users : int
        Users counted (every user of the split, or of the sample asked for).
    catalog : int
        Items in the training data.
    recommended : int
        Distinct catalog items recommended.
    topn : int
    """

    hit_rate: float
    ndcg: float
    coverage: float
    users: int
    catalog: int
    recommended: int
    topn: int


def hit_and_ndcg(recommended, held_out, topn: int) -> tuple[bool, float]:
    """Whether any of ``held_out`` is in the first ``topn`` of ``recommended``,
    and NDCG@topn (binary relevance: the held-out items are the relevant ones).

    >>> hit_and_ndcg(["x", "y", "a"], ["a"], 10)
    (True, 0.5)
    """
    wanted = set(held_out)
    if not wanted:
        return False, 0.0
    gains = sum(1 / math.log2(rank + 1)
                for rank, item in enumerate(recommended[:topn], start=1) if item in wanted)
    best = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(wanted), topn) + 1))
    return gains > 0, gains / best


def evaluate(recommender: Recommender, split: Split, topn: int = 10, users=None) -> Metrics:
    """Score ``recommender`` on ``split``'s held-out items (module docstring).

    Parameters
    ----------
    recommender : Recommender
        Anything with ``recommend_many(histories, topn, exclude)``, trained on
        ``split.train`` only (else its figures are inflated).
    split : Split
    topn : int
        Length of each recommendation list (the N of HR@N and NDCG@N).
    users : sequence of int, optional
        Indices of the users to count (e.g. a sample); default all.
    """
    topn = whole_number("topn", topn, high=1_000_000)
    chosen = range(len(split.users)) if users is None else list(users)
    catalog = set(split.catalog)
    shown: set[str] = set()
    hits, ndcg = 0, 0.0
    asked = [u for u in chosen if split.histories[u]]  # no history: a miss, never asked
    size = _chunk_size(recommender, split)
    for start in range(0, len(asked), size):
        chunk = asked[start:start + size]
        histories = [split.histories[u] for u in chunk]
        for u, found in zip(chunk, _recommend(recommender, histories, topn)):
            items = [item for item, _ in found[:topn]]
            shown.update(items)
            hit, gain = hit_and_ndcg(items, split.held_out[u], topn)
            hits += hit
            ndcg += gain
    counted = max(len(chosen), 1)
    recommended = len(shown & catalog)
    return Metrics(hits / counted, ndcg / counted, recommended / max(len(catalog), 1),
                   len(chosen), len(catalog), recommended, topn)


def _recommend(recommender, histories, topn):
    try:
        return recommender.recommend_many(histories, topn=topn, exclude=histories)
    except KeyError:
        # Item2Vec asked for one history none of whose items it knows raises
        # UnknownWordError (a KeyError), where several would give an empty list.
        if len(histories) == 1:
            return [[]]
        raise


def _chunk_size(recommender, split) -> int:
    """Users per call, so that a chunk's dense scores (users x items, or users
    x users for `ItemKNN`'s first product) stay within `SCORE_BYTES`."""
    wv = getattr(recommender, "wv", None)
    width = max(len(split.users), len(wv) if wv is not None else 0,
                getattr(recommender, "n_items", 0), 1)
    return max(1, SCORE_BYTES // (8 * width))


# --- baselines --------------------------------------------------------------------------


class _Catalog:
    """Items as columns of a binary user x item matrix (``X``, CSR float64)."""

    def fit_matrix(self, histories) -> sparse.csr_matrix:
        histories = [list(h) for h in histories]
        self.items_ = list(dict.fromkeys(item for h in histories for item in h))
        if not self.items_:
            raise CorpusError("no training history: nothing to learn from")
        self.index_ = {item: j for j, item in enumerate(self.items_)}
        return self._rows(histories)

    @property
    def n_items(self) -> int:
        return len(self.items_)

    def _rows(self, histories) -> sparse.csr_matrix:
        """Binary rows (one per history) over the known items; unknown ones are skipped."""
        index = self.index_
        rows, cols = [], []
        for r, history in enumerate(histories):
            known = {index[item] for item in history if item in index}
            rows += [r] * len(known)
            cols += known
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                 shape=(len(histories), len(self.items_)))

    def _top(self, scores: np.ndarray, histories, topn, exclude):
        """Best ``topn`` of dense ``scores`` (one row per history), with each
        history's items and exclusions left out."""
        banned = self._rows([list(h) + list(e) for h, e in
                             zip(histories, exclude or [()] * len(histories))])
        scores[banned.nonzero()] = -np.inf
        items = self.items_
        return [[(items[j], float(row[j])) for j in best if np.isfinite(row[j])]
                for row, best in zip(scores, top_k(scores, topn))]


def _check_topn(topn):
    return whole_number("topn", topn, high=1_000_000)


class MostPopular(_Catalog):
    """The items most users have in the training data, the same for everyone
    (less what each user has).

    Examples
    --------
    >>> MostPopular().fit([["a", "b"], ["b"]]).recommend_many([["a"]], topn=1)
    [[('b', 2.0)]]
    """

    def fit(self, histories) -> MostPopular:
        X = self.fit_matrix(histories)
        self.popularity_ = np.asarray(X.sum(axis=0)).ravel()
        self.order_ = top_k(self.popularity_, len(self.items_))
        return self

    def recommend_many(self, histories, topn: int = 10, exclude=None):
        topn = _check_topn(topn)
        exclude = exclude or [()] * len(histories)
        out = []
        for history, excluded in zip(histories, exclude):
            # Walk down the popularity order past what the user has: no score matrix.
            banned = set(history) | set(excluded)
            found = []
            for j in self.order_:
                if self.items_[j] not in banned:
                    found.append((self.items_[j], float(self.popularity_[j])))
                    if len(found) == topn:
                        break
            out.append(found)
        return out


class ItemKNN(_Catalog):
    """Item-item nearest neighbours: a candidate's score is the sum of its
    cosine similarities to the user's last ``history`` distinct items, the
    cosine being that of the items' columns in the binary user x item training
    matrix. Ties (common: items with no user in common score 0) go to the
    more popular item.

    The item x item similarity matrix is never made: scores are ``(Q X') X``
    for a chunk of queries ``Q`` (columns scaled to unit length), which takes
    memory in proportion to the chunk's users x (users + items).

    Parameters
    ----------
    history : int or None
        How many of the most recent distinct items make the query; None: all.
    """

    def __init__(self, history: int | None = KNN_HISTORY):
        self.history = history

    def fit(self, histories) -> ItemKNN:
        if self.history is not None:
            self.history = whole_number("history", self.history, high=1_000_000)
        X = self.fit_matrix(histories)
        counts = np.asarray(X.sum(axis=0)).ravel()
        self.unit_ = (X @ sparse.diags(1 / np.sqrt(np.maximum(counts, 1)))).tocsr()
        # A tie-break below any difference of cosine sums: more users first.
        self.tie_break_ = 1e-9 * counts / max(counts.max(), 1)
        return self

    def recommend_many(self, histories, topn: int = 10, exclude=None):
        topn = _check_topn(topn)
        queries = self._rows([_recent(h, self.history) for h in histories])
        scores = ((queries @ self.unit_.T) @ self.unit_).toarray()
        scores += self.tie_break_
        return self._top(scores, histories, topn, exclude)


def _recent(history, k):
    """The last ``k`` distinct items of ``history`` (all for None)."""
    if k is None:
        return list(history)
    recent: dict[str, None] = {}
    for item in reversed(history):
        recent.setdefault(item)
        if len(recent) == k:
            break
    return list(recent)


class EASE(_Catalog):
    """Embarrassingly Shallow Autoencoder (Steck 2019): scores ``x_u B`` for a
    user's binary history ``x_u``, with the item x item weights

        B = I - P diag(1 / diag(P)),   P = (X'X + lambda I)^-1

    the closed-form least-squares solution of ``X ~ X B`` with an L2 penalty
    and a zero diagonal (no item explains itself).

    Parameters
    ----------
    lam : float
        The L2 penalty ``lambda`` (> 0).
    max_items : int
        Most items modelled. With more in the catalog, or more than memory
        allows (two item x item float64 matrices in at most half the
        memory available), only the most popular are: the others are never
        recommended, and ``left_out_`` counts them.
    """

    def __init__(self, lam: float = EASE_LAMBDA, max_items: int = EASE_MAX_ITEMS):
        self.lam = lam
        self.max_items = max_items

    def fit(self, histories) -> EASE:
        self.lam = real_number("lam", self.lam, low=0, low_open=True)
        self.max_items = whole_number("max_items", self.max_items, high=10**9)
        X = self.fit_matrix(histories)
        popularity = np.asarray(X.sum(axis=0)).ravel()
        keep = self.items_modelled()
        self.left_out_ = max(len(self.items_) - keep, 0)
        if self.left_out_:
            kept = np.sort(top_k(popularity, keep))
            self.items_ = [self.items_[j] for j in kept]
            self.index_ = {item: j for j, item in enumerate(self.items_)}
            X = X[:, kept]
        self.B_ = ease_weights(X, self.lam)
        return self

    def items_modelled(self) -> int:
        """How many items fit: ``max_items``, or fewer if memory is short."""
        free = available_memory()
        fits = self.max_items if free is None else int(math.sqrt(free / 2 / (2 * 8)))
        return max(1, min(len(self.items_), self.max_items, fits))

    def recommend_many(self, histories, topn: int = 10, exclude=None):
        topn = _check_topn(topn)
        scores = np.asarray(self._rows(histories) @ self.B_)
        return self._top(scores, histories, topn, exclude)


def ease_weights(X, lam: float) -> np.ndarray:
    """EASE's ``B`` for the (users x items) matrix ``X``: dense, float64, zero diagonal."""
    n = X.shape[1]
    X = sparse.csc_matrix(X, dtype=np.float64)
    gram = np.empty((n, n))
    for start in range(0, n, GRAM_BLOCK):  # a block of columns at a time: no sparse n x n
        gram[:, start:start + GRAM_BLOCK] = (X.T @ X[:, start:start + GRAM_BLOCK]).toarray()
    gram[np.diag_indices_from(gram)] += lam
    # An LU inverse written over the Gram matrix: two n x n matrices at the peak, not three.
    P = linalg.inv(gram, overwrite_a=True, check_finite=False)
    P /= -np.diag(P)  # column j over -P_jj: B = I - P diag(1/diag(P)) off the diagonal
    np.fill_diagonal(P, 0.0)
    return P


# --- a model trained elsewhere ------------------------------------------------------------


def held_out_seen(counts: dict[str, int], split: Split) -> tuple[int, int]:
    """Whether a model counted the held-out interactions, from its item counts.

    A model trained on ``split.train`` counts each item exactly as often as
    the training data holds it; one trained on all the data counts every
    held-out item more often. Returns ``(above, known)``: of the held-out
    items the model knows (``known``, one per user and item), how many it
    counted more often than the training data holds them. ``above`` near
    ``known`` means the model has seen the held-out items, so its figures are
    inflated; 0 means it has not seen more of them than the training data.
    """
    in_training = collections.Counter(item for session in split.train for item in session)
    above = known = 0
    for held in split.held_out:
        for item in held:
            if item in counts:
                known += 1
                above += counts[item] > in_training.get(item, 0)
    return above, known


# --- all methods side by side ------------------------------------------------------------


@dataclass
class Row:
    """One method's line in `compare`'s table: its metrics, the seconds it
    took to learn (``fit_seconds``) and to recommend, and a note."""

    name: str
    metrics: Metrics
    fit_seconds: float
    seconds: float
    note: str = ""


def baselines(split: Split, ease_lambda: float = EASE_LAMBDA,
              knn_history: int | None = KNN_HISTORY, ease_max_items: int = EASE_MAX_ITEMS
              ) -> dict[str, tuple[Recommender, float, str]]:
    """The three baselines fitted on ``split``'s training histories, by name:
    (recommender, seconds to fit, note). For data without order (baskets),
    item-kNN uses every item of the history, since "last" means nothing there."""
    if not split.train.ordered:
        knn_history = None
    knn_name = "item-kNN, " + ("all items" if knn_history is None else f"last {knn_history}")
    methods = {"most popular": MostPopular(), knn_name: ItemKNN(knn_history),
               f"EASE, lambda {ease_lambda:g}": EASE(ease_lambda, ease_max_items)}
    fitted = {}
    for name, method in methods.items():
        started = time.perf_counter()
        method.fit(split.histories)
        note = ""
        if getattr(method, "left_out_", 0):
            note = (f"models only the {method.n_items:,} most popular of the "
                    f"{method.n_items + method.left_out_:,} items: its item x item matrix of "
                    "them all would not fit in time or memory")
        fitted[name] = (method, time.perf_counter() - started, note)
    return fitted


def compare(split: Split, methods: dict[str, tuple[Recommender, float, str]],
            topn: int = 10) -> list[Row]:
    """`evaluate` each of ``methods`` (name -> (recommender, fit seconds, note),
    as `baselines` gives) on ``split``, in order."""
    rows = []
    for name, (method, fit_seconds, note) in methods.items():
        started = time.perf_counter()
        metrics = evaluate(method, split, topn)
        rows.append(Row(name, metrics, fit_seconds, time.perf_counter() - started, note))
    return rows
