"""Maps: a layout drawn as a labelled scatter plot, one colour per group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .figure import (DPI, TEXT, check_picture, darker, new_figure, palette, plain_text, save,
                     set_limits)
from .labels import place_labels
from .projection import Layout, check_layout, project

MAP_SIZE = (10.0, 8.0)  # inches; at the default 100 dpi, 1000 x 800 pixels


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

    Raises
    ------
    SettingsError
        A size, dpi, title or layout that cannot be drawn (see ``check_picture``).
    OutputError, PlotError
        ``path`` cannot be written, or its format is not one of ``picture_formats()``.
    """
    fmt = check_picture(path, figsize, dpi, title)
    check_layout(layout)
    fig = new_figure(figsize, dpi)
    ax = fig.add_subplot()
    n = len(layout.words)
    groups = layout.groups or [""] * n
    names = list(dict.fromkeys(groups))
    colours = dict(zip(names, palette(len(names))))
    seed = np.array([word == group for word, group in zip(layout.words, groups)])

    size = np.where(seed, 70.0, 28.0 if n <= 300 else 12.0)  # marker areas, points^2
    ax.scatter(layout.xy[:, 0], layout.xy[:, 1], s=size, c=[colours[g] for g in groups],
               edgecolors=np.where(seed, TEXT, "white"), linewidths=np.where(seed, 1.0, 0.5),
               zorder=3)
    fontsize = 9 if n <= 60 else 8 if n <= 150 else 7 if n <= 300 else 6
    texts = [ax.text(x, y, word, fontsize=fontsize + (1 if is_seed else 0),
                     fontweight="bold" if is_seed else "normal",
                     color=darker(colours[group]) if len(names) > 1 else TEXT,
                     ha="center", va="center", zorder=4, in_layout=False, parse_math=False)
             for (x, y), word, group, is_seed in zip(layout.xy, layout.words, groups, seed)]

    if len(names) > 1:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker="o", linestyle="", markersize=7, color=colours[name],
                          label=name) for name in names]
        plain_text(ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                             frameon=False).get_texts())
    if layout.axis_labels:
        ax.set_xlabel(layout.axis_labels[0])
        ax.set_ylabel(layout.axis_labels[1])
        ax.spines[["top", "right"]].set_visible(False)
    else:  # t-SNE's axes mean nothing; only the neighbourhoods do
        ax.set_axis_off()
    ax.set_title(title if title is not None else layout.description, fontsize=11, loc="left",
                 parse_math=False)
    set_limits(ax, layout.xy, margin=0.06)
    fig.tight_layout()
    place_labels(ax, texts, layout.xy, marker_radius=np.sqrt(size) / 2 * dpi / 72)
    save(fig, path, fmt)
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
    check_picture(path, figsize, dpi, title)
    layout = project(vectors, words, "tsne", groups=groups, seed=seed, perplexity=perplexity)
    return draw(layout, path=path, title=title, figsize=figsize, dpi=dpi)


def pca(vectors, words: Sequence[str], *, groups: Sequence[str] | None = None, path=None,
        title: str | None = None, figsize: tuple[float, float] = MAP_SIZE, dpi: int = DPI):
    """A map of ``words`` on their first two principal components:
    ``draw(project(..., method="pca"))``. Returns the figure."""
    check_picture(path, figsize, dpi, title)
    layout = project(vectors, words, "pca", groups=groups)
    return draw(layout, path=path, title=title, figsize=figsize, dpi=dpi)
