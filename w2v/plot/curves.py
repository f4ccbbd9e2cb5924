"""Training curves: loss and learning rate over the words trained."""

from __future__ import annotations

import numpy as np

from ..model import HISTORY_COLUMNS
from .figure import DPI, QUIET, PlotError, check_output, new_figure, palette, save


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
