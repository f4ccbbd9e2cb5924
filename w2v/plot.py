"""Pictures of word vectors: t-SNE and PCA maps, analogy parallelograms and
training curves.

Each function draws on a figure of its own (matplotlib's object-oriented API
with the Agg canvas: no display needed, no pyplot state touched), saves it when
given a ``path`` (PNG, SVG or PDF, by extension) and returns it. matplotlib and
scikit-learn are imported only when a picture is made, so ``import w2v`` stays
quick; use ``import w2v.plot``.

A map is made in two steps, which can also be called apart: ``project`` places
the words in 2D and returns a ``Layout`` (the coordinates, for your own use),
``draw`` turns a layout into a figure. ``tsne`` and ``pca`` do both.

Examples
--------
>>> import w2v, w2v.plot
>>> kv = w2v.load("sample.w2v").wv                                  # doctest: +SKIP
>>> words, groups = w2v.plot.neighbours(kv, ["france", "king"])     # doctest: +SKIP
>>> fig = w2v.plot.tsne(kv, words, groups=groups, path="map.png")   # doctest: +SKIP
>>> layout = w2v.plot.project(kv, words, method="pca")              # doctest: +SKIP
>>> layout.xy.shape                                                 # doctest: +SKIP
(18, 2)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import W2VError
from .model import HISTORY_COLUMNS

MAP_SIZE = (10.0, 8.0)  # inches; at the default 100 dpi, 1000 x 800 pixels
DPI = 100
EXACT_TSNE_WORDS = 200  # t-SNE with exact gradients up to this many words
TEXT = "#222222"
QUIET = "#8a8a8a"  # leader lines, ideal parallelogram, epoch marks


class PlotError(W2VError):
    """A picture cannot be made from these words or saved at this path."""


class UnknownWordsWarning(UserWarning):
    """Some words asked for are not in the vocabulary; the rest are plotted."""

    def __init__(self, words: Sequence[str]):
        self.words = list(words)
        super().__init__("not in the vocabulary: " + ", ".join(self.words))


# --- choosing words ----------------------------------------------------------------


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
    kv = _keyed_vectors(vectors)
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


# --- placing words in 2D -------------------------------------------------------------


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
    kv = _keyed_vectors(vectors)
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


# --- maps ------------------------------------------------------------------------------


def draw(layout: Layout, *, path=None, title: str | None = None,
         figsize: tuple[float, float] = MAP_SIZE, dpi: int = DPI):
    """Draw a layout as a labelled scatter plot, one colour per group.

    Each label sits beside its point, on a side where it overlaps no other
    label and no point when there is one; a label that had to move further
    out gets a thin leader line. Words named after their group (the seeds of
    ``neighbours``) are drawn larger and in bold.

    Parameters
    ----------
    layout : Layout
    path : str or Path, optional
        Save the picture here; the format follows the extension.
    title : str, optional
        Defaults to ``layout.description``.
    figsize : (float, float)
        Width and height in inches.
    dpi : int
        Pixels per inch: the picture is ``figsize * dpi`` pixels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fmt = check_output(path)
    fig = _new_figure(figsize, dpi)
    ax = fig.add_subplot()
    n = len(layout.words)
    groups = layout.groups or [""] * n
    names = list(dict.fromkeys(groups))
    colours = dict(zip(names, _palette(len(names))))
    seed = np.array([word == group for word, group in zip(layout.words, groups)])

    size = np.where(seed, 70.0, 28.0 if n <= 300 else 12.0)  # marker areas, points^2
    ax.scatter(layout.xy[:, 0], layout.xy[:, 1], s=size, c=[colours[g] for g in groups],
               edgecolors=np.where(seed, TEXT, "white"), linewidths=np.where(seed, 1.0, 0.5),
               zorder=3)
    fontsize = 9 if n <= 60 else 8 if n <= 150 else 7 if n <= 300 else 6
    texts = [ax.text(x, y, word, fontsize=fontsize + (1 if is_seed else 0),
                     fontweight="bold" if is_seed else "normal",
                     color=_darker(colours[group]) if len(names) > 1 else TEXT,
                     ha="center", va="center", zorder=4, in_layout=False)
             for (x, y), word, group, is_seed in zip(layout.xy, layout.words, groups, seed)]

    if len(names) > 1:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker="o", linestyle="", markersize=7, color=colours[name],
                          label=name) for name in names]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)
    if layout.axis_labels:
        ax.set_xlabel(layout.axis_labels[0])
        ax.set_ylabel(layout.axis_labels[1])
        ax.spines[["top", "right"]].set_visible(False)
    else:  # t-SNE's axes mean nothing; only the neighbourhoods do
        ax.set_axis_off()
    ax.set_title(title if title is not None else layout.description, fontsize=11, loc="left")
    _set_limits(ax, layout.xy, margin=0.06)
    fig.tight_layout()
    _place_labels(ax, texts, layout.xy, marker_radius=np.sqrt(size) / 2 * dpi / 72)
    _save(fig, path, fmt)
    return fig


