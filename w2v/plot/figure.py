"""What every picture shares: colours, the figure, its limits, the output file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import W2VError

DPI = 100
TEXT = "#222222"
QUIET = "#8a8a8a"  # leader lines, ideal parallelogram, epoch marks


class PlotError(W2VError):
    """A picture cannot be made from these words or saved at this path."""


def keyed_vectors(vectors):
    """Accept a model (use its vectors) as well as vectors."""
    return getattr(vectors, "wv", vectors)


def new_figure(figsize, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)  # attaches itself: text can be measured before saving
    return fig


def palette(n):
    """Distinct colours: tab10, or tab20 beyond ten groups (then repeating)."""
    from matplotlib import colormaps

    colours = colormaps["tab10" if n <= 10 else "tab20"].colors
    return [colours[i % len(colours)] for i in range(n)]


def darker(colour, by=0.35):
    """The colour mixed with black: light tab10 colours are unreadable as text."""
    from matplotlib.colors import to_rgb

    return tuple(channel * (1 - by) for channel in to_rgb(colour))


def set_limits(ax, xy, margin):
    """Fix the data limits (label placement works in pixels, so they must not
    change afterwards), with room around the points."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    room = np.maximum(high - low, 1e-9) * margin
    ax.set_xlim(low[0] - room[0], high[0] + room[0])
    ax.set_ylim(low[1] - room[1], high[1] + room[1])
    ax.set_autoscale_on(False)


def equal_scales(ax):
    """Widen one axis's limits so that a unit is as long in x as in y."""
    box = ax.get_window_extent()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    per_pixel = max((x1 - x0) / box.width, (y1 - y0) / box.height)
    half_x, half_y = per_pixel * box.width / 2, per_pixel * box.height / 2
    ax.set_xlim((x0 + x1) / 2 - half_x, (x0 + x1) / 2 + half_x)
    ax.set_ylim((y0 + y1) / 2 - half_y, (y0 + y1) / 2 + half_y)


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


def save(fig, path, fmt):
    """Write the picture atomically: a failed save leaves no half picture."""
    if path is None:
        return
    try:
        with atomic_write(path) as handle:
            fig.savefig(handle, format=fmt, dpi=fig.dpi)
    except OSError as error:
        raise PlotError(f"cannot write {path}: {error.strerror or error}") from None
