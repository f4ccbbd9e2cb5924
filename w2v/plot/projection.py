"""Which words to show, and where: neighbours of seed words, then t-SNE or
PCA to two dimensions."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SettingsError
from .figure import PlotError, keyed_vectors

EXACT_TSNE_WORDS = 200  # t-SNE with exact gradients up to this many words
# Labels are placed one by one against all placed before: 1,000 words take
# seconds, 3,000 half a minute; beyond a few thousand a map is a blot anyway.
MAX_MAP_WORDS = 2000
MAX_SEED = 2**32 - 1  # scikit-learn's random_state range


class UnknownWordsWarning(UserWarning):
    """Some words asked for are not in the vocabulary; the rest are plotted."""

    def __init__(self, words: Sequence[str]):
        self.words = list(words)
        super().__init__("not in the vocabulary: " + listed(self.words))


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

    Raises
    ------
    SettingsError
        ``topn`` is not 1 to ``MAX_MAP_WORDS``, or the words and their
        neighbours would be more than ``MAX_MAP_WORDS``.
    """
    kv = keyed_vectors(vectors)
    words = _word_list(words)
    if not _is_int(topn) or not 1 <= topn <= MAX_MAP_WORDS:
        raise SettingsError(f"topn must be a whole number from 1 to {MAX_MAP_WORDS:,}, "
                            f"got {topn!r:.60}")
    seeds = list(dict.fromkeys(words))
    if len(seeds) * (1 + topn) > MAX_MAP_WORDS:
        raise SettingsError(f"{len(seeds):,} words with {topn:,} neighbours each would map more "
                            f"than {MAX_MAP_WORDS:,} words: choose fewer")
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
    SettingsError
        A setting out of range, or more than ``MAX_MAP_WORDS`` known words.
    PlotError
        Fewer than two of ``words`` are in the vocabulary, or their vectors
        cannot be mapped (not finite, one dimension, all in one direction).
    """
    kv = keyed_vectors(vectors)
    words = _word_list(words)
    _check_settings(method, seed, perplexity)
    if groups is not None and (isinstance(groups, str) or len(groups) != len(words)):
        raise SettingsError(f"{len(words)} words need as many groups, got {groups!r:.60}")
    labels = list(groups) if groups is not None else [None] * len(words)
    first = dict(zip(reversed(words), reversed(labels)))  # each word's first group
    unique = list(dict.fromkeys(words))
    missing = [word for word in unique if word not in kv]
    known = [word for word in unique if word in kv]
    if missing:
        warnings.warn(UnknownWordsWarning(missing), stacklevel=2)
    if len(known) < 2:
        raise PlotError(f"a map needs at least 2 words of the vocabulary, got {len(known)}"
                        + (f" (not in the vocabulary: {listed(missing)})" if missing else ""))
    if len(known) > MAX_MAP_WORDS:
        raise SettingsError(f"{len(known):,} words to map: at most {MAX_MAP_WORDS:,}")
    points = kv.unit_vectors[[kv.index(word) for word in known]].astype(np.float64)
    broken = [word for word, row in zip(known, points) if not np.isfinite(row).all()]
    if broken:
        raise PlotError(f"the vectors of {listed(broken)} are not finite numbers")
    if points.shape[1] < 2:
        raise PlotError(f"the vectors have {points.shape[1]} dimension: a 2D map needs at least 2")
    if np.ptp(points, axis=0).max() <= 1e-12:  # t-SNE would divide by their zero spread
        raise PlotError(f"all {len(known)} words have the same direction (or a zero vector): "
                        "a map would show a single point")
    if method == "pca":
        xy, settings, axis_labels = _pca(points)
        name = "PCA"
    else:
        xy, settings = _tsne(points, seed, perplexity)
        name, axis_labels = "t-SNE", None
    if not np.isfinite(xy).all():
        raise PlotError(f"{name} could not place these {len(known)} words (non-finite "
                        "coordinates): try the other method")
    return Layout(known, xy, None if groups is None else [first[w] for w in known],
                  missing, name, settings, axis_labels)


def check_layout(layout: Layout) -> None:
    """A layout built by hand is drawn only if it is one: as many finite
    coordinate pairs as words, and not too many words to label."""
    xy = np.asarray(layout.xy)
    n = len(layout.words)
    if xy.shape != (n, 2) or not np.issubdtype(xy.dtype, np.number):
        raise SettingsError(f"a layout of {n} words needs xy of shape ({n}, 2), got {xy.shape}")
    if n < 1 or n > MAX_MAP_WORDS:
        raise SettingsError(f"a map draws 1 to {MAX_MAP_WORDS:,} words, got {n:,}")
    if not np.isfinite(xy).all():
        raise SettingsError("a layout's coordinates must be finite numbers")
    if layout.groups is not None and len(layout.groups) != n:
        raise SettingsError(f"{n} words need as many groups, got {len(layout.groups)}")


def _word_list(words) -> list[str]:
    """``words`` as a list of strings; a single string is a mistake (its letters
    would be taken for words)."""
    if not isinstance(words, str):
        try:
            words = list(words)
        except TypeError:
            pass
        else:
            if all(isinstance(word, str) for word in words):
                return words
    raise SettingsError(f"words must be a sequence of strings, got {words!r:.60}")


def _check_settings(method, seed, perplexity):
    if method not in ("tsne", "pca"):
        raise SettingsError(f"method must be 'tsne' or 'pca', got {method!r:.60}")
    if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise SettingsError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r:.60}")
    if (not isinstance(perplexity, numbers.Real) or isinstance(perplexity, bool)
            or not math.isfinite(perplexity) or not perplexity > 0):
        raise SettingsError(f"perplexity must be a finite number > 0, got {perplexity!r:.60}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def listed(words, at_most=20, width=40):
    """Words for a one-line message: the first ``at_most``, each cut to ``width``,
    control characters escaped (a word could clear the terminal)."""
    shown = ", ".join(printable(word if len(word) <= width else word[:width - 1] + "…")
                      for word in words[:at_most])
    return shown + (f" and {len(words) - at_most:,} more" if len(words) > at_most else "")


def printable(text: str) -> str:
    """``text`` with each character that is not printable written as an escape (\\x1b)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


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