def tsne(vectors, words: Sequence[str], *, groups: Sequence[str] | None = None, seed: int = 0,
         perplexity: float = 30.0, path=None, title: str | None = None,
         figsize: tuple[float, float] = MAP_SIZE, dpi: int = DPI):
    """A t-SNE map of ``words``: ``draw(project(..., method="tsne"))``.

    scikit-learn's TSNE with PCA initialisation and automatic learning rate.
    See ``project`` for the words, groups, seed and perplexity, and ``draw``
    for the picture. The output path is checked before any work is done.

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_output(path)
    layout = project(vectors, words, "tsne", groups=groups, seed=seed, perplexity=perplexity)
    return draw(layout, path=path, title=title, figsize=figsize, dpi=dpi)


def pca(vectors, words: Sequence[str], *, groups: Sequence[str] | None = None, path=None,
        title: str | None = None, figsize: tuple[float, float] = MAP_SIZE, dpi: int = DPI):
    """A map of ``words`` on their first two principal components:
    ``draw(project(..., method="pca"))``. Returns the figure."""
    check_output(path)
    layout = project(vectors, words, "pca", groups=groups)
    return draw(layout, path=path, title=title, figsize=figsize, dpi=dpi)


# --- analogies ---------------------------------------------------------------------------


def analogy(vectors, a: str, b: str, c: str, d: str | None = None, *, path=None,
            title: str | None = None, figsize: tuple[float, float] = (7.0, 6.0), dpi: int = DPI):
    """The parallelogram of "a - b + c = d" (king - man + woman = queen).

    The picture is the plane through the unit vectors of b, a and c: x runs
    along b -> a, y along the part of b -> c orthogonal to it. In that plane
    b, a, c and the prediction a - b + c form an exact parallelogram (dashed);
    d, projected onto the plane, shows how far the vectors are from it.

    Parameters
    ----------
    vectors : KeyedVectors or Word2Vec
    a, b, c : str
        The question: a is to b as d is to c.
    d : str, optional
        The expected answer; by default the best one (3CosAdd, the question
        words excluded), as ``most_similar(positive=[a, c], negative=[b])``.
    path, title, figsize, dpi
        As for ``draw``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fmt = check_output(path)
    kv = _keyed_vectors(vectors)
    given = [word for word in (a, b, c, d) if word is not None]
    unknown = [word for word in given if word not in kv]
    if unknown:
        raise PlotError(f"not in the vocabulary: {', '.join(unknown)}")
    if len(set(given)) < len(given):
        raise PlotError(f"an analogy needs different words, got {' '.join(given)}")

    unit = kv.unit_vectors
    ia, ib, ic = (kv.index(word) for word in (a, b, c))
    predicted = unit[ia] - unit[ib] + unit[ic]
    scores = unit @ (predicted / max(np.linalg.norm(predicted), 1e-30))
    scores[[ia, ib, ic]] = -np.inf  # 3CosAdd never answers with a question word
    if d is None:
        d = kv.index_to_key[int(np.argmax(scores))]
    rank = 1 + int(np.sum(scores > scores[kv.index(d)]))

    # Orthonormal axes of the plane through b, a and c, with b at the origin.
    ex = unit[ia] - unit[ib]
    ex /= max(np.linalg.norm(ex), 1e-30)
    ey = unit[ic] - unit[ib]
    ey -= (ey @ ex) * ex
    ey /= max(np.linalg.norm(ey), 1e-30)
    plane = np.stack([ex, ey], axis=1)
    names = [b, a, c, d, f"{a} − {b} + {c}"]
    xy = (np.stack([unit[ib], unit[ia], unit[ic], unit[kv.index(d)], predicted]) - unit[ib]) @ plane
    B, A, C, D, P = xy

    fig = _new_figure(figsize, dpi)
    ax = fig.add_subplot()
    first, second = _palette(2)
    ax.fill(*np.stack([B, A, P, C]).T, facecolor="#f3f3f3", edgecolor=QUIET, linestyle="--",
            linewidth=1, zorder=1)
    for start, end, colour in ((B, A, first), (C, D, first), (B, C, second), (A, D, second)):
        ax.annotate("", xy=end, xytext=start, zorder=2,
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=2, shrinkA=5, shrinkB=5))
    ax.plot(*np.stack([P, D]).T, linestyle=":", color=QUIET, linewidth=1, zorder=2)
    ax.scatter(xy[:4, 0], xy[:4, 1], s=45, c=TEXT, zorder=3)
    ax.scatter(*P, s=60, marker="x", c=QUIET, zorder=3)
    backing = dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8)
    texts = [ax.text(x, y, name, fontsize=11 if i < 4 else 9, color=TEXT if i < 4 else QUIET,
                     fontweight="bold" if i == 3 else "normal", ha="center", va="center",
                     bbox=backing, zorder=4, in_layout=False)
             for i, ((x, y), name) in enumerate(zip(xy, names))]

    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color=first, lw=2, label=f"{b} → {a}"),
                       Line2D([], [], color=second, lw=2, label=f"{b} → {c}"),
                       Line2D([], [], color=QUIET, lw=1, linestyle="--",
                              label=f"exact parallelogram: {a} − {b} + {c}")],
              loc="upper left", bbox_to_anchor=(0.0, 0.0), frameon=False, fontsize=9)
    ax.text(1.0, 0.0, f"the plane through {b}, {a}, {c}\n({d} projected onto it)",
            transform=ax.transAxes, ha="right", va="top", fontsize=8, color=QUIET)
    ax.set_axis_off()  # distances are cosine-space lengths: the shape is the message
    cosine = float(unit[kv.index(d)] @ predicted / np.linalg.norm(predicted))
    ax.set_title(title if title is not None else
                 f"{a} − {b} + {c} ≈ {d}\n{d}: answer #{rank:,} of the vocabulary, "
                 f"cosine {cosine:.2f} to the prediction", fontsize=11, loc="left")
    _set_limits(ax, xy, margin=0.15)
    fig.tight_layout()
    _equal_scales(ax)  # a parallelogram must not be sheared by the picture's shape
    centre = xy[[0, 1, 2, 4]].mean(axis=0)  # of the exact parallelogram: labels go outwards
    _place_labels(ax, texts, xy, marker_radius=6 * dpi / 72, away_from=centre)
    _save(fig, path, fmt)
    return fig


