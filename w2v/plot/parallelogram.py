"""The parallelogram of an analogy, in the plane of its words."""

from __future__ import annotations

import numpy as np

from ..errors import SettingsError
from .figure import (DPI, QUIET, TEXT, PlotError, check_picture, equal_scales, keyed_vectors,
                     new_figure, palette, plain_text, save, set_limits)
from .labels import place_labels
from .projection import listed


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

    Raises
    ------
    PlotError
        A word is not in the vocabulary, a word is given twice, or no word is
        left to answer with.
    SettingsError, OutputError
        As for ``draw``.
    """
    fmt = check_picture(path, figsize, dpi, title)
    kv = keyed_vectors(vectors)
    given = [word for word in (a, b, c, d) if word is not None]
    if not all(isinstance(word, str) for word in given):
        raise SettingsError(f"the words of an analogy must be strings, got {given!r:.60}")
    unknown = [word for word in given if word not in kv]
    if unknown:
        raise PlotError(f"not in the vocabulary: {listed(unknown)}")
    if len(set(given)) < len(given):
        raise PlotError(f"an analogy needs different words, got {listed(given)}")
    if d is None and len(kv) < 4:
        raise PlotError(f"the vocabulary has {len(kv)} words: none is left to answer "
                        f"{listed([a, b, c])}")

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

    fig = new_figure(figsize, dpi)
    ax = fig.add_subplot()
    first, second = palette(2)
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
                     bbox=backing, zorder=4, in_layout=False, parse_math=False)
             for i, ((x, y), name) in enumerate(zip(xy, names))]

    from matplotlib.lines import Line2D

    legend = ax.legend(
        handles=[Line2D([], [], color=first, lw=2, label=f"{b} → {a}"),
                 Line2D([], [], color=second, lw=2, label=f"{b} → {c}"),
                 Line2D([], [], color=QUIET, lw=1, linestyle="--",
                        label=f"exact parallelogram: {a} − {b} + {c}")],
        loc="upper left", bbox_to_anchor=(0.0, 0.0), frameon=False, fontsize=9)
    plain_text(legend.get_texts())
    ax.text(1.0, 0.0, f"the plane through {b}, {a}, {c}\n({d} projected onto it)",
            transform=ax.transAxes, ha="right", va="top", fontsize=8, color=QUIET,
            parse_math=False)
    ax.set_axis_off()  # distances are cosine-space lengths: the shape is the message
    cosine = float(unit[kv.index(d)] @ predicted / np.linalg.norm(predicted))
    ax.set_title(title if title is not None else
                 f"{a} − {b} + {c} ≈ {d}\n{d}: answer #{rank:,} of the vocabulary, "
                 f"cosine {cosine:.2f} to the prediction", fontsize=11, loc="left",
                 parse_math=False)
    set_limits(ax, xy, margin=0.15)
    fig.tight_layout()
    equal_scales(ax)  # a parallelogram must not be sheared by the picture's shape
    centre = xy[[0, 1, 2, 4]].mean(axis=0)  # of the exact parallelogram: labels go outwards
    place_labels(ax, texts, xy, marker_radius=6 * dpi / 72, away_from=centre)
    save(fig, path, fmt)
    return fig
