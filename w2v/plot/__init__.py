"""Pictures of word vectors: t-SNE and PCA maps, analogy parallelograms and
training curves.

Each function draws on a figure of its own (matplotlib's object-oriented API
with the Agg canvas: no display needed, no pyplot state touched), saves it when
given a ``path`` (PNG, SVG, PDF or another of ``picture_formats()``, by
extension) and returns it. matplotlib and scikit-learn are imported only when a
picture is made, so ``import w2v`` stays quick; use ``import w2v.plot``.

Everything that can fail about a picture (its path, format, size in pixels,
title) is checked before any work: ``check_picture``. Bad settings raise
``SettingsError``, an unusable path ``OutputError``, words or vectors that
cannot be drawn ``PlotError``. Words and titles are drawn as they are, never
read as mathtext.

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

from .curves import loss, training_summary
from .figure import DPI, PlotError, check_output, check_picture, check_size, picture_formats
from .maps import MAP_SIZE, draw, pca, tsne
from .parallelogram import analogy
from .projection import MAX_MAP_WORDS, Layout, UnknownWordsWarning, neighbours, project

__all__ = ["DPI", "MAP_SIZE", "MAX_MAP_WORDS", "Layout", "PlotError", "UnknownWordsWarning",
           "analogy", "check_output", "check_picture", "check_size", "draw", "loss", "neighbours",
           "pca", "picture_formats", "project", "training_summary", "tsne"]
