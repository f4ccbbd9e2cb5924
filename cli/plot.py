"""``w2v plot``, ``w2v plot-analogy``, ``w2v plot-loss``: pictures of a model
(the drawing is in w2v/plot/)."""

import contextlib
import os
import re
import stat
import warnings
from pathlib import Path

import click

import w2v
import w2v.plot
from w2v.plot.figure import INCHES, MIN_DPI, check_picture
from w2v.plot.projection import MAX_MAP_WORDS, MAX_SEED, listed, printable

from .model_option import chosen_model, model_argument_or_option, model_option
from .similar import query_words
from .types import FiniteFloat

DEFAULT_TOP = 100  # words mapped when none are chosen
WORDS_FILE_BYTES = 1 << 20  # a words file lists words to map (at most 2,000): 1 MiB is plenty
OUTPUT_HELP = "Picture to write: .png, .svg, .pdf, or another format by its extension."


def _size(ctx, param, value):
    """'10x8' -> (10.0, 8.0) inches; the bounds are checked with --dpi (check_picture)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*[xX]\s*(\d+(?:\.\d*)?)\s*", value)
    if not match:
        raise click.BadParameter(f"expected WIDTHxHEIGHT in inches, like 10x8, got {value!r}")
    return float(match[1]), float(match[2])


def _split(texts):
    """Words from comma- or space-separated lists."""
    return [word for text in texts for word in re.split(r"[\s,]+", text) if word]


def _read_words(path):
    """Words of a file; lines starting with # are comments. Read at most
    WORDS_FILE_BYTES (a device such as /dev/zero never ends)."""
    try:
        # Opening a FIFO blocks until something writes to it, unless non-blocking;
        # reads then block while a writer (``<(...)``) is on, and end when none is.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(WORDS_FILE_BYTES + 1)
            is_fifo = stat.S_ISFIFO(os.fstat(handle.fileno()).st_mode)
    except FileNotFoundError:
        raise click.ClickException(f"no such words file: {path}") from None
    except ValueError:  # a NUL in the name
        raise click.ClickException(f"cannot read words file {path!r}: not a file name") from None
    except OSError as error:
        raise click.ClickException(
            f"cannot read words file {path}: {error.strerror or error}") from None
    if len(data) > WORDS_FILE_BYTES:
        raise click.ClickException(
            f"words file {path} is larger than {WORDS_FILE_BYTES >> 20} MiB: it should list the "
            f"words to map (at most {MAX_MAP_WORDS:,})")
    nul = data.find(b"\0")
    if nul >= 0:
        raise click.ClickException(f"words file {path} is binary (a NUL byte at {nul:,}): "
                                   "it should be text listing the words to map")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"words file {path} is not UTF-8 text (byte {error.start:,}): "
                                   "it should list the words to map") from None
    words = _split(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    if not words:
        raise click.ClickException(f"words file {path} lists no words"
                                   + (" (nothing was writing to the FIFO)" if is_fifo else ""))
    return words


def _picture_options(size):
    """``--size`` (default ``size``) and ``--dpi``, shared by the three commands."""
    def decorate(command):
        command = click.option("--dpi", default=100, show_default=True,
                               type=click.IntRange(min=MIN_DPI), help="Pixels per inch.")(command)
        command = click.option("--size", default=size, show_default=True, callback=_size,
                               metavar="WxH", help=f"Picture size in inches ({INCHES[0]:g} to "
                               f"{INCHES[1]:g} a side).")(command)
        return command
    return decorate


@contextlib.contextmanager
def _warnings_in_one_line(at_most=5):
    """matplotlib's warnings (a glyph missing from the font, a layout too tight)
    as one ``warning:`` line each, once, instead of a file name, line and source.
    Unknown words are left to the caller, which lists them in one line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", w2v.plot.UnknownWordsWarning)
        yield
    messages = list(dict.fromkeys(printable(" ".join(str(w.message).split())) for w in caught))
    for message in messages[:at_most]:
        click.echo(f"warning: {message}", err=True)
    if len(messages) > at_most:
        click.echo(f"warning: and {len(messages) - at_most} more warnings", err=True)


def _saved(output, what):
    """Say what was written, on stderr like the other commands' summaries."""
    click.echo(f"saved {output}: {what}", err=True)


@click.command()
@model_argument_or_option()
@click.option("-o", "--output", default="map.png", show_default=True, type=click.Path(),
              help=OUTPUT_HELP)
@click.option("--words", "word_lists", multiple=True, metavar="W1,W2,...",
              help="Words to map (repeatable).")
@click.option("--words-file", type=click.Path(dir_okay=False, allow_dash=False),
              help="Words to map, separated by spaces, commas or lines; # starts a comment line.")
@click.option("--top", type=click.IntRange(min=2, max=MAX_MAP_WORDS),
              help=f"The N most frequent words  [default: {DEFAULT_TOP} if no words are chosen]")
