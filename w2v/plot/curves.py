"""Training curves: loss and learning rate over the words trained."""

from __future__ import annotations

import numpy as np

from ..model import HISTORY_COLUMNS
from .figure import DPI, QUIET, PlotError, check_picture, new_figure, palette, save


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
        The model has no loss history, or none of it is finite.
    SettingsError, OutputError
        As for ``draw``.
    """
    fmt = check_picture(path, figsize, dpi, title)
    history = getattr(model, "loss_history_", None)
    if history is None:
        raise PlotError("word vectors alone keep no loss history: "
                        "plot the loss of a w2v model file instead")
    history = np.asarray(history, dtype=np.float64)
    if history.ndim != 2 or history.shape[1] != len(HISTORY_COLUMNS):
        raise PlotError(f"the loss history has shape {history.shape}, not "
                        f"(points, {len(HISTORY_COLUMNS)})")
    if len(history) == 0:
        raise PlotError("the model has no loss history: it was never trained")
    history = history[np.isfinite(history).all(axis=1)]  # a damaged point cannot be drawn
    if len(history) == 0:
        raise PlotError("the loss history holds no finite numbers: the model file is damaged")
    column = {name: history[:, i] for i, name in enumerate(HISTORY_COLUMNS)}
    words, epochs = column["words"], column["epoch"]

    from matplotlib.ticker import EngFormatter

    fig = new_figure(figsize, dpi)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    marker = "o" if len(history) < 20 else None
    top.plot(words, column["loss"], color=palette(1)[0], marker=marker, linewidth=1.5)
    bottom.plot(words, column["learning_rate"], color=palette(2)[1], marker=marker, linewidth=1.5)
    top.set_ylabel("loss per training pair")
    bottom.set_ylabel("learning rate")
    bottom.set_xlabel("words trained")
    bottom.xaxis.set_major_formatter(EngFormatter())
    bottom.set_ylim(bottom=0)
    first, last = np.ceil(epochs[0]), np.ceil(epochs[-1])
    # The ends of whole epochs, when there are a few (a damaged file may claim 1e300).
    boundaries = np.arange(first, last) if 0 < last - first <= 50 else np.array([])
    if len(boundaries) and np.all(np.diff(epochs) >= 0):  # interp needs epochs in order
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
                  fontsize=11, loc="left", parse_math=False)
    fig.tight_layout()
    save(fig, path, fmt)
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