# --- training curves --------------------------------------------------------------------


def loss(model, *, path=None, title: str | None = None,
         figsize: tuple[float, float] = (8.0, 6.0), dpi: int = DPI):
    """Loss and learning rate over training, from ``model.loss_history_``.

    The x axis counts words trained; the top axis marks epochs.

    Parameters
    ----------
    model : Word2Vec
        A trained model (word vectors alone keep no history).
    path, title, figsize, dpi
        As for ``draw``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    PlotError
        The model has no loss history.
    """
    fmt = check_output(path)
    history = getattr(model, "loss_history_", None)
    if history is None:
        raise PlotError("word vectors alone keep no loss history: "
                        "plot the loss of a w2v model file instead")
    history = np.asarray(history, dtype=np.float64)
    if len(history) == 0:
        raise PlotError("the model has no loss history: it was never trained")
    column = {name: history[:, i] for i, name in enumerate(HISTORY_COLUMNS)}
    words, epochs = column["words"], column["epoch"]

    from matplotlib.ticker import EngFormatter

    fig = _new_figure(figsize, dpi)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    marker = "o" if len(history) < 20 else None
    top.plot(words, column["loss"], color=_palette(1)[0], marker=marker, linewidth=1.5)
    bottom.plot(words, column["learning_rate"], color=_palette(2)[1], marker=marker, linewidth=1.5)
    top.set_ylabel("loss per training pair")
    bottom.set_ylabel("learning rate")
    bottom.set_xlabel("words trained")
    bottom.xaxis.set_major_formatter(EngFormatter())
    bottom.set_ylim(bottom=0)
    boundaries = np.arange(np.ceil(epochs[0]), np.ceil(epochs[-1]))  # ends of whole epochs
    if 0 < len(boundaries) <= 50:
        for axis in (top, bottom):
            for at in np.interp(boundaries, epochs, words):
                axis.axvline(at, color=QUIET, linewidth=0.6, linestyle=":", zorder=0)
        every = int(np.ceil(len(boundaries) / 12))  # at most a dozen numbers
        epoch_axis = top.secondary_xaxis("top")
        epoch_axis.set_xticks(np.interp(boundaries, epochs, words)[::every],
                              [f"{k:.0f}" for k in boundaries[::every]])
        epoch_axis.set_xlabel("epochs done", fontsize=9)
    for axis in (top, bottom):
        axis.grid(axis="y", color="#e6e6e6")
        axis.spines["right"].set_visible(False)
    top.set_title(title if title is not None else f"training: {training_summary(model)}",
                  fontsize=11, loc="left")
    fig.tight_layout()
    _save(fig, path, fmt)
    return fig


