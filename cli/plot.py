"""``w2v plot``, ``w2v plot-analogy``, ``w2v plot-loss``: pictures of a model
(the drawing is in w2v/plot/)."""

import re
import warnings
from pathlib import Path

import click

import w2v
import w2v.plot

DEFAULT_TOP = 100  # words mapped when none are chosen


def _size(ctx, param, value):
    """'10x8' -> (10.0, 8.0) inches."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*[xX]\s*(\d+(?:\.\d*)?)\s*", value)
    if not match or 0 in (float(match[1]), float(match[2])):
        raise click.BadParameter(f"expected WIDTHxHEIGHT in inches, like 10x8, got {value!r}")
    return float(match[1]), float(match[2])


def _split(texts):
    """Words from comma- or space-separated lists."""
    return [word for text in texts for word in re.split(r"[\s,]+", text) if word]


def _read_words(path):
    """Words of a file; lines starting with # are comments."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.ClickException(f"no such words file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read words file {path}: {error}") from None
    return _split(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _picture_options(size):
    """``--size`` (default ``size``) and ``--dpi``, shared by the three commands."""
    def decorate(command):
        command = click.option("--dpi", default=100, show_default=True, type=click.IntRange(min=10),
                               help="Pixels per inch.")(command)
        command = click.option("--size", default=size, show_default=True, callback=_size,
                               metavar="WxH", help="Picture size in inches.")(command)
        return command
    return decorate


def _saved(output, what):
    """Say what was written, on stderr like the other commands' summaries."""
    click.echo(f"saved {output}: {what}", err=True)


@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="map.png", show_default=True,
              type=click.Path(dir_okay=False), help="Picture to write; .png, .svg or .pdf.")
@click.option("--words", "word_lists", multiple=True, metavar="W1,W2,...",
              help="Words to map (repeatable).")
@click.option("--words-file", type=click.Path(dir_okay=False),
              help="Words to map, separated by spaces, commas or lines; # starts a comment line.")
@click.option("--top", type=click.IntRange(min=2),
              help=f"The N most frequent words  [default: {DEFAULT_TOP} if no words are chosen]")
@click.option("--neighbours", "--neighbors", "seed_lists", multiple=True, metavar="W1,W2,...",
              help="These words and their nearest neighbours, one colour per word (repeatable).")
@click.option("--n-neighbours", "--n-neighbors", default=8, show_default=True,
              type=click.IntRange(min=1), help="Neighbours per word of --neighbours.")
@click.option("--method", type=click.Choice(["tsne", "pca"]), default="tsne", show_default=True,
              help="t-SNE (neighbourhoods) or PCA (the two main directions).")
@click.option("--perplexity", default=30.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="t-SNE's effective number of neighbours; at most (words - 1) / 3.")
@click.option("--seed", default=0, show_default=True, type=int, help="t-SNE random seed.")
@click.option("--title", help="Title  [default: the model, method and settings]")
@_picture_options("10x8")
def plot(model, output, word_lists, words_file, top, seed_lists, n_neighbours, method, perplexity,
         seed, title, size, dpi):
    """Map words of MODEL in 2D with t-SNE or PCA and save the picture.

    \b
    w2v plot model.w2v --neighbours france,war,king -o map.png
    w2v plot model.w2v --top 300 --method pca -o top.svg
    """
    w2v.plot.check_output(output)
    loaded = w2v.load(model)
    kv = getattr(loaded, "wv", loaded)  # a model, or vectors alone
    words = _split(word_lists) + (_read_words(words_file) if words_file else [])
    words += kv.index_to_key[:top or 0]
    groups = None
    if seed_lists:
        near, near_groups = w2v.plot.neighbours(kv, _split(seed_lists), topn=n_neighbours)
        words, groups = near + words, near_groups + ["other words"] * len(words)
    if not words:
        words = kv.index_to_key[:DEFAULT_TOP]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", w2v.plot.UnknownWordsWarning)  # reported below, one line
        layout = w2v.plot.project(kv, words, method, groups=groups, seed=seed,
                                  perplexity=perplexity)
    if layout.missing:
        click.echo(f"warning: not in the vocabulary: {', '.join(layout.missing)}", err=True)
    w2v.plot.draw(layout, path=output, figsize=size, dpi=dpi,
                  title=title if title is not None else f"{Path(model).name}: {layout.description}")
    _saved(output, layout.description)


@click.command("plot-analogy")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.argument("d", required=False)
@click.option("-o", "--output", default="analogy.png", show_default=True,
              type=click.Path(dir_okay=False), help="Picture to write; .png, .svg or .pdf.")
@click.option("--title", help="Title  [default: the analogy and how well it holds]")
@_picture_options("7x6")
def plot_analogy(model, a, b, c, d, output, title, size, dpi):
    """Draw A - B + C = D (king man woman queen) as a parallelogram.

    D defaults to the model's best answer.
    """
    w2v.plot.check_output(output)
    w2v.plot.analogy(w2v.load(model), a, b, c, d, path=output, title=title, figsize=size, dpi=dpi)
    _saved(output, f"{a} - {b} + {c}" + (f" = {d}" if d else ""))


@click.command("plot-loss")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="loss.png", show_default=True,
              type=click.Path(dir_okay=False), help="Picture to write; .png, .svg or .pdf.")
@click.option("--title", help="Title  [default: the model and its settings]")
@_picture_options("8x6")
def plot_loss(model, output, title, size, dpi):
    """Plot the loss and learning rate over the training of MODEL (a w2v model
    file, which keeps its loss history)."""
    w2v.plot.check_output(output)
    trained = w2v.load(model)
    if title is None:
        title = f"{Path(model).name}: {w2v.plot.training_summary(trained)}"
    w2v.plot.loss(trained, path=output, title=title, figsize=size, dpi=dpi)
    _saved(output, "loss and learning rate")
