"""What every picture shares: colours, the figure, its limits, the output file."""

from __future__ import annotations

import math
import numbers
from pathlib import Path

import numpy as np

from ..atomic import atomic_write, check_target
from ..errors import SettingsError, W2VError

DPI = 100
TEXT = "#222222"
QUIET = "#8a8a8a"  # leader lines, ideal parallelogram, epoch marks


class PlotError(W2VError):
    """A picture cannot be made from these words or in this format.

    Problems with the output path raise ``w2v.errors.OutputError``, bad sizes
    and settings ``w2v.errors.SettingsError``; all three are ``W2VError``."""


def keyed_vectors(vectors):
    """Accept a model (use its vectors) as well as vectors."""
    return getattr(vectors, "wv", vectors)


def new_figure(figsize, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)  # attaches itself: text can be measured before saving
    return fig


def plain_text(texts):
    """Show these texts as they are: words, titles and file names are not
    mathtext (``$\\frac$`` would fail to draw, ``$x$`` would lose its dollars)."""
    for text in texts:
        text.set_parse_math(False)


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
    OutputError
        ``path`` is a folder, a device, a FIFO or a symbolic link, or its
        folder is missing or not writable (see ``w2v.atomic.check_target``).
    PlotError
        The extension is not one of ``picture_formats()``.
    """
    if path is None:
        return None
    path = Path(path)
    check_target(path)
    fmt = path.suffix.lower().lstrip(".")
    formats = picture_formats()
    if fmt not in formats:
        known = ", ".join(f".{name}" for name in formats)
        problem = (f".{fmt} needs {_needs(fmt)}, which is not available here" if fmt in _NEEDS
                   else "cannot tell the picture format from the name")
        raise PlotError(f"cannot save {path}: {problem}; end the name with one of {known}")
    return fmt


# Formats matplotlib draws itself, then those Pillow encodes (if built with
# them), then PGF, which runs LaTeX. Not the raw RGBA dumps: no viewer opens them.
_OWN_FORMATS = ["png", "svg", "pdf", "svgz", "eps", "ps"]
_PILLOW_FORMATS = {"jpg": "jpg", "jpeg": "jpg", "tif": None, "tiff": None, "gif": None,
                   "webp": "webp", "avif": "avif"}  # extension: Pillow feature it needs
_NEEDS = {**{fmt: "Pillow with {feature} support" for fmt in _PILLOW_FORMATS},
          "pgf": "{texsystem} (LaTeX)"}


def picture_formats() -> list[str]:
    """The extensions a picture can be saved with here, without a program
    that is missing: .png, .svg, .pdf and the others matplotlib draws itself,
    Pillow's (.jpg, .tif, .gif, .webp, .avif) as far as it was built with them,
    and .pgf when LaTeX is installed."""
    import shutil

    from matplotlib import rcParams
    from matplotlib.backend_bases import FigureCanvasBase
    from PIL import features

    def works(feature):
        return feature is None or bool(features.check(feature))

    formats = _OWN_FORMATS + [fmt for fmt, feature in _PILLOW_FORMATS.items() if works(feature)]
    if shutil.which(rcParams["pgf.texsystem"]):
        formats.append("pgf")
    supported = FigureCanvasBase.get_supported_filetypes()
    return [fmt for fmt in formats if fmt in supported]


def _needs(fmt):
    from matplotlib import rcParams

    return _NEEDS[fmt].format(feature=_PILLOW_FORMATS.get(fmt), texsystem=rcParams["pgf.texsystem"])


# Every picture is first drawn on an Agg canvas of its size in pixels (labels
# are measured there), whatever the format: bound it, or a huge --dpi asks for
# gigabytes (std::bad_alloc) or beyond Agg's 2^16 pixels a side.
MAX_PIXELS = 40_000_000  # 160 MB of RGBA: 10 x 8 inches at 700 dpi
MAX_SIDE_PIXELS = 16_000  # within Agg, JPEG, GIF and WebP limits
INCHES = (1.0, 200.0)  # a side; PDF pages end at 200 inches
MIN_DPI = 10


def check_size(figsize, dpi) -> None:
    """Check a picture size before any work: ``figsize`` (width, height) in
    inches, each in ``INCHES``; ``dpi`` at least ``MIN_DPI``; at most
    ``MAX_SIDE_PIXELS`` a side and ``MAX_PIXELS`` in all.

    Raises
    ------
    SettingsError
    """
    if (isinstance(figsize, (str, bytes)) or not hasattr(figsize, "__len__")
            or len(figsize) != 2 or not all(_is_number(side) for side in figsize)):
        raise SettingsError(f"figsize must be (width, height) in inches, got {figsize!r:.60}")
    if not _is_number(dpi):
        raise SettingsError(f"dpi must be a number, got {dpi!r:.60}")
    width, height = (float(side) for side in figsize)
    low, high = INCHES
    if not (low <= width <= high and low <= height <= high):
        raise SettingsError(f"a picture of {width:g} x {height:g} inches: each side must be "
                            f"{low:g} to {high:g} inches")
    if dpi < MIN_DPI:
        raise SettingsError(f"dpi must be at least {MIN_DPI}, got {dpi:g}")
    pixels_wide, pixels_high = width * dpi, height * dpi  # floats: no overflow at any dpi
    if max(pixels_wide, pixels_high) > MAX_SIDE_PIXELS or pixels_wide * pixels_high > MAX_PIXELS:
        raise SettingsError(f"a picture of {width:g} x {height:g} inches at {dpi:g} dpi would be "
                            f"{_count(pixels_wide)} x {_count(pixels_high)} pixels: at most "
                            f"{MAX_SIDE_PIXELS:,} a side and {MAX_PIXELS / 1e6:g} million in all; "
                            "lower the dpi or the size")


MAX_TITLE_CHARS = 1000  # drawing time grows with the text: 100,000 characters take 15 s


def check_picture(path, figsize, dpi, title=None) -> str | None:
    """``check_size``, ``check_output`` and the title (None, or a string of at
    most ``MAX_TITLE_CHARS``): everything about the picture that can fail,
    checked before any work. Returns the format."""
    check_size(figsize, dpi)
    if title is not None and not isinstance(title, str):
        raise SettingsError(f"title must be a string, got {title!r:.60}")
    if title is not None and len(title) > MAX_TITLE_CHARS:
        raise SettingsError(f"the title has {len(title):,} characters: at most {MAX_TITLE_CHARS:,}")
    return check_output(path)


def _count(number: float) -> str:
    return f"{number:,.0f}" if number < 1e12 else f"{number:.3g}"


def _is_number(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def save(fig, path, fmt):
    """Write the picture atomically: a failed save leaves no half picture."""
    if path is None:
        return
    with atomic_write(path) as handle:  # an OutputError names the path and the reason
        fig.savefig(handle, format=fmt, dpi=fig.dpi)