def training_summary(model) -> str:
    """What a model says about its training, as one line:
    "skip-gram, dim 100, 10 epochs, 2,238,820 words"."""
    params = model.get_params() if hasattr(model, "get_params") else {}
    parts = [f"{'skip-gram' if params['sg'] else 'CBOW'}, dim {params['dim']}"] if params else []
    if getattr(model, "epochs_trained_", 0):
        parts.append(f"{model.epochs_trained_} epochs")
    if getattr(model, "words_trained_", 0):
        parts.append(f"{model.words_trained_:,} words")
    return ", ".join(parts)


# --- shared figure helpers -------------------------------------------------------------


def _keyed_vectors(vectors):
    """Accept a model (use its vectors) as well as vectors."""
    return getattr(vectors, "wv", vectors)


def _new_figure(figsize, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)  # attaches itself: text can be measured before saving
    return fig


def _palette(n):
    """Distinct colours: tab10, or tab20 beyond ten groups (then repeating)."""
    from matplotlib import colormaps

    colours = colormaps["tab10" if n <= 10 else "tab20"].colors
    return [colours[i % len(colours)] for i in range(n)]


def _darker(colour, by=0.35):
    """The colour mixed with black: light tab10 colours are unreadable as text."""
    from matplotlib.colors import to_rgb

    return tuple(channel * (1 - by) for channel in to_rgb(colour))


def _set_limits(ax, xy, margin):
    """Fix the data limits (label placement works in pixels, so they must not
    change afterwards), with room around the points."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    room = np.maximum(high - low, 1e-9) * margin
    ax.set_xlim(low[0] - room[0], high[0] + room[0])
    ax.set_ylim(low[1] - room[1], high[1] + room[1])
    ax.set_autoscale_on(False)


def _equal_scales(ax):
    """Widen one axis's limits so that a unit is as long in x as in y."""
    box = ax.get_window_extent()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    per_pixel = max((x1 - x0) / box.width, (y1 - y0) / box.height)
    half_x, half_y = per_pixel * box.width / 2, per_pixel * box.height / 2
    ax.set_xlim((x0 + x1) / 2 - half_x, (x0 + x1) / 2 + half_x)
    ax.set_ylim((y0 + y1) / 2 - half_y, (y0 + y1) / 2 + half_y)


# Where a label may go around its point, in order of preference: right (where
# the eye reads on), the diagonals beside it, above, below, then the left side.
SIDES = np.array([(1, 0), (1, 1), (1, -1), (0, 1), (0, -1), (-1, 0), (-1, 1), (-1, -1)],
                 dtype=float)


