"""Which words to show, and where: neighbours of seed words, then t-SNE or
PCA to two dimensions."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .figure import PlotError, keyed_vectors

EXACT_TSNE_WORDS = 200  # t-SNE with exact gradients up to this many words


class UnknownWordsWarning(UserWarning):
    """Some words asked for are not in the vocabulary; the rest are plotted."""

    def __init__(self, words: Sequence[str]):
        self.words = list(words)
        super().__init__("not in the vocabulary: " + ", ".join(self.words))


def neighbours(vectors, words: Sequence[str], topn: int = 8) -> tuple[list[str], list[str]]:
    """Each of ``words`` followed by its ``topn`` nearest neighbours, for a map
    coloured by group.

    A neighbour already listed (a seed word, or a neighbour of an earlier seed)
    is not repeated: the next nearest word takes its place. Unknown seed words
    are kept, alone in their group, so that ``project`` reports them.

    Parameters
    ----------
    vectors : KeyedVectors or Word2Vec
    words : sequence of str
        The seed words.
    topn : int
        Neighbours per seed word.

    Returns
    -------
    words, groups : list of str
        The words to plot and, for each, the seed word whose group it is in.
    """
    kv = keyed_vectors(vectors)
    seeds = list(dict.fromkeys(words))
    taken = set(seeds)
    chosen, groups = [], []
    for seed in seeds:
        chosen.append(seed)
        groups.append(seed)
        if seed not in kv:
            continue
        # Ask for enough candidates to replace every word that may be taken.
        candidates = kv.most_similar(seed, topn=topn + len(taken))
        fresh = [word for word, _ in candidates if word not in taken][:topn]
        taken.update(fresh)
        chosen += fresh
        groups += [seed] * len(fresh)
    return chosen, groups


@dataclass(frozen=True)
class Layout:
    """Words placed in two dimensions by ``project``.

    Attributes
    ----------
    words : list of str
        The words placed, in the order asked, without repeats or unknown words.
    xy : ndarray, shape (len(words), 2)
        Their coordinates.
    groups : list of str or None
        Each word's group (one colour and legend entry per group), or None.
        A word that names its own group (a seed of ``neighbours``) is
        highlighted.
    missing : list of str
        Words asked for that are not in the vocabulary.
    method : str
        "t-SNE" or "PCA".
    settings : str
        What else decided the layout, e.g. "perplexity 13.3, seed 0".
    axis_labels : tuple of str, or None
        Meaning of the axes (PCA); None when they have none (t-SNE).
    """

    words: list[str]
    xy: np.ndarray
    groups: list[str] | None
    missing: list[str]
    method: str
    settings: str
    axis_labels: tuple[str, str] | None = None

    @property
    def description(self) -> str:
        """One line for a title: method, number of words and settings."""
        return f"{self.method} of {len(self.words)} words ({self.settings})"


def project(vectors, words: Sequence[str], method: str = "tsne", *,
            groups: Sequence[str] | None = None, seed: int = 0,
            perplexity: float = 30.0) -> Layout:
    """Place ``words`` in 2D by t-SNE or PCA of their unit vectors.

    Unit vectors make Euclidean distance a function of cosine similarity, the
    measure the queries use. Unknown words are left out with an
    ``UnknownWordsWarning`` that lists them.

    Parameters
    ----------
    vectors : KeyedVectors or Word2Vec
    words : sequence of str
    method : {"tsne", "pca"}
    groups : sequence of str, optional
        A group name per word (see ``neighbours``).
    seed : int
        t-SNE's random state: the same seed gives the same layout.
    perplexity : float
        t-SNE's effective number of neighbours, capped at max(1, (n - 1) / 3)
        for n words so that small sets still work (scikit-learn needs it
        below n, and a third of n keeps small maps from collapsing).

    Returns
    -------
    Layout

    Raises
    ------
    PlotError
        Fewer than two of ``words`` are in the vocabulary.
    """
    kv = keyed_vectors(vectors)
    words = list(words)
    if method not in ("tsne", "pca"):
        raise ValueError(f"method must be 'tsne' or 'pca', got {method!r}")
    if groups is not None and len(groups) != len(words):
        raise ValueError(f"{len(words)} words but {len(groups)} groups")
    if not perplexity > 0:
        raise ValueError(f"perplexity must be > 0, got {perplexity}")
    labels = list(groups) if groups is not None else [None] * len(words)
    first = dict(zip(reversed(words), reversed(labels)))  # each word's first group
    unique = list(dict.fromkeys(words))
    missing = [word for word in unique if word not in kv]
    known = [word for word in unique if word in kv]
    if missing:
        warnings.warn(UnknownWordsWarning(missing), stacklevel=2)
    if len(known) < 2:
        raise PlotError(f"a map needs at least 2 words of the vocabulary, got {len(known)}"
                        + (f" (not in the vocabulary: {', '.join(missing)})" if missing else ""))
    points = kv.unit_vectors[[kv.index(word) for word in known]].astype(np.float64)
    if method == "pca":
        xy, settings, axis_labels = _pca(points)
        name = "PCA"
    else:
        xy, settings = _tsne(points, seed, perplexity)
        name, axis_labels = "t-SNE", None
    return Layout(known, xy, None if groups is None else [first[w] for w in known],
                  missing, name, settings, axis_labels)


def _tsne(points, seed, perplexity):
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    used = min(float(perplexity), max((len(points) - 1) / 3, 1.0))
    # Exact gradients are quicker than the Barnes-Hut approximation for a few
    # hundred points (and exact); beyond, Barnes-Hut's n log n wins.
    method = "exact" if len(points) <= EXACT_TSNE_WORDS else "barnes_hut"
    tsne = TSNE(n_components=2, perplexity=used, init="pca", learning_rate="auto",
                method=method, random_state=seed)
    # One thread: Barnes-Hut's OpenMP threads busy-wait on a loaded machine
    # (1,000 words took 35-50 s with 2 threads where 1 took 7 s), and the
    # summation order, hence the layout, then does not depend on the cores.
    with threadpool_limits(limits=1):
        xy = tsne.fit_transform(points)
    return xy, f"perplexity {used:.3g}, seed {seed}"


def _pca(points):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, svd_solver="full")
    xy = pca.fit_transform(points)
    share = np.nan_to_num(pca.explained_variance_ratio_)
    labels = (f"PC1 ({share[0]:.0%} of the variance)", f"PC2 ({share[1]:.0%})")
    return xy, f"{share.sum():.0%} of the variance shown", labels