@click.option("--neighbours", "--neighbors", "seed_lists", multiple=True, metavar="W1,W2,...",
              help="These words and their nearest neighbours, one colour per word (repeatable).")
@click.option("--n-neighbours", "--n-neighbors", default=8, show_default=True,
              type=click.IntRange(min=1, max=MAX_MAP_WORDS),
              help="Neighbours per word of --neighbours.")
@click.option("--method", type=click.Choice(["tsne", "pca"]), default="tsne", show_default=True,
              help="t-SNE (neighbourhoods) or PCA (the two main directions).")
@click.option("--perplexity", default=30.0, show_default=True,
              type=FiniteFloat(min=0, min_open=True),
              help="t-SNE's effective number of neighbours; at most (words - 1) / 3.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED),
              help="t-SNE random seed.")
@click.option("--title", help="Title  [default: the model, method and settings]")
@_picture_options("10x8")
def plot(model_argument, model_path, output, word_lists, words_file, top, seed_lists, n_neighbours,
         method, perplexity, seed, title, size, dpi):
    """Map words of -m MODEL in 2D with t-SNE or PCA and save the picture.

    \b
    w2v plot --neighbours france,war,king -o map.png
    w2v plot -m model.w2v --top 300 --method pca -o top.svg

    MODEL may also be given as the argument: w2v plot MODEL.
    """
    model = chosen_model(model_argument, model_path)
    check_picture(output, size, dpi, title)  # all that can fail about the picture, first
    words = _split(word_lists) + (_read_words(words_file) if words_file else [])
    kv = w2v.load_vectors(model)  # a model file's vectors, or a vector file, or a projector folder
    words += kv.index_to_key[:top or 0]
    groups = None
    if seed_lists:
        near, near_groups = w2v.plot.neighbours(kv, _split(seed_lists), topn=n_neighbours)
        words, groups = near + words, near_groups + ["other words"] * len(words)
    if not words:
        words = kv.index_to_key[:DEFAULT_TOP]
    with _warnings_in_one_line():
        layout = w2v.plot.project(kv, words, method, groups=groups, seed=seed,
                                  perplexity=perplexity)
        if layout.missing:
            click.echo(f"warning: not in the vocabulary: {listed(layout.missing)}", err=True)
        if title is None:
            title = f"{Path(model).name}: {layout.description}"
        w2v.plot.draw(layout, path=output, figsize=size, dpi=dpi, title=title)
    _saved(output, layout.description)


@click.command("plot-analogy")
@click.argument("words", nargs=-1, metavar="A B C [D]")
@model_option()
@click.option("-o", "--output", default="analogy.png", show_default=True, type=click.Path(),
              help=OUTPUT_HELP)
@click.option("--title", help="Title  [default: the analogy and how well it holds]")
@_picture_options("7x6")
def plot_analogy(words, model_path, output, title, size, dpi):
    """Draw "A is to B as C is to D" as a parallelogram: B - A + C = D.

    The order is that of w2v analogy and the analogy files; D defaults to the
    model's best answer:

    \b
    w2v plot-analogy man king woman queen -o analogy.png

    MODEL may also come first, before the words.
    """
    model, words = query_words(words, model_path, least=3, most=4,
                               wanted="three or four words A B C [D] (A is to B as C is to D)")
    a, b, c, d = (words + [None])[:4]
    check_picture(output, size, dpi, title)  # all that can fail about the picture, first
    kv = w2v.load_vectors(model)
    with _warnings_in_one_line():
        # w2v.plot.analogy draws "first - second + third": king - man + woman.
        w2v.plot.analogy(kv, b, a, c, d, path=output, title=title, figsize=size, dpi=dpi)
    _saved(output, f"{a} : {b} :: {c} : {d or '?'}, drawn as {b} - {a} + {c}")


@click.command("plot-loss")
@model_argument_or_option(help="w2v model file (it keeps its loss history).")
@click.option("-o", "--output", default="loss.png", show_default=True, type=click.Path(),
              help=OUTPUT_HELP)
@click.option("--title", help="Title  [default: the model and its settings]")
@_picture_options("8x6")
def plot_loss(model_argument, model_path, output, title, size, dpi):
    """Plot the loss and learning rate over the training of -m MODEL (a w2v
    model file, which keeps its loss history). MODEL may also be given as the
    argument: w2v plot-loss MODEL."""
    model = chosen_model(model_argument, model_path)
    check_picture(output, size, dpi, title)  # all that can fail about the picture, first
    kind = w2v.detect_format(model)
    if kind != "w2v-model":
        raise click.ClickException(
            f"plot-loss needs a w2v model file (from w2v train): {model} is not one (it reads as "
            f"{kind} vectors, and vectors carry no loss history)")
    trained = w2v.load(model)
    if title is None:
        title = f"{Path(model).name}: {w2v.plot.training_summary(trained)}"
    with _warnings_in_one_line():
        w2v.plot.loss(trained, path=output, title=title, figsize=size, dpi=dpi)
    _saved(output, "loss and learning rate")