def _place_labels(ax, texts, anchors, marker_radius, away_from=None, rings=6, pad=2.0):
    """Put each label beside its point where it overlaps no other label and no point.

    Label by label, in the order given (so the important ones come first), in
    pixels: try the eight places touching the point's marker, right first (or
    away from the point ``away_from``, in data coordinates), then the same
    directions one label-height further out, ring after ring; keep the first
    place that is free and inside the axes. A label set apart from its point
    gets a leader line. When no place is free (a crowded map), the label stays
    touching its point where it overlaps least: leader lines across a crowd
    would be worse than the overlap.
    """
    n = len(texts)
    if n == 0:
        return
    renderer = ax.figure.canvas.get_renderer()
    to_pixels = ax.transData
    points = to_pixels.transform(anchors)
    radius = np.broadcast_to(np.asarray(marker_radius, dtype=float), (n,)) + pad
    extents = [text.get_window_extent(renderer) for text in texts]
    half = np.array([[e.width, e.height] for e in extents]) / 2 + pad
    step = 2 * np.median(half[:, 1])
    frame = ax.get_window_extent(renderer)

    # Obstacles as centres and half-sizes: every point's marker, then each
    # label once placed.
    centres = np.vstack([points, np.zeros((n, 2))])
    halves = np.vstack([np.column_stack([radius, radius]), np.zeros((n, 2))])
    placed = np.zeros(n, dtype=bool)
    directions = SIDES / np.linalg.norm(SIDES, axis=1, keepdims=True)
    further = np.arange(rings + 1)[:, None, None] * step  # (rings + 1, 1, 1)
    for k in range(n):
        order = np.arange(len(SIDES))
        if away_from is not None:
            outward = points[k] - to_pixels.transform(np.atleast_2d(away_from))[0]
            order = np.argsort(-(directions @ outward), kind="stable")
        # Boxes touching the marker's box on each side, then ring after ring
        # further out: (rings + 1) * 8 candidate centres, nearest first.
        # (+0.5 px: touching exactly would count as overlap by rounding.)
        candidates = (points[k] + SIDES[order] * (half[k] + radius[k] + 0.5)
                      + further * directions[order]).reshape(-1, 2)
        inside = ((candidates - half[k] >= [frame.x0, frame.y0])
                  & (candidates + half[k] <= [frame.x1, frame.y1])).all(axis=1)
        # Only obstacles within reach of the farthest candidate can collide.
        reach = half[k] + radius[k] + rings * step + 2 * half[k]
        near = np.concatenate([np.ones(n, dtype=bool), placed])
        near &= (np.abs(centres - points[k]) - halves <= reach).all(axis=1)
        overlap = (half[k] + halves[near])[None] - np.abs(candidates[:, None] - centres[near][None])
        area = np.clip(overlap, 0, None).prod(axis=2).sum(axis=1)
        free = np.flatnonzero(inside & (area == 0))
        touching = np.flatnonzero(inside[:len(SIDES)])
        if len(free):
            best = free[0]
        elif len(touching):
            best = touching[np.argmin(area[touching])]
        else:
            best = 0
        low = np.array([frame.x0, frame.y0]) + half[k]
        high = np.maximum([frame.x1, frame.y1] - half[k], low)
        centres[n + k] = np.clip(candidates[best], low, high)
        halves[n + k] = half[k]
        placed[k] = True

    centre = centres[n:]
    to_data = to_pixels.inverted()
    for text, xy in zip(texts, to_data.transform(centre)):
        text.set_position(xy)
    # A leader line for labels that ended up more than a ring away from their point.
    nearest = np.clip(points, centre - half, centre + half)
    away = np.linalg.norm(nearest - points, axis=1) > radius + 1.5 * step
    for k in np.flatnonzero(away):
        line = to_data.transform(np.stack([points[k], nearest[k]]))
        ax.plot(line[:, 0], line[:, 1], color=QUIET, linewidth=0.5, zorder=2)


# --- output files -------------------------------------------------------------------------


def check_output(path) -> str | None:
    """Check that a picture can be written at ``path``, before any work is done.

    Parameters
    ----------
    path : str or Path or None
        None means no file: nothing to check.

    Returns
    -------
    str or None
        The picture format, from the extension ("png", "svg", "pdf", ...).

    Raises
    ------
    PlotError
        Unknown extension, a folder, a missing folder or no permission.
    """
    if path is None:
        return None
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    if path.is_dir():
        raise PlotError(f"cannot write {path}: it is a folder")
    fmt = path.suffix.lower().lstrip(".")
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise PlotError(f"cannot tell the picture format of {path}: "
                        "end the name with .png, .svg or .pdf")
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise PlotError(f"cannot write {path}: {folder} {problem}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PlotError(f"cannot write {path}: permission denied")
    return fmt


def _save(fig, path, fmt):
    """Write the picture atomically: a failed save leaves no half picture."""
    if path is None:
        return
    try:
        with atomic_write(path) as handle:
            fig.savefig(handle, format=fmt, dpi=fig.dpi)
    except OSError as error:
        raise PlotError(f"cannot write {path}: {error.strerror or error}") from None
